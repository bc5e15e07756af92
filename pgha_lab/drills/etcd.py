"""Faults of etcd, the DCS."""

from __future__ import annotations

import time

from pgha_lab import log
from pgha_lab.context import Context
from pgha_lab.registry import drill


@drill("etcd_leader_kill", "4a. etcd raft leader killed (SIGKILL)")
def etcd_leader_kill(c: Context):
    """SIGKILL of the etcd member leading the raft. etcd elects another leader, systemd
    restarts the member (Restart= of the etcd unit), and the Patroni leader must not change."""
    lab = c.lab
    leader_before = lab.leader()
    target = lab.etcd_leader()
    c.fault(f"systemctl kill -s KILL etcd on {target} (the etcd raft leader)")
    lab.sh(target, "systemctl", "kill", "-s", "KILL", "etcd")
    time.sleep(3)
    # systemd restarts the member within 100 ms: it may win the next election again.
    new_etcd_leader = lab.wait(lab.etcd_leader, "an etcd leader", timeout=60)
    c.wait_writes()
    # Recovery is systemd's (Restart= of the etcd unit): no action here.
    lab.wait(lab.etcd_healthy, f"etcd on {target} to be restarted by systemd and healthy", timeout=120, interval=1)
    restarts = lab.sh(target, "systemctl", "show", "-p", "NRestarts", "--value", "etcd", check=False).stdout.strip()
    c.check("Patroni leader unchanged", lab.leader()["name"] == leader_before["name"])
    c.details.update(etcd_leader_killed=target, new_etcd_leader=new_etcd_leader, etcd_unit_restarts=restarts)


@drill("etcd_member_down_switchover", "4b. one etcd member stopped during a switchover")
def etcd_member_down_switchover(c: Context):
    """playbooks/switchover.yml to the synchronous standby, with etcd stopped on the leader's
    host once the playbook reaches its switchover task: the switchover must still succeed
    with two of three etcd members. etcd is started again at the end."""
    lab = c.lab
    old, sync = lab.leader_and_sync()
    target = old["name"]  # the etcd member beside the Patroni leader that must hand its lock over
    c.fault(f"switchover {old['name']} -> {sync['name']} (playbooks/switchover.yml) with etcd stopped on {target} once it runs")
    proc, lines, reader = lab.start_playbook("playbooks/switchover.yml", c.workdir, {"candidate": sync["name"]})
    lab.wait(lambda: any("TASK [Switch over" in ln for ln in lines) or proc.poll() is not None,
             "the playbook to reach its switchover task", timeout=180, interval=0.1)
    lab.sh(target, "systemctl", "stop", "etcd")
    log(f"  etcd stopped on {target}")
    rc = proc.wait(timeout=600)
    reader.join(timeout=10)
    c.check("switchover playbook succeeded with one etcd member down", rc == 0)
    new = lab.leader()
    c.check("sync standby leads", new is not None and new["name"] == sync["name"])
    c.wait_writes()
    c.heal(f"systemctl start etcd on {target}")
    lab.sh(target, "systemctl", "start", "etcd")
    c.details.update(old_leader=old["name"], new_leader=new and new["name"], etcd_stopped=target, playbook_rc=rc)
    if rc != 0:
        c.details["playbook_tail"] = "".join(lines[-15:])
