"""playbooks/remove-node.yml on the lab: the leader's host is taken out (switchover first,
then Patroni, its replication slot and its etcd member), a removal that would leave one
database member is refused before anything changes, and site.yml brings the host back as a
new etcd member and a replica."""

import json

from pgha_lab.playbook import ansible_playbook, recap


def unit_state(lab, host, unit) -> tuple[str, str]:
    active = lab.sh(host, "systemctl", "is-active", unit, check=False).stdout.strip()
    enabled = lab.sh(host, "systemctl", "is-enabled", unit, check=False).stdout.strip()
    return active, enabled


def test_remove_the_leaders_host_then_bring_it_back(lab, tmp_path):
    lab.wait(lab.healthy, "a healthy cluster", timeout=120)
    node = lab.leader()["name"]
    others = [h for h in lab.postgres if h != node]
    data_dir = lab.data_dir(node)

    result = ansible_playbook("playbooks/remove-node.yml", tmp_path, {"node": node})
    out = result.stdout
    assert result.returncode == 0, out[-3000:]

    leader = lab.wait(lab.leader, "a leader", timeout=60)["name"]
    assert leader in others
    assert sorted(lab.members()) == sorted(others)
    assert lab.etcd_member_names(leader) == sorted(others)
    health = json.loads(lab.etcdctl(leader, "--endpoints", ",".join(lab.etcd_endpoint(h) for h in others),
                                    "endpoint", "health", "-w", "json").stdout)
    assert len(health) == 2 and all(e["health"] for e in health), health
    # Patroni dropped the node's slot on the new leader; member_slots_ttl is back to Patroni's default.
    assert lab.psql(leader, f"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{node}'") == "0"
    config = lab.etcdctl(leader, "get", f"{lab.namespace}{lab.scope}/config", "--print-value-only").stdout
    assert "member_slots_ttl" not in json.loads(config)
    assert unit_state(lab, node, "patroni") == ("inactive", "disabled")
    assert unit_state(lab, node, "etcd") == ("inactive", "disabled")
    # Nothing is deleted: the etcd data is moved aside, PostgreSQL's data directory stays.
    moved = lab.sh(node, "sh", "-c", "ls -d /var/lib/etcd/member*").stdout.split()
    assert len(moved) == 1 and moved[0].startswith("/var/lib/etcd/member.removed-"), moved
    lab.sh(node, "test", "-f", f"{data_dir}/PG_VERSION")

    # Two database members left: removing one more is refused before anything changes.
    refused = ansible_playbook("playbooks/remove-node.yml", tmp_path, {"node": others[0]})
    assert refused.returncode != 0
    assert "failover needs two" in refused.stdout, refused.stdout[-3000:]
    assert all(counts["changed"] == 0 for counts in recap(refused.stdout).values())
    assert sorted(lab.members()) == sorted(others)

    # site.yml with the host still in the inventory: it joins etcd as a new member, Patroni as a replica.
    back = ansible_playbook("site.yml", tmp_path)
    assert back.returncode == 0, back.stdout[-3000:]
    assert lab.etcd_member_names(leader) == sorted(lab.etcd)
    assert lab.etcd_healthy()
    lab.wait(lab.healthy, f"{node} streaming again", timeout=180)
    assert lab.members()[node]["role"] in ("replica", "sync_standby", "quorum_standby")
