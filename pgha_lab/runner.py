"""One drill run: a whole cluster, the load started, the fault, the cluster whole again, then
what was measured (gaps, lost writes, two writable nodes, the journal timeline) as a dict."""

from __future__ import annotations

import dataclasses
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from pgha_lab import log, profiles
from pgha_lab.context import Context
from pgha_lab.lab import Lab
from pgha_lab.load import TABLE, Load
from pgha_lab.metrics import gaps, longest_gap
from pgha_lab.registry import drills
from pgha_lab.report import summary
from pgha_lab.timeline import timeline


class Runner:
    """Runs drills on the lab; playbooks' scratch files go to workdir (a temporary one by default)."""

    def __init__(self, lab: Lab | None = None, workdir: Path | None = None):
        self.lab = lab or Lab.load()
        self._tmp = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="pgha-drill-")
            workdir = Path(self._tmp.name)
        self.workdir = workdir

    def prepare(self):
        """Wait for a whole cluster and create the writer's table."""
        self.lab.wait(self.lab.whole, "a whole cluster before the drills", timeout=300, interval=2)
        self.lab.query(self.lab.write_port, f"CREATE TABLE IF NOT EXISTS {TABLE} (run text, seq bigint, at timestamptz DEFAULT now(), PRIMARY KEY (run, seq))")

    def profile_applied(self, name: str) -> bool:
        return profiles.applied(self.lab, name)

    def apply_profile(self, name: str):
        profiles.apply(self.lab, name, self.workdir)

    def run(self, name: str, profile: str = "reference", repeat_index: int = 1) -> dict:
        """Run drill `name` once; the result's 'ok' says whether it passed."""
        spec = drills()[name]
        lab = self.lab
        log(f"drill {name} (profile {profile}, run {repeat_index})")
        lab.wait(lab.whole, f"a whole cluster before drill {name}", timeout=300, interval=2)
        run_id = f"{name}-{uuid.uuid4().hex[:8]}"
        # A drill that moves the cluster between plain and TLS gets clients that take either.
        load = Load(dataclasses.replace(lab, client_sslmode="prefer") if spec.any_scheme else lab, run_id)
        load.start()
        ctx = Context(lab, load, self.workdir)
        result = {"drill": name, "title": spec.title, "profile": profile, "run": repeat_index, "run_id": run_id}
        error = None
        t_healthy = None
        try:
            lab.wait(load.running, f"the load to run (writes on :{lab.write_port}, reads on :{lab.read_port}, the sampler)",
                     timeout=60, interval=0.2)
            time.sleep(1)
            spec.func(ctx)
            lab.wait(lab.whole, f"a whole cluster after drill {name}", timeout=300, interval=1)
            t_healthy = time.monotonic()
            log(f"  whole again after {t_healthy - ctx.t_fault:.1f} s")
            time.sleep(2)  # load on the healed cluster
        except Exception as exc:  # pylint: disable=broad-exception-caught  # reported in the result, the load stopped
            error = f"{type(exc).__name__}: {exc}"
            log(f"  ERROR: {error[:2000]}")
        finally:
            load.stop()

        # Every acknowledged row must be there, read through the write port.
        acked = {seq for seq, _t in load.writer.acked}
        try:
            rows = lab.wait(lambda: lab.query(lab.write_port, f"SELECT seq FROM {TABLE} WHERE run = %s", (run_id,)),
                            f"the drill's rows through VIP:{lab.write_port}", timeout=120)
            present = {r[0] for r in rows}
            lab.query(lab.write_port, f"DELETE FROM {TABLE} WHERE run = %s", (run_id,))
        except AssertionError as exc:
            present = set()
            error = error or f"could not read the rows back: {exc}"
        lost = sorted(acked - present)

        t_fault = ctx.t_fault or time.monotonic()
        t_end = t_healthy or time.monotonic()
        marks: dict = {}
        if ctx.wall_fault is not None and ctx.t_fault is not None:
            try:
                marks = timeline(lab, ctx.wall_fault, ctx.t_fault, (ctx.details.get("old_leader"), ctx.details.get("new_leader")),
                                 load.writer.acks, t_end)
            except (subprocess.SubprocessError, OSError, KeyError) as exc:
                marks = {"error": f"{type(exc).__name__}: {exc}"}
        t_heal = ctx.t_heal or t_end
        two = load.sampler.writable_ticks()
        result.update(
            write_gap_s=longest_gap(load.writer.acks, t_fault, t_heal),
            read_gap_s=longest_gap(load.reader.acks, t_fault, t_heal),
            write_gap_heal_s=longest_gap(load.writer.acks, t_heal, t_end) if ctx.t_heal else None,
            read_gap_heal_s=longest_gap(load.reader.acks, t_heal, t_end) if ctx.t_heal else None,
            write_gaps=gaps(load.writer.acks, t_fault, t_end),
            read_gaps=gaps(load.reader.acks, t_fault, t_end),
            healthy_s=round(t_healthy - t_fault, 1) if t_healthy else None,
            heal_at_s=round(ctx.t_heal - t_fault, 1) if ctx.t_heal else None,
            writes_acknowledged=len(acked),
            writes_attempted=load.writer.attempted,
            writes_unacknowledged_but_present=len(present - acked),
            lost_writes=len(lost),
            lost_seqs=lost[:20],
            write_errors=len(load.writer.errors),
            read_errors=len(load.reader.errors),
            reads_on_primary=load.reader.on_primary,
            two_writable_ticks=len(two),
            two_writable=two[:10],
            sampler_rounds=len(load.sampler.samples),
            timeline=marks,
            details=ctx.details,
            checks=ctx.checks,
            error=error,
        )
        first_errors = sorted(load.writer.errors)[:1] + sorted(load.reader.errors)[:1]
        result["first_errors"] = [e for _t, e in first_errors]
        result["ok"] = (
            error is None and t_healthy is not None and not lost and not two and all(ctx.checks.values())
        )
        log(f"  {summary(result)}")
        return result
