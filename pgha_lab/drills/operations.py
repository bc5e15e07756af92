"""Planned operations through the project's playbooks, under load."""

from __future__ import annotations

from pgha_lab.context import Context
from pgha_lab.registry import drill


def _playbook_outcome(c: Context, result, **details):
    c.details.update(details, playbook_rc=result.returncode)
    if result.returncode != 0:
        c.details["playbook_tail"] = result.stdout[-1500:]


@drill("switchover", "6. planned switchover (playbooks/switchover.yml)")
def switchover(c: Context):
    """playbooks/switchover.yml to the synchronous standby: the playbook must succeed and the
    standby must lead afterwards."""
    lab = c.lab
    old, sync = lab.leader_and_sync()
    c.fault(f"playbooks/switchover.yml -e candidate={sync['name']}")
    result = lab.playbook("playbooks/switchover.yml", c.workdir, {"candidate": sync["name"]})
    c.check("switchover playbook succeeded", result.returncode == 0)
    new = lab.leader()
    c.check("sync standby leads", new is not None and new["name"] == sync["name"])
    c.wait_writes()
    _playbook_outcome(c, result, old_leader=old["name"], new_leader=new and new["name"])


@drill("switchover_async_refused", "7. switchover to the async replica: refused, nothing changes")
def switchover_async_refused(c: Context):
    """playbooks/switchover.yml to the asynchronous replica: the playbook must fail naming the
    candidate, and the leader, its timeline and every member's role must stay as they were."""
    lab = c.lab
    members = lab.members()
    old = next(m for m in members.values() if m["role"] == "leader")
    replica = next(n for n, m in members.items() if m["role"] == "replica")
    c.fault(f"playbooks/switchover.yml -e candidate={replica} (the asynchronous replica)")
    result = lab.playbook("playbooks/switchover.yml", c.workdir, {"candidate": replica})
    after = lab.leader()
    c.check("refused (playbook failed)", result.returncode != 0)
    c.check("refusal names the candidate", replica in result.stdout)
    c.check("same leader", after is not None and after["name"] == old["name"])
    c.check("same timeline", after is not None and after["timeline"] == old["timeline"])
    c.check("same roles", {n: m["role"] for n, m in lab.members().items()} == {n: m["role"] for n, m in members.items()})
    c.details.update(leader=old["name"], candidate=replica, playbook_rc=result.returncode)


@drill("rolling_restart", "rolling restart (playbooks/restart.yml)")
def rolling_restart(c: Context):
    """playbooks/restart.yml: every member's PostgreSQL restarted (new postmaster start time),
    the leader handed over to a standby, without losing an acknowledged write."""
    lab = c.lab
    old, sync = lab.leader_and_sync()
    started = {h: lab.patroni(h)["postmaster_start_time"] for h in lab.postgres}
    c.fault("playbooks/restart.yml (rolling restart)")
    result = lab.playbook("playbooks/restart.yml", c.workdir)
    c.check("restart playbook succeeded", result.returncode == 0)
    new = lab.leader()
    # The playbook hands over to whichever member is the sync standby at that moment:
    # restarting the sync standby may have made Patroni pick the other replica.
    c.check("leader moved off the former leader", new is not None and new["name"] != old["name"])
    restarted = {h: lab.patroni(h)["postmaster_start_time"] != started[h] for h in lab.postgres}
    c.check("every member restarted", all(restarted.values()))
    c.wait_writes()
    _playbook_outcome(c, result, old_leader=old["name"], sync_before=sync["name"], new_leader=new and new["name"],
                      restarted=restarted)
