"""Faults of the network between the database nodes."""

from __future__ import annotations

import time

from pgha_lab.context import Context, DrillError
from pgha_lab.registry import drill


@drill("partition", "3. primary cut off from the db nodes and etcd, healed", slow=True)
def partition(c: Context):
    """The primary's host cut off from the other database nodes (etcd client and peer ports,
    PostgreSQL) by `prohibit` routes, the proxies still reachable from it. The synchronous
    standby must be promoted and the isolated primary must stop being writable (it demotes
    itself when it cannot renew its lease); the routes are removed at the end."""
    lab = c.lab
    old, sync = lab.leader_and_sync()
    host = old["name"]
    peers = [h for h in lab.postgres if h != host]
    c.fault(f"{host} cut off from {', '.join(peers)} (database, etcd, replication), proxies still reachable")
    try:
        for peer in peers:
            lab.sh(host, "ip", "route", "add", "prohibit", f"{lab.addresses[peer]}/32")
        ports = (lab.etcd_client_port, lab.etcd_peer_port, lab.postgresql_port)
        blocked = all(not lab.tcp_open(host, lab.addresses[p], port) for p in peers for port in ports)
        proxies_ok = lab.tcp_open(host, lab.addresses[lab.proxies[0]], lab.write_port)
        c.check("partition really blocks etcd and PostgreSQL to the peers", blocked)
        c.check("proxies still reachable from the isolated primary", proxies_ok)
        if not blocked:
            raise DrillError("the partition does not block the peers")
        new = c.new_leader(old, timeout=180)
        t_new = time.monotonic()
        c.check("sync standby promoted", new["name"] == sync["name"])
        c.wait_writes()
        # The isolated node must have stopped accepting writes (demoted itself).
        lab.wait(lambda: c.load.sampler.writable(host) is not True, f"{host} to stop being writable", timeout=120, interval=0.2)
        until = c.load.sampler.writable_until(host)
        c.details.update(old_leader=host, new_leader=new["name"],
                         old_primary_writable_until_s=round(until - c.t_fault, 1) if until else None,
                         new_leader_seen_after_s=round(t_new - c.t_fault, 1))
    finally:
        c.heal(f"routes to {', '.join(peers)} removed on {host}")
        for peer in peers:
            lab.sh(host, "ip", "route", "del", "prohibit", f"{lab.addresses[peer]}/32", check=False)
