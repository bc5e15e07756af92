"""Failover on the lab: the primary's host is killed, the sync standby takes
over on a new timeline without losing the row, the old primary rejoins
without a re-clone, and the VIP survives the loss of HAProxy on its holder.

The tests run in file order and each leaves the cluster healthy.
"""

import time
import uuid

import pytest

state: dict = {}


def test_kill_the_primary_host_promotes_the_sync_standby(lab):
    lab.wait(lab.healthy, "a healthy cluster before the fault", timeout=120)
    members = lab.cluster()["members"]
    old = next(m for m in members if m["role"] == "leader")
    sync = next(m for m in members if m["role"] == "sync_standby")
    token = str(uuid.uuid4())
    lab.query(lab.write_port, "CREATE TABLE IF NOT EXISTS pgha_failover (token text PRIMARY KEY, at timestamptz DEFAULT now())")
    lab.query(lab.write_port, "INSERT INTO pgha_failover (token) VALUES (%s)", (token,))
    state.update(old=old["name"], timeline=old["timeline"], token=token, inode=lab.data_dir_inode(old["name"]))

    killed_at = time.monotonic()
    lab.docker("kill", old["name"])

    new = lab.wait(
        lambda: (leader := lab.leader(exclude=(old["name"],))) and leader["name"] != old["name"] and leader,
        "a new leader after the primary's host was killed",
        timeout=120,
    )
    assert new["name"] == sync["name"], "synchronous mode must promote the sync standby"
    # The promotion is complete once the new leader reports its new timeline.
    new = lab.wait(
        lambda: (leader := lab.leader(exclude=(old["name"],))) and leader["timeline"] > old["timeline"] and leader,
        f"{new['name']} to run on a timeline above {old['timeline']}",
        timeout=60,
    )

    def write_through_vip():
        lab.query(lab.write_port, "INSERT INTO pgha_failover (token) VALUES (%s)", (f"after-{token}",))
        return True

    lab.wait(write_through_vip, "a write accepted through VIP:5000 after failover", timeout=60, interval=0.5)
    state["write_gap_s"] = round(time.monotonic() - killed_at, 1)
    print(f"failover: kill -> first write through the VIP: {state['write_gap_s']} s")

    rows = lab.query(lab.write_port, "SELECT token FROM pgha_failover WHERE token IN (%s, %s)", (token, f"after-{token}"))
    assert sorted(r[0] for r in rows) == sorted([token, f"after-{token}"])
    state["new_timeline"] = new["timeline"]


def test_the_old_primary_rejoins_as_a_streaming_replica_without_reclone(lab):
    if "old" not in state:
        pytest.fail("the failover test did not run to its end; nothing to rejoin")
    old = state["old"]
    # The containers share the host kernel's boot id, so the journal's "this boot"
    # (-b) also holds the clone made at deploy time: read it from the restart on.
    since = f"@{int(time.time()) - 1}"
    lab.docker("start", old)

    def rejoined():
        members = {m["name"]: m for m in lab.cluster()["members"]}
        m = members.get(old)
        return m and m["role"] in ("replica", "sync_standby") and m["state"] == "streaming" and m
    member = lab.wait(rejoined, f"{old} to stream again", timeout=240, interval=2)
    assert member.get("timeline") == state["new_timeline"]
    assert lab.data_dir_inode(old) == state["inode"], "the data directory was re-created: a re-clone, not a rewind"

    log = lab.sh(old, "journalctl", "--since", since, "-u", "patroni", "--no-pager", "-o", "cat").stdout
    assert "replica has been created using basebackup" not in log
    print(f"{old} rejoined on timeline {member['timeline']}; pg_rewind ran: {'pg_rewind' in log}")

    [(found,)] = lab.query(lab.read_port, "SELECT count(*) FROM pgha_failover WHERE token = %s", (state["token"],))
    assert found == 1
    lab.wait(lab.healthy, "three healthy members after the rejoin", timeout=180)


def test_vip_moves_when_haproxy_stops_on_its_holder(lab):
    first, second = lab.proxies[0], lab.proxies[1]
    assert lab.holds_vip(first)
    lab.sh(first, "systemctl", "stop", "haproxy")
    try:
        lab.wait(lambda: lab.holds_vip(second) and not lab.holds_vip(first), f"the VIP to move to {second}", timeout=30, interval=0.5)
        [(in_recovery,)] = lab.wait(lambda: lab.query(lab.write_port, "SELECT pg_is_in_recovery()"), "VIP:5000 to answer from the second proxy", timeout=30)
        assert in_recovery is False
    finally:
        lab.sh(first, "systemctl", "start", "haproxy")
    lab.wait(lambda: lab.holds_vip(first), f"the VIP to return to {first}", timeout=30, interval=0.5)
