"""Where the seconds go: the marks of a failover read from the nodes' journals once a drill is over.

The containers share the host's clock. Offsets are seconds from the fault; "lease renewed" is
the old leader's last HA loop before it (the lease then runs for ttl seconds).
"""

from __future__ import annotations

import json
import re

from pgha_lab.lab import Lab
from pgha_lab.metrics import end_of_longest_gap

# name, hosts ("old"/"new" leader, "db", "proxy"), journalctl selector, pattern, first or last
MARKS = (
    ("lease renewed", "old", ("-u", "patroni"), r"the leader with the lock", "last before"),
    ("etcd leader elected", "db", ("-u", "etcd"), r"elected leader", "first after"),
    ("new leader promoted", "new", ("-u", "patroni"), r"promoted self to leader|starting primary after failure", "first after"),
    # PostgreSQL's own log (stderr, in Patroni's journal): the leader's postmaster accepts connections,
    # and the first standby its commits can wait for is connected (synchronous, or a quorum candidate).
    ("leader accepts connections", "new", ("-u", "patroni"), r"database system is ready to accept connections", "first after"),
    ("sync standby connected", "new", ("-u", "patroni"), r"is now a (synchronous standby|candidate for quorum)", "first after"),
    ("HAProxy: old primary DOWN", "proxy", ("-t", "haproxy"), r"postgres_primary/{old} is DOWN", "first after"),
    ("HAProxy: new primary UP", "proxy", ("-t", "haproxy"), r"postgres_primary/{new} is UP", "first after"),
)

#: The marks read from PostgreSQL's log (since 2026-12-01; absent from the runs measured before).
POSTGRESQL_MARKS = ("leader accepts connections", "sync standby connected")

#: The columns of the report's timeline table, in the order a failover passes them.
COLUMNS = ("lease renewed", "last write before", "etcd leader elected", "new leader promoted",
           "leader accepts connections", "sync standby connected",
           "HAProxy: old primary DOWN", "HAProxy: new primary UP", "first write after the gap")


def journal(lab: Lab, host: str, selector: tuple[str, ...], since: float, until: float) -> list[tuple[float, str]]:
    """(wall-clock time, message) of the journal entries of `host` chosen by `selector` in [since, until]."""
    out = lab.sh(host, "journalctl", "--no-pager", "-o", "json", "--since", f"@{int(since)}", "--until",
                 f"@{int(until) + 1}", *selector, check=False, timeout=30).stdout
    entries = []
    for line in out.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        message = entry.get("MESSAGE")
        if isinstance(message, str):
            entries.append((int(entry["__REALTIME_TIMESTAMP"]) / 1e6, message))
    return entries


def timeline(lab: Lab, wall_fault: float, t_fault: float, leaders: tuple[str | None, str | None],
             write_acks: list[float], t_end: float) -> dict[str, float]:
    """Offsets (s from the fault, at wall-clock wall_fault and monotonic t_fault) of the MARKS
    (leaders: the old and the new Patroni leader), and of the writer's last acknowledgement
    before the fault and the first one after its gap; sorted by offset."""
    old, new = leaders
    since, until = wall_fault - 30, wall_fault + (t_end - t_fault) + 1
    hosts = {"old": [old] if old else [], "new": [new] if new else [], "db": list(lab.postgres),
             "proxy": [lab.vip_holder()]}
    marks: dict[str, float] = {}
    for name, which, selector, pattern, pick in MARKS:
        regex = re.compile(pattern.format(old=old, new=new))
        times = sorted(t for h in hosts[which] if lab.running(h)
                       for t, msg in journal(lab, h, selector, since, until) if regex.search(msg))
        if pick == "last before":
            times = [t for t in times if t <= wall_fault][-1:]
        else:
            times = [t for t in times if t > wall_fault][:1]
        if times:
            marks[name] = round(times[0] - wall_fault, 2)
    before = [t for t in sorted(write_acks) if t <= t_fault]
    if before:
        marks["last write before"] = round(before[-1] - t_fault, 2)
    first_after = end_of_longest_gap(write_acks, t_fault)
    if first_after is not None:
        marks["first write after the gap"] = round(first_after - t_fault, 2)
    return dict(sorted(marks.items(), key=lambda kv: kv[1]))
