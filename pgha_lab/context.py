"""What a drill function is given: the lab, the running load, the playbooks' work directory,
and the marks of its run (fault, heal, checks, details)."""

from __future__ import annotations

import time
from pathlib import Path

from pgha_lab import log
from pgha_lab.lab import Lab
from pgha_lab.load import Load


class DrillError(AssertionError):
    """A drill that cannot go on (its fault did not take, its precondition is missing)."""


class Context:
    """One run of one drill."""

    def __init__(self, lab: Lab, load: Load, workdir: Path):
        self.lab, self.load, self.workdir = lab, load, workdir
        self.t_fault: float | None = None  # monotonic
        self.wall_fault: float | None = None  # wall clock, for the journals
        self.t_heal: float | None = None
        self.details: dict = {}
        self.checks: dict[str, bool] = {}

    def fault(self, what: str):
        """The fault is injected now."""
        self.t_fault, self.wall_fault = time.monotonic(), time.time()
        log(f"  fault: {what}")

    def heal(self, what: str):
        """The drill heals the fault now (from here on the gaps count as 'heal')."""
        self.t_heal = time.monotonic()
        log(f"  heal: {what}")

    def check(self, name: str, ok: bool):
        """One of the drill's own checks; a failed one fails the run."""
        self.checks[name] = bool(ok)
        if not ok:
            log(f"  CHECK FAILED: {name}")

    def wait_writes(self, timeout: float = 120, reads: bool = True):
        """Until the writer (and the reader, unless reads is False: no standby serves them) are
        acknowledged again after this moment."""
        since = time.monotonic()
        loops = [self.load.writer, self.load.reader] if reads else [self.load.writer]
        what = f"writes through VIP:{self.lab.write_port}" + (f" and reads through VIP:{self.lab.read_port}" if reads else "")
        self.lab.wait(lambda: all(any(t > since for t in loop.acks[-5:]) for loop in loops),
                      f"{what} to be acknowledged again", timeout=timeout, interval=0.1)

    def new_leader(self, old: dict, timeout: float = 120, higher_timeline: bool = True) -> dict:
        """Until a member other than `old` leads (on a higher timeline unless told otherwise)."""
        def found():
            leader = self.lab.leader(exclude=(old["name"],))
            return (
                leader and leader["name"] != old["name"]
                and (not higher_timeline or leader["timeline"] > old["timeline"]) and leader
            )
        leader = self.lab.wait(found, f"a new leader other than {old['name']}", timeout=timeout, interval=0.2)
        log(f"  new leader {leader['name']} on timeline {leader['timeline']}")
        return leader
