"""The drills' results: one line per run for the log, and the Markdown report (with the JSON
of every run beside it) in results/drills/."""

from __future__ import annotations

import datetime
import json
import statistics
from pathlib import Path

from pgha_lab import profiles
from pgha_lab.inventory import role_default
from pgha_lab.lab import Lab
from pgha_lab.metrics import group_runs, stats
from pgha_lab.registry import drills
from pgha_lab.timeline import COLUMNS, POSTGRESQL_MARKS

_EXPLAIN_RUNS = (
    "Times in seconds, min / median / max over the runs. *write gap*: longest interval between two acknowledged "
    "commits of a client inserting a numbered row through VIP:5000 every 50 ms; *read gap*: the same for "
    "`SELECT` through VIP:5001; *fault*: from the fault until the drill heals it, *heal*: from there until the "
    "cluster is whole again (3 healthy Patroni members, etcd healthy, VIP on ha1). *lost*: acknowledged rows "
    "missing afterwards; *2 writable*: sampler rounds (every 200 ms, all nodes at once) in which two nodes "
    "answered `pg_is_in_recovery() = false`."
)

_EXPLAIN_TIMELINE = (
    "Where the seconds go: median offset in seconds from the fault (negative: before it) of each mark in the "
    "nodes' journals (*lease renewed*: the old leader's last HA loop before the fault, its lease runs ttl seconds "
    "from there; *etcd leader elected*: a raft election after the fault; *new leader promoted*: Patroni took the "
    "lock and promoted, or restarted the crashed primary; HAProxy marks from the proxy holding the VIP) and of the "
    "writer's acknowledgements around the longest gap."
)


def now() -> str:
    return f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC"


def summary(r: dict) -> str:
    """One run on one line."""
    return (
        f"{r['drill']}/{r['profile']}#{r['run']}: ok={r['ok']} write gap {r['write_gap_s']} s "
        f"(heal {r['write_gap_heal_s']}), read gap {r['read_gap_s']} s (heal {r['read_gap_heal_s']}), "
        f"lost {r['lost_writes']}/{r['writes_acknowledged']}, two writable {r['two_writable_ticks']}, "
        f"whole after {r['healthy_s']} s, write gaps > 1 s [offset, length] {r['write_gaps']}, read gaps {r['read_gaps']}, "
        f"checks {r['checks']}, details {r['details']}, timeline {r.get('timeline')}"
        + (f", error {r['error']}" if r["error"] else "")
    )


def _profile_line(name: str, values: dict) -> str:
    # Results stored before the profiles were inventory variables hold patroni_dcs_settings.
    dcs = values["patroni_dcs_settings"] if "patroni_dcs_settings" in values else profiles.dcs_settings(values)
    hap = {k.replace("haproxy_check_", ""): values.get(k) for k in
           ("haproxy_check_inter", "haproxy_check_fastinter", "haproxy_check_downinter", "haproxy_check_fall",
            "haproxy_check_rise")}
    params = dcs.get("postgresql", {}).get("parameters", {})
    return (f"- `{name}`: Patroni ttl {dcs['ttl']}, loop_wait {dcs['loop_wait']}, retry_timeout "
            f"{dcs['retry_timeout']}" + "".join(f", {k} {'(PostgreSQL default)' if v is None else v}" for k, v in params.items())
            + f"; HAProxy inter {hap['inter']}, fastinter {hap['fastinter'] or '(inter)'}, "
            f"downinter {hap['downinter'] or '(inter)'}, "
            f"fall {hap['fall']}, rise {hap['rise']}, retries {values.get('haproxy_retries', role_default('haproxy_retries'))}")


