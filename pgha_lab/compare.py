"""Two drill results side by side, e.g. the same drills without and with TLS:

    .venv/bin/python -m pgha_lab.compare results/drills/plain-marks.json results/drills/tls-marks.json \
        --labels plain,TLS --out results/drills/tls-vs-plain.md

Per drill and profile: the median write gap of each (all runs), the difference, and the median
time from Patroni's action (the *new leader promoted* mark: a promotion, or the restart of a
crashed primary) to the first acknowledged write after the gap. That second number leaves out
when the fault fell within Patroni's HA loop (up to loop_wait seconds), which the write gap of a
few runs mostly measures in drills that wait for the next loop (postmaster_kill).
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from pgha_lab.metrics import group_runs

ACTION, FIRST_WRITE = "new leader promoted", "first write after the gap"


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.2f}" if signed else f"{value:.2f}"


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(b - a, 2)


def action_to_first_write(run: dict) -> float | None:
    """Seconds from Patroni's action to the writer's first acknowledgement after the gap, or None."""
    marks = run.get("timeline") or {}
    if ACTION in marks and FIRST_WRITE in marks:
        return round(marks[FIRST_WRITE] - marks[ACTION], 2)
    return None


def rows(base: list[dict], other: list[dict]) -> list[dict]:
    """One row per (drill, profile) measured in both, in the order of `other`."""
    a, b = group_runs(base), group_runs(other)
    out = []
    for key in (k for k in b if k in a):
        gaps = [[r["write_gap_s"] for r in runs if r.get("write_gap_s") is not None] for runs in (a[key], b[key])]
        acts = [[v for v in map(action_to_first_write, runs) if v is not None] for runs in (a[key], b[key])]
        medians = [_median(g) for g in gaps]
        act_medians = [_median(v) for v in acts]
        out.append({
            "drill": key[0], "profile": key[1], "title": b[key][0].get("title", key[0]),
            "runs": (len(a[key]), len(b[key])),
            "ok": (sum(bool(r.get("ok")) for r in a[key]), sum(bool(r.get("ok")) for r in b[key])),
            "gap": medians, "gap_diff": _diff(*medians),
            "action_to_write": act_medians, "action_to_write_diff": _diff(*act_medians),
            "action_runs": (len(acts[0]), len(acts[1])),
            "lost": (sum(r.get("lost_writes", 0) for r in a[key]), sum(r.get("lost_writes", 0) for r in b[key])),
        })
    return out


def markdown(base: dict, other: dict, labels: tuple[str, str], names: tuple[str, str]) -> str:
    la, lb = labels
    table = rows(base["runs"], other["runs"])
    lines = [
        f"# {lb} beside {la}",
        "",
        f"{la}: `{names[0]}` (measured {base.get('started', '?')} - {base.get('finished', '?')}); "
        f"{lb}: `{names[1]}` (measured {other.get('started', '?')} - {other.get('finished', '?')}).",
        "",
        "Seconds, medians over the runs (runs ok / runs in brackets). *write gap*: the longest interval between "
        "two acknowledged commits through VIP:5000 during the fault; *action to first write*: from Patroni's "
        "action (promotion, or the restart of a crashed primary, in the nodes' journals) to the first "
        "acknowledged write after the gap, which leaves out where in Patroni's HA loop the fault fell.",
        "",
        f"| drill | profile | {la}: write gap | {lb}: write gap | difference | {la}: action to first write "
        f"| {lb}: action to first write | difference | lost ({la} / {lb}) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table:
        lines.append(
            f"| {r['title']} | {r['profile']} "
            f"| {_fmt(r['gap'][0])} ({r['ok'][0]}/{r['runs'][0]}) | {_fmt(r['gap'][1])} ({r['ok'][1]}/{r['runs'][1]}) "
            f"| {_fmt(r['gap_diff'], signed=True)} "
            f"| {_fmt(r['action_to_write'][0])} | {_fmt(r['action_to_write'][1])} "
            f"| {_fmt(r['action_to_write_diff'], signed=True)} | {r['lost'][0]} / {r['lost'][1]} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pgha_lab.compare", description=__doc__.splitlines()[0])
    p.add_argument("base", help="the drills' JSON to compare against (e.g. without TLS)")
    p.add_argument("other", help="the drills' JSON compared (e.g. with TLS)")
    p.add_argument("--labels", default="base,other", help="names of the two, comma-separated (default base,other)")
    p.add_argument("--out", help="write the Markdown here instead of standard output")
    args = p.parse_args(argv)
    labels = tuple(x.strip() for x in args.labels.split(","))
    if len(labels) != 2 or not all(labels):
        p.error(f"--labels takes two names separated by a comma, got {args.labels!r}")
    docs = [json.loads(Path(f).read_text()) for f in (args.base, args.other)]
    text = markdown(docs[0], docs[1], labels, (args.base, args.other))
    if args.out:
        Path(args.out).write_text(text)
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
