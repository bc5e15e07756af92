"""Planned operations through the project's playbooks, under load."""

from __future__ import annotations

import dataclasses

from pgha_lab.context import Context
from pgha_lab.registry import drill


def _playbook_outcome(c: Context, result, prefix: str = "", **details):
    c.details.update(details, **{f"{prefix}playbook_rc": result.returncode})
    if result.returncode != 0:
        c.details[f"{prefix}playbook_tail"] = result.stdout[-1500:]


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


def _rotate(c: Context, rotate_ca: bool):
    lab = c.lab
    ca_before = lab.controller_ca()
    before = lab.served_certificates()
    extra = {"pgha_tls_rotate_ca": True} if rotate_ca else None
    c.fault("playbooks/rotate-certs.yml" + (" -e pgha_tls_rotate_ca=true" if rotate_ca else ""))
    result = lab.playbook("playbooks/rotate-certs.yml", c.workdir, extra)
    c.check("rotation playbook succeeded", result.returncode == 0)
    after = lab.served_certificates()
    renewed = all(after.get(k) not in (None, v) for k, v in before.items())
    c.check("every TLS endpoint serves a new certificate", bool(before) and renewed)
    c.check("every endpoint verifies against the cluster CA", lab.endpoints_verify())
    if rotate_ca:
        c.check("the cluster CA is a new one", lab.controller_ca() != ca_before)
    c.wait_writes()
    _playbook_outcome(c, result, endpoints=sorted(f"{h}:{p}" for h, p in before))


@drill("rotate_certs", "renew every host certificate (playbooks/rotate-certs.yml)", in_all=False)
def rotate_certs(c: Context):
    """playbooks/rotate-certs.yml: every host certificate re-issued and served (etcd, Patroni's REST
    API, HAProxy's stats page) without a restart of PostgreSQL, writes going on."""
    _rotate(c, rotate_ca=False)


@drill("rotate_ca", "renew the CA and every certificate (playbooks/rotate-certs.yml -e pgha_tls_rotate_ca=true)",
       in_all=False)
def rotate_ca(c: Context):
    """playbooks/rotate-certs.yml -e pgha_tls_rotate_ca=true: a new CA, every certificate re-issued by it,
    the old CA no longer trusted, writes going on."""
    _rotate(c, rotate_ca=True)


@drill("tls_switch", "TLS off then on again on the running cluster (site.yml)", in_all=False, any_scheme=True)
def tls_switch(c: Context):
    """site.yml with pgha_tls_enabled: false and pgha_tls_allow_downgrade: true moves the running TLS
    cluster to plain connections, then site.yml with TLS on moves it back (playbooks/tls-switch.yml),
    the clients (sslmode=prefer) writing throughout. Both runs must succeed; in between, etcd and
    Patroni's REST API answer over plain HTTP without certificates and PostgreSQL serves without TLS;
    at the end every endpoint serves TLS verified against the cluster CA. The write gap of the move to
    plain is write_gap_s, that of the move to TLS write_gap_heal_s."""
    lab = c.lab
    plain = dataclasses.replace(lab, tls=False)
    c.fault("site.yml -e pgha_tls_enabled=false -e pgha_tls_allow_downgrade=true")
    off = lab.playbook("site.yml", c.workdir, {"pgha_tls_enabled": False, "pgha_tls_allow_downgrade": True})
    c.check("site.yml turning TLS off succeeded", off.returncode == 0)
    _playbook_outcome(c, off, prefix="off_")
    plain.wait(plain.whole, "a whole cluster over plain HTTP (etcd, Patroni's REST API)", timeout=300, interval=2)
    with plain.connect(lab.write_port, sslmode="disable") as conn:
        c.check("PostgreSQL serves without TLS", conn.execute("SHOW ssl").fetchone()[0] == "off")
    c.heal("site.yml (TLS on again)")
    on = lab.playbook("site.yml", c.workdir)
    c.check("site.yml turning TLS on succeeded", on.returncode == 0)
    lab.wait(lab.whole, "a whole cluster over TLS", timeout=300, interval=2)
    c.check("every endpoint verifies against the cluster CA", lab.endpoints_verify())
    with lab.connect(lab.write_port) as conn:
        c.check("PostgreSQL serves over verified TLS", conn.execute("SHOW ssl").fetchone()[0] == "on")
    c.wait_writes()
    _playbook_outcome(c, on)
