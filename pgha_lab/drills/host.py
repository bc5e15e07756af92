"""Faults of a whole database host: the container killed."""

from __future__ import annotations

import time

from pgha_lab.context import Context
from pgha_lab.registry import drill


@drill("kill_primary", "1+8. primary's host killed (docker kill), restarted: rejoins by pg_rewind", slow=True)
def kill_primary(c: Context):
    """`docker kill` of the primary's host. The synchronous standby must be promoted; once
    writes flow again the host is started and must rejoin on the new timeline without a
    re-clone (same PG_VERSION inode, no basebackup in Patroni's log since the restart)."""
    lab = c.lab
    old, sync = lab.leader_and_sync()
    inode = lab.data_dir_inode(old["name"])
    c.fault(f"docker kill {old['name']} (the primary's host)")
    lab.docker("kill", old["name"])
    new = c.new_leader(old)
    c.check("sync standby promoted", new["name"] == sync["name"])
    c.wait_writes()
    c.heal(f"docker start {old['name']}")
    # The containers share the kernel's boot id: "this boot" of the journal is
    # older than the container, so the log is read from the restart on.
    since = f"@{int(time.time()) - 1}"
    lab.docker("start", old["name"])

    # A node that had written nothing past the fork point needs no pg_rewind: it starts
    # as a replica on its old timeline and switches to the new one once streaming.
    def rejoined():
        m = lab.members().get(old["name"])
        return (m and m["role"] in ("replica", "sync_standby") and m["state"] == "streaming"
                and m.get("timeline") == new["timeline"] and m)
    try:
        member = lab.wait(rejoined, f"{old['name']} to stream on timeline {new['timeline']}", timeout=240, interval=1)
    except AssertionError:
        member = lab.members().get(old["name"]) or {"timeline": None}
    log_text = lab.sh(old["name"], "journalctl", "--since", since, "-u", "patroni", "--no-pager", "-o", "cat", check=False).stdout
    c.check("rejoined on the new timeline", member["timeline"] == new["timeline"])
    c.check("rejoined without re-clone (same PG_VERSION inode)", lab.data_dir_inode(old["name"]) == inode)
    c.check("no basebackup in Patroni's log since the restart", "replica has been created using basebackup" not in log_text)
    c.details.update(old_leader=old["name"], new_leader=new["name"], timeline=f"{old['timeline']}->{new['timeline']}",
                     pg_rewind_in_log="pg_rewind" in log_text)


@drill("kill_primary_etcd_leader", "1b. as 1, the host also leading etcd's raft (leader placement timer stopped)",
       slow=True, in_all=False)
def kill_primary_etcd_leader(c: Context):
    """What the pgha-etcd-leader-away timer avoids: the primary's host also leads etcd's raft
    when it dies. The timer is stopped on every database node, the raft leadership moved to the
    primary's host, then kill_primary runs; the timer is started again at the end."""
    lab = c.lab
    old, _sync = lab.leader_and_sync()
    try:
        for host in lab.postgres:
            lab.sh(host, "systemctl", "stop", "pgha-etcd-leader-away.timer")
        lab.etcd_move_leader(old["name"])
        c.check("etcd leader placed on the primary's host", lab.etcd_leader() == old["name"])
        kill_primary(c)
    finally:
        for host in lab.postgres:
            if lab.running(host):
                lab.sh(host, "systemctl", "start", "pgha-etcd-leader-away.timer", check=False)
