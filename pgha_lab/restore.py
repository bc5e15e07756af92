"""Point-in-time restore drills on the lab: every acknowledged write before the target comes back,
none after it, through playbooks/restore.yml and the pgBackRest repository (the backup group).

    .venv/bin/python -m pgha_lab.restore [--targets time,lsn,name] [--disaster]

Each drill: a full backup (playbooks/backup.yml) unless the repository already holds one; a writer
commits numbered rows through VIP:<haproxy_write_port> every 20 ms, each on its own statement, and
remembers when it sent each row and when the commit was acknowledged; mid-stream the target is
taken on the leader (``clock_timestamp()``, ``pg_current_wal_insert_lsn()`` or
``pg_create_restore_point()``); writing goes on, then (``--disaster``) the table is dropped; the
cluster is restored to the target. A row acknowledged before the target was asked for must be
back; a row sent after the target's answer must not; the rows in flight at that moment may go
either way and are counted apart. Then: every member streams on one timeline, above the one before,
and the VIP takes a write again. Results: results/restore/restore.md and .json.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg

from pgha_lab import ROOT, log
from pgha_lab.lab import Lab
from pgha_lab.load import TCP_KWARGS, _close, _connect
from pgha_lab.playbook import ansible_playbook

TABLE = "pgha_restore_drill"
WRITE_INTERVAL = 0.02
TARGET_TYPES = ("time", "lsn", "name")
RESULTS = ROOT / "results" / "restore"


class RowWriter(threading.Thread):
    """Inserts seq 1, 2, 3, ... through the VIP; for each row the monotonic time it was sent and,
    if the commit was acknowledged, when."""

    def __init__(self, lab: Lab):
        super().__init__(daemon=True)
        self.lab = lab
        self.stopping = threading.Event()
        self.sent: dict[int, float] = {}
        self.acked: dict[int, float] = {}
        self.errors: list[str] = []

    def run(self):
        conn, seq = None, 0
        while not self.stopping.is_set():
            try:
                if conn is None or conn.closed:
                    conn = _connect(self.lab, self.lab.vip, self.lab.write_port, TCP_KWARGS)
                seq += 1
                self.sent[seq] = time.monotonic()
                conn.execute(f"INSERT INTO {TABLE} (seq) VALUES (%s)", (seq,))
                self.acked[seq] = time.monotonic()
            except (psycopg.Error, OSError) as exc:
                self.errors.append(f"{type(exc).__name__}: {str(exc).strip()[:160]}")
                _close(conn)
                conn = None
            self.stopping.wait(WRITE_INTERVAL)
        _close(conn)


@dataclass
class Outcome:
    """What one restore drill measured and found."""

    target_type: str
    target: str
    disaster: bool
    restore_seconds: float = 0.0
    database_bytes: int = 0
    rows_acked: int = 0
    rows_before: int = 0  # acknowledged before the target was asked for: must be back
    rows_after: int = 0  # sent after the target's answer: must not be back
    rows_in_flight: int = 0
    rows_back: int = 0
    missing_before: list[int] = field(default_factory=list)
    present_after: list[int] = field(default_factory=list)
    timeline_before: int = 0
    timeline_after: int = 0
    members_streaming: int = 0
    write_after: bool = False
    backup_label: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (not self.missing_before and not self.present_after and self.rows_before > 0
                and self.timeline_after > self.timeline_before and self.write_after
                and self.members_streaming == 3)


def take_target(lab: Lab, target_type: str, name: str) -> tuple[str, float, float]:
    """Ask the leader for a target of this type; return it with the monotonic times the question
    was sent and answered."""
    sql = {
        "time": "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'",
        "lsn": "SELECT pg_current_wal_insert_lsn()::text",
        "name": "SELECT pg_create_restore_point(%s)::text",
    }[target_type]
    with lab.connect(lab.write_port) as conn:
        asked = time.monotonic()
        value = conn.execute(sql, (name,) if target_type == "name" else None).fetchone()[0]
        answered = time.monotonic()
    return (name if target_type == "name" else value), asked, answered


def ensure_backup(lab: Lab, tmp: Path) -> str:
    """The newest backup's label, after taking a full one when the repository has none."""
    result = ansible_playbook("playbooks/backup.yml", tmp, {"backup_type": "full"})
    if result.returncode != 0:
        raise RuntimeError("playbooks/backup.yml failed:\n" + (result.stdout + result.stderr)[-3000:])
    return backup_labels(lab)[-1]


def backup_labels(lab: Lab) -> list[str]:
    out = lab.sh(lab.backup[0], "runuser", "-u", "postgres", "--", "pgbackrest", f"--stanza={lab.scope}",
                 "--output=json", "info").stdout
    [stanza] = json.loads(out)
    return [b["label"] for b in stanza.get("backup", [])]


