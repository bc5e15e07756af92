"""What the cluster costs, measured with pgbench on the lab (a tool, not a test):

    .venv/bin/python -m pgha_lab.bench [--seconds 20] [--rounds 3] [--clients 8] [--scale 10]   (make bench)

Side by side in one run, against the same primary and the same pgbench tables:

- through the VIP's write port (HAProxy, TCP) against directly to the primary's PostgreSQL port,
  with persistent connections: what the front door costs;
- synchronous commit as deployed (each commit waits for the synchronous standby) against
  ``synchronous_commit = local`` (the commit durable on the primary alone, as on a single server):
  what synchronous replication costs;
- a new connection per transaction (``pgbench -C``, TLS handshake and authentication each time)
  through the VIP and directly: why a pooler matters.

pgbench runs on the controller, which the lab admits to both ports (its traffic stays on the
lab's bridge), with TLS verified against the lab's CA and the password in the environment.
Results: results/bench/<name>.md and .json, with the command line of every case.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys

from pgha_lab import ROOT, log
from pgha_lab.lab import Lab
from pgha_lab.report import now

RESULTS_DIR = ROOT / "results" / "bench"
DATABASE = "pgha_bench"

#: (key, what it measures, path, synchronous_commit, a connection per transaction)
CASES = (
    ("direct_sync", "direct to the primary, synchronous commit", "direct", None, False),
    ("vip_sync", "VIP write port (HAProxy), synchronous commit", "vip", None, False),
    ("direct_local", "direct to the primary, commit local only", "direct", "local", False),
    ("vip_local", "VIP write port (HAProxy), commit local only", "vip", "local", False),
    ("direct_connect", "direct, a new connection per transaction (-C)", "direct", None, True),
    ("vip_connect", "VIP write port, a new connection per transaction (-C)", "vip", None, True),
)


def parse(out: str) -> dict:
    """The summary pgbench prints (it has no machine-readable output): tps, latency, counts."""
    def number(pattern):
        match = re.search(pattern, out, re.MULTILINE)
        return float(match.group(1)) if match else None
    result = dict(
        tps=number(r"^tps = ([\d.]+)"),
        latency_ms=number(r"^latency average = ([\d.]+) ms"),
        transactions=number(r"^number of transactions actually processed: (\d+)"),
        failed=number(r"^number of failed transactions: (\d+)"),
    )
    for key in ("transactions", "failed"):
        result[key] = None if result[key] is None else int(result[key])
    if result["tps"] is None or result["transactions"] is None:
        raise RuntimeError(f"pgbench printed no tps / transaction count:\n{out}")
    return result


class Bench:
    def __init__(self, lab: Lab, args):
        self.lab, self.args = lab, args
        self.primary = lab.leader()["name"]

    def target(self, path: str) -> tuple[str, int]:
        if path == "vip":
            return self.lab.vip, self.lab.write_port
        return self.lab.addresses[self.primary], self.lab.postgresql_port

    def env(self, path: str, synchronous_commit: str | None) -> dict:
        host, port = self.target(path)
        env = dict(os.environ, PGHOST=host, PGPORT=str(port), PGUSER=self.lab.superuser, PGPASSWORD=self.lab.password,
                   PGDATABASE=DATABASE, PGSSLMODE="verify-full", PGSSLROOTCERT=self.lab.ca_file, LC_ALL="C")
        if synchronous_commit:
            env["PGOPTIONS"] = f"-c synchronous_commit={synchronous_commit}"
        return env

    def pgbench(self, argv: list[str], env: dict) -> str:
        result = subprocess.run(["pgbench", *argv], env=env, capture_output=True, text=True, check=False,
                                timeout=self.args.seconds * 4 + 600)
        if result.returncode != 0:
            raise RuntimeError(f"pgbench {' '.join(argv)} failed (exit {result.returncode}):\n{result.stderr[-2000:]}")
        return result.stdout + result.stderr

    def prepare(self):
        if not self.lab.query(self.lab.write_port, "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)):
            self.lab.query(self.lab.write_port, f"CREATE DATABASE {DATABASE}")
        log(f"pgbench -i -s {self.args.scale} through the VIP")
        self.pgbench(["-i", "-q", "-s", str(self.args.scale)], self.env("vip", None))

    def run_case(self, key, what, path, synchronous_commit, connect) -> dict:
        argv = ["-n", "-T", str(self.args.seconds), "-c", str(self.args.clients), "-j", str(self.args.jobs)]
        if connect:
            argv.append("-C")
        env = self.env(path, synchronous_commit)
        log(f"{key}: {what}")
        result = parse(self.pgbench(argv, env))
        shown = {k: env[k] for k in ("PGHOST", "PGPORT", "PGSSLMODE", "PGOPTIONS") if k in env}
        command = " ".join(f"{k}='{v}'" for k, v in shown.items()) + " pgbench " + " ".join(argv)
        return dict(key=key, what=what, path=path, synchronous_commit=synchronous_commit or "as deployed (on)",
                    connection_per_transaction=connect, command=command, **result)

    def run(self) -> dict:
        self.prepare()
        # The cases take turns, round after round, so that the machine's noise spreads over all of
        # them; each case reports its median round (by tps) and every round's tps.
        rounds = [[self.run_case(*case) for case in CASES] for dummy in range(self.args.rounds)]
        cases = []
        for index in range(len(CASES)):
            runs = sorted((r[index] for r in rounds), key=lambda run: run["tps"])
            cases.append(dict(runs[len(runs) // 2], tps_rounds=[run["tps"] for run in (r[index] for r in rounds)]))
        tps = {c["key"]: c["tps"] for c in cases}
        return dict(
            started=self.started, finished=now(), primary=self.primary,
            synchronous_mode=self.lab.synchronous_mode(),
            settings=dict(seconds=self.args.seconds, rounds=self.args.rounds, clients=self.args.clients, jobs=self.args.jobs,
                          scale=self.args.scale, database=DATABASE),
            versions=dict(pgbench=subprocess.run(["pgbench", "--version"], capture_output=True, text=True,
                                                 check=False).stdout.strip(),
                          server=self.lab.query(self.lab.write_port, "SHOW server_version")[0][0]),
            cases=cases,
            ratios=dict(
                vip_over_direct=round(tps["vip_sync"] / tps["direct_sync"], 3),
                synchronous_over_local=round(tps["direct_sync"] / tps["direct_local"], 3),
                connect_over_persistent_vip=round(tps["vip_connect"] / tps["vip_sync"], 3),
            ),
            pgbouncer="not deployed yet (issue 14 item 3): no pooled rows",
        )


def markdown(report: dict) -> str:
    s = report["settings"]
    lines = [
        "# pgbench on the lab",
        "",
        f"{report['finished']}; primary {report['primary']}, synchronous mode {report['synchronous_mode']}; "
        f"{s['clients']} clients, {s['jobs']} threads, {s['rounds']} rounds of {s['seconds']} s per case (the cases "
        f"take turns; each row is its median round), scale {s['scale']} (TPC-B like); "
        f"{report['versions']['pgbench']}, server {report['versions']['server']}. "
        "Every case on the same shared 2-core machine as the whole lab: compare rows, not machines.",
        "",
        "| case | tps (median) | tps each round | latency avg (ms) | transactions | failed |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for c in report["cases"]:
        rounds = ", ".join(f"{t:.0f}" for t in c["tps_rounds"])
        lines.append(f"| {c['what']} | {c['tps']:.0f} | {rounds} | {c['latency_ms'] if c['latency_ms'] is not None else '-'} "
                     f"| {c['transactions']} | {c['failed'] if c['failed'] is not None else '-'} |")
    r = report["ratios"]
    lines += [
        "",
        f"- VIP (HAProxy) / direct, persistent connections, synchronous commit: {r['vip_over_direct']:.2f}",
        f"- synchronous commit / commit local only, direct: {r['synchronous_over_local']:.2f}",
        f"- a connection per transaction / persistent, through the VIP: {r['connect_over_persistent_vip']:.2f}",
        f"- PgBouncer: {report['pgbouncer']}",
        "",
        "Reproduce: `make bench` (`.venv/bin/python -m pgha_lab.bench --seconds "
        f"{s['seconds']} --rounds {s['rounds']} --clients {s['clients']} --jobs {s['jobs']} --scale {s['scale']}`). Each case:",
        "",
    ]
    lines += [f"- {c['key']}: `{c['command']}`" for c in report["cases"]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pgha_lab.bench", description=__doc__.split("\n\n", maxsplit=1)[0])
    p.add_argument("--seconds", type=int, default=20, help="duration of each case in each round (default 20)")
    p.add_argument("--rounds", type=int, default=3, help="rounds of every case (default 3; the median is reported)")
    p.add_argument("--clients", type=int, default=8, help="pgbench clients (default 8)")
    p.add_argument("--jobs", type=int, default=2, help="pgbench threads (default 2)")
    p.add_argument("--scale", type=int, default=10, help="pgbench scale factor (default 10)")
    p.add_argument("--name", default="latest", help="file name of the results, without suffix (default latest)")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    if shutil.which("pgbench") is None:
        print("pgbench is not installed: make bench installs it (postgresql-client)", file=sys.stderr)
        return 2
    bench = Bench(Lab.load(), args)
    bench.started = now()
    report = bench.run()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / f"{args.name}.json").write_text(json.dumps(report, indent=1) + "\n")
    (RESULTS_DIR / f"{args.name}.md").write_text(markdown(report))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
