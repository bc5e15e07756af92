"""A database host rebuilt with empty disks comes back with site.yml alone: its old etcd
member is removed and a new one added (as a learner, promoted once caught up), and Patroni
clones PostgreSQL from the primary. The rows written before are on the rebuilt node."""

import uuid

from pgha_lab.playbook import ansible_playbook, recap


def test_a_wiped_database_node_comes_back_with_site_yml_alone(lab, tmp_path):
    lab.wait(lab.healthy, "a healthy cluster", timeout=120)
    leader = lab.leader()["name"]
    victim = next(h for h in lab.etcd if h != leader and h in lab.members())
    mark = uuid.uuid4().hex
    lab.query(lab.write_port, "CREATE TABLE IF NOT EXISTS pgha_rebuilt (mark text)")
    lab.query(lab.write_port, "INSERT INTO pgha_rebuilt VALUES (%s)", (mark,))
    old_ids = lab.etcd_members()[0]

    # The host's disks are gone: no etcd data, no PostgreSQL data directory.
    lab.sh(victim, "systemctl", "stop", "patroni", "etcd")
    lab.sh(victim, "sh", "-c", "rm -rf /var/lib/etcd/* " + lab.data_dir(victim))
    assert lab.sh(victim, "test", "-e", lab.data_dir(victim), check=False).returncode == 1

    result = ansible_playbook("site.yml", tmp_path)
    out = result.stdout
    assert result.returncode == 0, out[-3000:]
    assert f"TASK [pgha.cluster.etcd : Add to the etcd cluster as a learner {victim}]" in out
    # Only the rebuilt member changed (the join's run-once tasks report under the play's first host).
    counts = {host: c["changed"] for host, c in recap(out).items()}
    assert all(n == 0 for host, n in counts.items() if host not in (victim, lab.etcd[0])), counts

    new_ids = lab.etcd_members()[0]
    assert new_ids[victim] != old_ids[victim], "the rebuilt host runs a new etcd member"
    assert {h: i for h, i in new_ids.items() if h != victim} == {h: i for h, i in old_ids.items() if h != victim}
    assert lab.etcd_member_names(leader) == sorted(lab.etcd)
    assert lab.etcd_healthy()
    lab.wait(lab.healthy, "the rebuilt replica streaming", timeout=180)
    assert lab.members()[victim]["state"] == "streaming"
    lab.wait(lambda: lab.psql(victim, f"SELECT count(*) FROM pgha_rebuilt WHERE mark = '{mark}'") == "1",
             f"the row written before the rebuild on {victim}", timeout=60)

    again = ansible_playbook("site.yml", tmp_path)
    assert again.returncode == 0, again.stdout[-3000:]
    assert {host: c["changed"] for host, c in recap(again.stdout).items()} == {h: 0 for h in recap(again.stdout)}
