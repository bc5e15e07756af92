"""Day-2 operations through the project's playbooks, on the deployed lab:
planned switchover (to the sync standby: done; to the async replica: refused,
nothing changes; to the current leader: no-op), idempotent DCS changes,
etcd's raft leadership kept off the primary's host, and etcd defragmented member by member."""

import re
import time

from pgha_lab.playbook import ansible_playbook, recap


def changed(result) -> int:
    return sum(r["changed"] for r in recap(result.stdout).values())


def roles(lab) -> dict[str, str]:
    return {m["name"]: m["role"] for m in lab.cluster()["members"]}


def test_switchover_to_the_sync_standby(lab, tmp_path):
    lab.wait(lab.healthy, "a healthy cluster", timeout=120)
    before = lab.cluster()["members"]
    old = next(m for m in before if m["role"] == "leader")
    sync = next(m for m in before if m["role"] == "sync_standby")

    result = ansible_playbook("playbooks/switchover.yml", tmp_path, {"candidate": sync["name"]})
    assert result.returncode == 0, result.stdout[-3000:]
    assert changed(result) == 1

    assert lab.leader()["name"] == sync["name"]
    after = {m["name"]: m for m in lab.cluster()["members"]}
    assert after[old["name"]]["state"] == "streaming"
    assert after[sync["name"]]["timeline"] > old["timeline"]
    lab.wait(lab.healthy, "a healthy cluster after the switchover", timeout=120)
    [(in_recovery,)] = lab.wait(lambda: lab.query(lab.write_port, "SELECT pg_is_in_recovery()"), "VIP:5000", timeout=30)
    assert in_recovery is False


def test_switchover_to_the_current_leader_changes_nothing(lab, tmp_path):
    leader = lab.leader()
    result = ansible_playbook("playbooks/switchover.yml", tmp_path, {"candidate": leader["name"]})
    assert result.returncode == 0, result.stdout[-3000:]
    assert changed(result) == 0
    assert lab.leader() == leader


def test_switchover_to_the_async_replica_is_refused_and_changes_nothing(lab, tmp_path):
    lab.wait(lab.healthy, "a healthy cluster", timeout=120)
    before = roles(lab)
    leader = lab.leader()
    replica = next(n for n, r in before.items() if r == "replica")
    sync = next(n for n, r in before.items() if r == "sync_standby")

    result = ansible_playbook("playbooks/switchover.yml", tmp_path, {"candidate": replica})
    out = result.stdout + result.stderr
    assert result.returncode != 0, out[-3000:]
    assert replica in out and sync in out, "the refusal must name the candidate and the eligible member"
    assert changed(result) == 0
    assert roles(lab) == before
    assert lab.leader()["timeline"] == leader["timeline"]


def test_dcs_change_is_applied_once_then_idempotent(lab, tmp_path):
    original = lab.dcs_config()["loop_wait"]
    # One second shorter keeps loop_wait + 2 * retry_timeout <= ttl (the reference's 10 + 2 * 10 = 30
    # leaves no room above), which patroni_config enforces.
    wanted = original - 1 if original > 1 else original + 1
    settings = {"patroni_dcs_settings": {"loop_wait": wanted}}
    try:
        dry = ansible_playbook("playbooks/config.yml", tmp_path, settings, check=True)
        assert dry.returncode == 0, dry.stdout[-3000:]
        assert changed(dry) == 1 and "loop_wait" in dry.stdout
        assert lab.dcs_config()["loop_wait"] == original, "check mode changed the DCS"

        first = ansible_playbook("playbooks/config.yml", tmp_path, settings)
        assert first.returncode == 0, first.stdout[-3000:]
        assert changed(first) == 1
        # The REST API serves the DCS as of its last HA loop: give it one loop.
        lab.wait(lambda: lab.dcs_config()["loop_wait"] == wanted, f"loop_wait {wanted} in the DCS", timeout=60)

        second = ansible_playbook("playbooks/config.yml", tmp_path, settings)
        assert second.returncode == 0, second.stdout[-3000:]
        assert changed(second) == 0
    finally:
        restore = ansible_playbook("playbooks/config.yml", tmp_path, {"patroni_dcs_settings": {"loop_wait": original}})
        assert restore.returncode == 0, restore.stdout[-3000:]
    lab.wait(lambda: lab.dcs_config()["loop_wait"] == original, f"loop_wait back to {original}", timeout=60)