def markdown(report: dict) -> str:
    """The report: the table of every drill and profile, the timeline table, the profiles, the failed runs."""
    titles = {name: d.title for name, d in drills().items()}
    lines = [
        "# Fault drills",
        "",
        f"Measured {report['started']} – {report['finished']} on the lab (inventory/lab: 3 database nodes, "
        f"2 proxies, Docker containers on one 2-core machine). {report['versions']}",
        "",
        "Reproduce:",
        "",
        "```sh",
        report["command"],
        "```",
        "",
        _EXPLAIN_RUNS,
        "",
        "| drill | profile | runs ok | write gap: fault | write gap: heal | read gap: fault | read gap: heal "
        "| lost acked writes | 2 writable | whole again after |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    groups = group_runs(report["runs"])
    for (name, profile), runs in groups.items():
        lines.append(
            f"| {titles[name]} | {profile} | {sum(r['ok'] for r in runs)}/{len(runs)} "
            f"| {stats(r['write_gap_s'] for r in runs)} | {stats(r['write_gap_heal_s'] for r in runs)} "
            f"| {stats(r['read_gap_s'] for r in runs)} | {stats(r['read_gap_heal_s'] for r in runs)} "
            f"| {sum(r['lost_writes'] for r in runs)} of {sum(r['writes_acknowledged'] for r in runs)} "
            f"| {sum(r['two_writable_ticks'] for r in runs)} | {stats(r['healthy_s'] for r in runs)} |"
        )
    rows = []
    for (name, profile), runs in groups.items():
        marks = [r.get("timeline") or {} for r in runs]
        if not any(m.get(mark) is not None for m in marks for mark in ("new leader promoted", "sync standby connected")):
            continue
        cells = []
        for column in COLUMNS:
            values = [m[column] for m in marks if isinstance(m.get(column), (int, float))]
            cells.append(f"{statistics.median(values):.1f} ({len(values)})" if values else "-")
        rows.append((f"{titles[name]} | {profile}", cells))
    # A PostgreSQL mark no run found is left out (the reports of runs measured before they existed stay as they were).
    shown = [i for i, column in enumerate(COLUMNS)
             if column not in POSTGRESQL_MARKS or any(cells[i] != "-" for _row, cells in rows)]
    lines += [
        "",
        _EXPLAIN_TIMELINE,
        "",
        "| drill | profile | " + " | ".join(COLUMNS[i] for i in shown) + " |",
        "|---|---|" + "---|" * len(shown),
    ]
    lines += [f"| {row} | " + " | ".join(cells[i] for i in shown) + " |" for row, cells in rows]
    if any(COLUMNS[i] in POSTGRESQL_MARKS for i in shown):
        lines += ["", "From PostgreSQL's log on the leader after the fault: *leader accepts connections*: its postmaster "
                  "is ready; *sync standby connected*: the first standby its commits can wait for (synchronous, or a "
                  "quorum candidate) is connected."]
    lines += ["", "(n): runs in which the mark was found.", "", "Profiles:", ""]
    lines += [_profile_line(name, values) for name, values in report["profiles"].items()]
    failed = [r for r in report["runs"] if not r["ok"]]
    lines += ["", f"Failed runs: {len(failed)}."]
    for r in failed:
        lines.append(f"- {r['drill']}/{r['profile']}#{r['run']}: checks {r['checks']}, error {r['error']}")
    lines += ["", "Every run with its details: `" + report["json"] + "`.", ""]
    return "\n".join(lines)


def versions(lab: Lab) -> str:
    """Patroni's, etcd's, PostgreSQL's and HAProxy's versions on the lab, as one sentence."""
    host = lab.postgres[0]
    parts = []
    for argv in (["patroni", "--version"], ["etcd", "--version"]):
        out = lab.sh(host, *argv, check=False).stdout.strip().splitlines()
        parts.append(out[0] if out else "?")
    parts.append(lab.query(lab.write_port, "SHOW server_version")[0][0].split()[0])
    hap = lab.sh(lab.proxies[0], "haproxy", "-v", check=False).stdout.strip().splitlines()
    parts.append(hap[0] if hap else "?")
    return "Versions: " + "; ".join(f"`{p}`" for p in parts) + "."


def write(report: dict, json_path: Path, md_path: Path) -> None:
    """Stamp the report finished now and write both files."""
    report["finished"] = now()
    json_path.write_text(json.dumps(report, indent=1) + "\n")
    md_path.write_text(markdown(report))