def drill(lab: Lab, tmp: Path, target_type: str, *, disaster: bool = False, seconds: float = 3.0,
          backup: bool = True) -> Outcome:
    """One restore drill (see the module's docstring); the cluster is whole again at the end."""
    lab.wait(lab.healthy, "a healthy cluster", timeout=180)
    lab.query(lab.write_port, f"DROP TABLE IF EXISTS {TABLE}")
    lab.query(lab.write_port, f"CREATE TABLE {TABLE} (seq int PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())")
    outcome = Outcome(target_type=target_type, target="", disaster=disaster)
    outcome.backup_label = ensure_backup(lab, tmp) if backup else backup_labels(lab)[-1]
    outcome.timeline_before = lab.leader()["timeline"]

    writer = RowWriter(lab)
    writer.start()
    time.sleep(seconds)
    outcome.target, asked, answered = take_target(lab, target_type, f"pgha-drill-{int(time.time())}")
    time.sleep(seconds)
    writer.stopping.set()
    writer.join(timeout=30)
    if disaster:
        lab.query(lab.write_port, f"DROP TABLE {TABLE}")

    before = {s for s, t in writer.acked.items() if t < asked}
    after = {s for s, t in writer.sent.items() if t > answered}
    outcome.rows_acked, outcome.rows_before, outcome.rows_after = len(writer.acked), len(before), len(after)
    outcome.rows_in_flight = len(set(writer.sent) - before - after)
    outcome.errors = writer.errors[:5]

    started = time.monotonic()
    result = ansible_playbook("playbooks/restore.yml", tmp, {
        "restore_confirm": lab.scope, "restore_target_type": target_type, "restore_target": outcome.target})
    outcome.restore_seconds = round(time.monotonic() - started, 1)
    if result.returncode != 0:
        raise RuntimeError("playbooks/restore.yml failed:\n" + (result.stdout + result.stderr)[-4000:])

    back = {row[0] for row in lab.query(lab.write_port, f"SELECT seq FROM {TABLE}")}
    outcome.rows_back = len(back)
    outcome.missing_before = sorted(before - back)[:20]
    outcome.present_after = sorted(after & back)[:20]
    members = lab.cluster()["members"]
    outcome.timeline_after = lab.leader()["timeline"]
    outcome.members_streaming = 1 + sum(m["state"] == "streaming" and m["timeline"] == outcome.timeline_after
                                        for m in members if m["role"] != "leader")
    [(size,)] = lab.query(lab.write_port, "SELECT sum(pg_database_size(oid))::bigint FROM pg_database")
    outcome.database_bytes = int(size)
    lab.query(lab.write_port, f"INSERT INTO {TABLE} (seq) VALUES (-1)")
    outcome.write_after = bool(lab.query(lab.write_port, f"SELECT 1 FROM {TABLE} WHERE seq = -1"))
    lab.wait(lab.healthy, "a healthy cluster after the restore", timeout=300)
    return outcome


def report(outcomes: list[Outcome]) -> str:
    lines = ["# Point-in-time restore drills", "",
             "`python -m pgha_lab.restore` (pgha_lab/restore.py): numbered rows through the VIP every 20 ms, the",
             "target taken mid-stream on the leader, writing goes on, then playbooks/restore.yml.", "",
             "| target | disaster | restore (s) | data (MB) | rows acked | before: back | after: back | in flight | "
             "timeline | members streaming | write after | ok |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for o in outcomes:
        lines.append(
            f"| {o.target_type} `{o.target}` | {'DROP TABLE' if o.disaster else '-'} | {o.restore_seconds} | "
            f"{o.database_bytes / 1e6:.1f} | {o.rows_acked} | {o.rows_before - len(o.missing_before)}/{o.rows_before} | "
            f"{len(o.present_after)}/{o.rows_after} | {o.rows_in_flight} | {o.timeline_before} -> {o.timeline_after} | "
            f"{o.members_streaming}/3 | {o.write_after} | {o.ok} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--targets", default=",".join(TARGET_TYPES))
    parser.add_argument("--disaster", action="store_true", help="drop the table after the target")
    parser.add_argument("--name", default="restore", help="results/restore/<name>.md and .json")
    args = parser.parse_args(argv)
    lab = Lab.load()
    work = Path("/tmp") / f"pgha-restore-{int(time.time())}"
    work.mkdir(parents=True, exist_ok=True)
    outcomes = []
    for target_type in args.targets.split(","):
        log(f"restore drill: {target_type}{' after DROP TABLE' if args.disaster else ''}")
        outcomes.append(drill(lab, work, target_type, disaster=args.disaster))
        log(json.dumps(asdict(outcomes[-1]) | {"ok": outcomes[-1].ok}))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.name}.md").write_text(report(outcomes))
    (RESULTS / f"{args.name}.json").write_text(json.dumps([asdict(o) | {"ok": o.ok} for o in outcomes], indent=2) + "\n")
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