def _sync_standbys(lab) -> list[str]:
    return sorted(m["name"] for m in lab.cluster()["members"] if m["role"] in ("sync_standby", "quorum_standby"))


def test_the_synchronous_posture_set_in_the_inventory_reaches_the_running_cluster(lab, tmp_path):
    """site.yml --tags dcs turns the running cluster asynchronous, and back: the run that asks for a
    synchronous standby returns only once one streams (dcs.yml waits for it: a cluster turned from
    asynchronous to synchronous has none until Patroni's next HA loop picks one)."""
    lab.wait(lab.healthy, "a healthy cluster", timeout=120)
    assert lab.synchronous_mode() == "on", "the lab inventory runs patroni_synchronous_mode: true"
    try:
        to_async = ansible_playbook("site.yml", tmp_path, {"patroni_synchronous_mode": "false"}, tags=("dcs",))
        assert to_async.returncode == 0, to_async.stdout[-3000:]
        assert changed(to_async) == 1
        assert lab.synchronous_mode() == "off"
        lab.wait(lambda: not _sync_standbys(lab), "no synchronous standby left", timeout=60)
    finally:
        back = ansible_playbook("site.yml", tmp_path, tags=("dcs",))
    assert back.returncode == 0, back.stdout[-3000:]
    assert changed(back) == 1
    assert lab.synchronous_mode() == "on"
    # No wait here: the run itself returned after the standby was chosen and streams.
    [sync] = _sync_standbys(lab)
    assert {m["name"]: m["state"] for m in lab.cluster()["members"]}[sync] == "streaming"


def test_dcs_timing_below_patronis_minimum_is_refused(lab, tmp_path):
    before = lab.dcs_config()
    result = ansible_playbook("playbooks/config.yml", tmp_path, {"patroni_dcs_settings": {"ttl": 10}})
    out = result.stdout + result.stderr
    assert result.returncode != 0, out[-3000:]
    assert "ttl=10" in out, out[-3000:]
    assert changed(result) == 0
    assert lab.dcs_config()["ttl"] == before["ttl"]


def test_etcd_leadership_is_moved_off_the_primarys_host(lab):
    """A primary's host that also leads etcd would cost a whole extra lease on a host
    failure: the pgha-etcd-leader-away timer hands the raft leadership on."""
    lab.wait(lab.healthy, "a healthy cluster", timeout=120)
    primary = lab.leader()["name"]
    ids, etcd_leader = lab.etcd_members()
    since = f"@{int(time.time())}"
    if etcd_leader != primary:
        # Put the raft leadership where it must not stay.
        lab.etcd_move_leader(primary)
        assert lab.etcd_members()[1] == primary
    moved_to = lab.wait(lambda: (leader := lab.etcd_members()[1]) != primary and leader,
                        "the etcd leadership to leave the primary's host", timeout=60, interval=1)
    assert moved_to in lab.etcd
    assert lab.leader()["name"] == primary, "moving the etcd leadership changed the Patroni leader"
    said = lab.sh(primary, "journalctl", "--since", since, "-t", "pgha-etcd-leader-away", "--no-pager", "-o", "cat").stdout
    assert f"moved off the Patroni primary's host to member {ids[moved_to]}" in said


def test_etcd_is_defragmented_one_member_at_a_time(lab, tmp_path):
    """playbooks/etcd-defrag.yml: each member in turn (serial), each after a healthy cluster, its
    database size reported before and after; the cluster healthy at the end and Patroni's leader kept."""
    lab.wait(lab.healthy, "a healthy cluster", timeout=120)
    primary = lab.leader()["name"]
    result = ansible_playbook("playbooks/etcd-defrag.yml", tmp_path)
    out = result.stdout
    assert result.returncode == 0, out[-3000:]
    # serial: 1 runs the whole play for one member after the other, in inventory order.
    positions = [out.find(f"changed: [{member}]") for member in lab.etcd]
    assert min(positions) >= 0 and positions == sorted(positions), positions
    assert out.count("TASK [Defragment this member]") == len(lab.etcd)
    for member in lab.etcd:
        # The result is printed as YAML, which may fold the line anywhere.
        words = ["etcd", "member", f"{member}:", "database", r"\d+", "bytes", "before", "defragmenting,", r"\d+", "after"]
        said = r"\s+".join(words)
        assert re.search(said, out), member
    assert {host: counts["changed"] for host, counts in recap(out).items()} == {member: 1 for member in lab.etcd}
    assert lab.etcd_healthy()
    assert lab.leader()["name"] == primary
