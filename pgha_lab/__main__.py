"""Fault drills on the lab: measured failover times and proof that no acknowledged write is lost.

    .venv/bin/python -m pgha_lab [--drills all] [--repeat 3] [--profiles reference,fast]

While a client load runs through the VIP (pgha_lab.load), each drill (pgha_lab.drills) injects
one fault into a whole cluster, lets the cluster heal itself, and measures:

- write unavailability: the longest interval between two acknowledged commits of a writer that
  inserts a numbered row through the VIP's write port every 50 ms (own connection, reconnect on
  failure, 2 s connect timeout);
- read unavailability: the same for a reader on the read port;
- acknowledged writes lost: every acknowledged row must be readable through the write port afterwards;
- two writable primaries: a sampler asks pg_is_in_recovery() of every database node directly
  (all nodes at once, every 200 ms) and counts the rounds in which more than one answered false;
- time back to a whole cluster (Patroni leader + sync standby + streaming replica on one
  timeline, every etcd member healthy, the VIP on the first proxy).

Where the seconds go: after each drill the nodes' journals are read for the marks of a failover
(pgha_lab.timeline). The gaps are split in two phases: "fault" (from the fault to the moment the
drill heals it: restart of the killed host, route removal, ...) and "heal" (from there until the
cluster is whole again).

Profiles (inventory/profiles/<name>.yml) are applied with the project's own playbooks
(pgha_lab.profiles); the reference profile is restored at the end. Results:
results/drills/<name>.md and .json (pgha_lab.report).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from pgha_lab import ROOT, log, profiles
from pgha_lab.registry import default_names, drills
from pgha_lab.report import now, versions, write
from pgha_lab.runner import Runner

RESULTS_DIR = ROOT / "results" / "drills"


def parser() -> argparse.ArgumentParser:
    registry = drills()
    p = argparse.ArgumentParser(
        prog="python -m pgha_lab",
        description="Fault drills on the lab with a client load through the VIP; writes results/drills/<name>.md and .json.",
        epilog="Drills: " + "; ".join(f"{k}: {v.title}" for k, v in registry.items()),
    )
    p.add_argument("--drills", default="all",
                   help="comma-separated drill names, or 'all' (default: every drill but "
                        + ", ".join(sorted(n for n, d in registry.items() if not d.in_all)) + ")")
    p.add_argument("--repeat", type=int, default=3, help="runs of each drill per profile (default 3)")
    p.add_argument("--repeat-slow", type=int, default=None,
                   help="runs of the slow drills (" + ", ".join(n for n, d in registry.items() if d.slow) + "); default: --repeat")
    p.add_argument("--profiles", default="reference",
                   help="comma-separated profiles from inventory/profiles/ (e.g. reference,fast); "
                        "the reference profile is restored at the end")
    p.add_argument("--out", default=str(RESULTS_DIR), help="directory for the results (default results/drills)")
    p.add_argument("--name", default="latest", help="file name of the results, without suffix (default latest)")
    p.add_argument("--list", action="store_true", help="list the drills with what each does, and exit")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    cli = parser()
    args = cli.parse_args(argv)
    registry = drills()

    if args.list:
        for name, d in registry.items():
            print(f"{name:30} {d.title}")
            print("".join(f"{'':30} {line}\n" for line in d.doc.splitlines()))
        return 0
    names = default_names() if args.drills == "all" else [n.strip() for n in args.drills.split(",") if n.strip()]
    unknown = [n for n in names if n not in registry]
    chosen = [p.strip() for p in args.profiles.split(",") if p.strip()]
    missing = [p for p in chosen if not profiles.exists(p)]
    if unknown or missing:
        cli.error(f"unknown drills {unknown} or profiles {missing} (see --list and inventory/profiles/)")
    for p in chosen:
        try:
            profiles.check(p)
        except profiles.ProfileError as exc:
            cli.error(str(exc))

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / f"{args.name}.json", out / f"{args.name}.md"
    runner = Runner()
    runner.prepare()
    report = {
        "command": (".venv/bin/python -m pgha_lab " + " ".join(shlex.quote(a) for a in argv)).strip(),
        "started": now(),
        "finished": None,
        "versions": versions(runner.lab),
        "profiles": {p: profiles.load(p) for p in chosen},
        "json": str(json_path.relative_to(ROOT)) if json_path.is_absolute() and ROOT in json_path.parents else str(json_path),
        "runs": [],
    }

    applied = None
    try:
        for profile in chosen:
            if runner.profile_applied(profile):
                log(f"profile {profile} already in place")
            else:
                applied = profile
                runner.apply_profile(profile)
            applied = profile
            for name in names:
                runs = args.repeat_slow if (registry[name].slow and args.repeat_slow is not None) else args.repeat
                for i in range(1, runs + 1):
                    report["runs"].append(runner.run(name, profile, i))
                    write(report, json_path, md_path)
    finally:
        if applied not in (None, "reference"):
            runner.apply_profile("reference")
        write(report, json_path, md_path)
    print(md_path.read_text())
    return 0 if all(r["ok"] for r in report["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
