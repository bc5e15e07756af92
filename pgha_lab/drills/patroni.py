"""Faults of Patroni and of the PostgreSQL it runs, on the primary."""

from __future__ import annotations

from pgha_lab.context import Context
from pgha_lab.registry import drill


@drill("stop_patroni", "2. Patroni stopped on the primary, started again")
def stop_patroni(c: Context):
    """`systemctl stop patroni` on the primary: Patroni stops PostgreSQL and releases the
    leader key, so the synchronous standby must be promoted at once. Patroni is started
    again once writes flow."""
    lab = c.lab
    old, sync = lab.leader_and_sync()
    c.fault(f"systemctl stop patroni on {old['name']}")
    lab.sh(old["name"], "systemctl", "stop", "patroni", timeout=120)
    new = c.new_leader(old)
    c.check("sync standby promoted", new["name"] == sync["name"])
    c.wait_writes()
    c.heal(f"systemctl start patroni on {old['name']}")
    lab.sh(old["name"], "systemctl", "start", "patroni")
    c.details.update(old_leader=old["name"], new_leader=new["name"])


@drill("postmaster_kill", "2b. postmaster killed (kill -9) on the primary: Patroni restarts it in place")
def postmaster_kill(c: Context):
    """`kill -9` of the primary's postmaster. Patroni still holds the leader lock and must
    restart PostgreSQL in place (crash recovery): same leader, same timeline, no failover."""
    lab = c.lab
    old, _sync = lab.leader_and_sync()
    pid_file = f"{lab.data_dir(old['name'])}/postmaster.pid"
    pid = lab.sh(old["name"], "head", "-n", "1", pid_file).stdout.strip()
    c.fault(f"kill -9 of the postmaster (pid {pid}) on the primary {old['name']}")
    lab.sh(old["name"], "kill", "-9", pid)

    def restarted():
        # A running leader that reports its timeline again: right after the restart Patroni's
        # /cluster can list the leader as running before PostgreSQL answers the timeline query.
        leader = lab.leader()
        new_pid = lab.sh(old["name"], "head", "-n", "1", pid_file, check=False).stdout.strip()
        return leader if leader and "timeline" in leader and new_pid not in ("", pid) else None
    leader = lab.wait(restarted, f"PostgreSQL restarted on {old['name']}", timeout=120, interval=0.2)
    c.check("same leader, no failover", leader["name"] == old["name"])
    c.check("same timeline", leader["timeline"] == old["timeline"])
    c.wait_writes()
    c.details.update(old_leader=old["name"], new_leader=leader["name"], timeline=leader["timeline"])
