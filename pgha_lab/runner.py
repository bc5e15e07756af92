"""Fault drills on the lab: measured failover times and proof that no
acknowledged write is lost.

    .venv/bin/python tools/drill.py [--drills all] [--repeat 3] [--profiles reference,fast]

While a client load runs through the VIP, each drill injects one fault into a
healthy cluster, lets the cluster heal itself, and measures:

- write unavailability: the longest interval between two acknowledged commits
  of a writer that inserts a numbered row through VIP:5000 every 50 ms (own
  connection, reconnect on failure, 2 s connect timeout);
- read unavailability: the same for a reader on VIP:5001;
- acknowledged writes lost: every acknowledged row must be readable through
  VIP:5000 afterwards;
- two writable primaries: a sampler asks pg_is_in_recovery() of every database
  node directly (all nodes at once, every 200 ms) and counts the rounds in which
  more than one answered false;
- time back to three healthy members (Patroni leader + sync standby + streaming
  replica on one timeline, every etcd member healthy, the VIP on the first proxy).

Where the seconds go: after each drill the nodes' journals are read for the
marks of a failover (the old leader's last lease renewal, an etcd election,
Patroni's promotion or restart of the primary, HAProxy marking servers DOWN/UP)
and each is reported as an offset from the fault beside the writer's last and
first acknowledged commits (the "timeline" of every run; medians in the table).

The gaps are split in two phases: "fault" (from the fault to the moment the
drill heals it: restart of the killed host, route removal, ...) and "heal"
(from there until the cluster is whole again).

Profiles (inventory/profiles/<name>.yml) are applied with the project's own
playbooks: playbooks/config.yml for Patroni's DCS timing, site.yml for the
HAProxy checks; the reference profile is restored at the end.

The Lab helper (docker exec, Patroni REST, psycopg through the VIP, playbook
runner) is shared with the integration tests: tests/integration/lab.py.
tests/integration/test_95_drills.py runs some drills through this module.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import psycopg
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from lab import Lab, ansible_playbook, playbook_command  # noqa: E402  pylint: disable=wrong-import-position

PROFILES_DIR = ROOT / "inventory" / "profiles"
RESULTS_DIR = ROOT / "results" / "drills"
TABLE = "pgha_drill"

# Client and sampler settings.
WRITE_INTERVAL = 0.05
READ_INTERVAL = 0.05
SAMPLE_INTERVAL = 0.2
CONNECT_TIMEOUT = 2  # libpq counts anything below 2 s as 2 s
# Never cancel a statement on the client side or set statement_timeout: PostgreSQL
# acknowledges a commit whose wait for the synchronous standby is cancelled.
# A dead path is noticed by TCP instead (keepalives, tcp_user_timeout).
TCP_KWARGS = dict(keepalives=1, keepalives_idle=1, keepalives_interval=1, keepalives_count=3, tcp_user_timeout=5000)
SAMPLER_TCP_KWARGS = dict(keepalives=1, keepalives_idle=1, keepalives_interval=1, keepalives_count=1, tcp_user_timeout=1500)


def log(msg: str) -> None:
    print(f"[{datetime.datetime.now(datetime.timezone.utc):%H:%M:%S}] {msg}", flush=True)


# --- load ---------------------------------------------------------------------
class _Loop(threading.Thread):
    """A client that repeats one statement on its own connection at a steady rate."""

    def __init__(self, interval: float):
        super().__init__(daemon=True)
        self.interval = interval
        self.stopping = threading.Event()
        self.acks: list[float] = []  # monotonic time of every acknowledged statement
        self.errors: list[tuple[float, str]] = []
        self.conn = None

    def connect(self):
        raise NotImplementedError

    def once(self, conn):
        raise NotImplementedError

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except psycopg.Error:
                pass
        self.conn = None

    def run(self):
        next_at = time.monotonic()
        while not self.stopping.is_set():
            try:
                if self.conn is None or self.conn.closed:
                    self.conn = self.connect()
                self.once(self.conn)
            except (psycopg.Error, OSError) as exc:
                self.errors.append((time.monotonic(), f"{type(exc).__name__}: {str(exc).strip()[:160]}"))
                self.close()
            next_at = max(next_at + self.interval, time.monotonic())
            self.stopping.wait(max(0.0, next_at - time.monotonic()))
        self.close()


class Writer(_Loop):
    def __init__(self, lab: Lab, run_id: str):
        super().__init__(WRITE_INTERVAL)
        self.lab, self.run_id, self.seq = lab, run_id, 0
        self.acked: list[tuple[int, float]] = []
        self.attempted = 0

    def connect(self):
        return psycopg.connect(
            host=self.lab.vip, port=self.lab.write_port, user=self.lab.superuser, password=self.lab.password,
            dbname="postgres", connect_timeout=CONNECT_TIMEOUT, autocommit=True, **TCP_KWARGS,
        )

    def once(self, conn):
        self.seq += 1
        self.attempted = self.seq
        conn.execute(f"INSERT INTO {TABLE} (run, seq) VALUES (%s, %s)", (self.run_id, self.seq))
        now = time.monotonic()
        self.acked.append((self.seq, now))
        self.acks.append(now)


class Reader(_Loop):
    def __init__(self, lab: Lab):
        super().__init__(READ_INTERVAL)
        self.lab = lab
        self.on_primary = 0

    def connect(self):
        return psycopg.connect(
            host=self.lab.vip, port=self.lab.read_port, user=self.lab.superuser, password=self.lab.password,
            dbname="postgres", connect_timeout=CONNECT_TIMEOUT, autocommit=True, **TCP_KWARGS,
        )

    def once(self, conn):
        [(in_recovery,)] = conn.execute("SELECT pg_is_in_recovery()").fetchall()
        self.acks.append(time.monotonic())
        if not in_recovery:
            self.on_primary += 1


class Sampler:
    """pg_is_in_recovery() on every database node at the same instants (one thread per node)."""

    def __init__(self, lab: Lab):
        self.lab = lab
        self.stopping = threading.Event()
        self.t0 = time.monotonic()
        self.samples: dict[int, dict[str, bool | None]] = {}  # tick -> node -> in_recovery (None: no answer)
        self.last: dict[str, tuple[float, bool | None]] = {}
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._node, args=(h,), daemon=True) for h in lab.postgres]

    def start(self):
        for t in self.threads:
            t.start()

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=10)

    def _node(self, host: str):
        conn = None
        tick = 0
        while not self.stopping.is_set():
            value = None
            try:
                if conn is None or conn.closed:
                    conn = psycopg.connect(
                        host=self.lab.addresses[host], port=5432, user=self.lab.superuser, password=self.lab.password,
                        dbname="postgres", connect_timeout=CONNECT_TIMEOUT, autocommit=True, **SAMPLER_TCP_KWARGS,
                    )
                [(value,)] = conn.execute("SELECT pg_is_in_recovery()").fetchall()
            except (psycopg.Error, OSError):
                if conn is not None:
                    try:
                        conn.close()
                    except psycopg.Error:
                        pass
                conn = None
            with self.lock:
                self.samples.setdefault(tick, {})[host] = value
                self.last[host] = (time.monotonic(), value)
            # next common tick (a slow answer skips the ticks it missed)
            tick = int((time.monotonic() - self.t0) / SAMPLE_INTERVAL) + 1
            self.stopping.wait(max(0.0, self.t0 + tick * SAMPLE_INTERVAL - time.monotonic()))
        if conn is not None:
            conn.close()

    def writable_ticks(self) -> list[dict]:
        """Rounds in which more than one node answered pg_is_in_recovery() = false."""
        with self.lock:
            return [
                {"t": round(self.t0 + k * SAMPLE_INTERVAL, 3), "writable": sorted(h for h, v in s.items() if v is False)}
                for k, s in sorted(self.samples.items())
                if sum(1 for v in s.values() if v is False) > 1
            ]

    def writable(self, host: str) -> bool | None:
        with self.lock:
            return None if host not in self.last else self.last[host][1] is False

    def writable_until(self, host: str) -> float | None:
        """Monotonic time of the last round in which host answered pg_is_in_recovery() = false."""
        with self.lock:
            ticks = [k for k, v in self.samples.items() if v.get(host) is False]
        return self.t0 + max(ticks) * SAMPLE_INTERVAL if ticks else None


class Load:
    def __init__(self, lab: Lab, run_id: str):
        self.writer, self.reader, self.sampler = Writer(lab, run_id), Reader(lab), Sampler(lab)

    def start(self):
        self.sampler.start()
        self.writer.start()
        self.reader.start()

    def stop(self):
        for loop in (self.writer, self.reader):
            loop.stopping.set()
        for loop in (self.writer, self.reader):
            loop.join(timeout=60)
        self.sampler.stop()


def _ack_points(acks: list[float], start: float, end: float) -> list[float]:
    """Acknowledgements in (start, end), with the last one before start and the first one after end."""
    times = sorted(acks)
    return ([t for t in times if t <= start][-1:] + [t for t in times if start < t < end]
            + [t for t in times if t >= end][:1])


def gaps(acks: list[float], start: float, end: float, over: float = 1.0) -> list[list[float]]:
    """[offset from start, length] of every interval longer than `over` between acknowledgements in [start, end]."""
    points = _ack_points(acks, start, end)
    return [[round(a - start, 1), round(b - a, 1)] for a, b in zip(points, points[1:]) if b - a > over]


def longest_gap(acks: list[float], start: float, end: float) -> float | None:
    """Longest interval between consecutive acknowledgements over [start, end]: the last
    acknowledgement before start and the first after end included."""
    if not acks:
        return None
    points = _ack_points(acks, start, end)
    if len(points) < 2:
        return round(end - (points[0] if points else start), 3)
    return round(max(b - a for a, b in zip(points, points[1:])), 3)


# --- where the seconds go ---------------------------------------------------------
# Read from the journals of the nodes once a drill is over (the containers share
# the host's clock). Offsets are seconds from the fault; "lease renewed" is the
# old leader's last HA loop before it (the lease then runs for ttl seconds).
MARKS = (
    # name, hosts ("old"/"new" leader, "db", "proxy"), journalctl selector, pattern, first or last
    ("lease renewed", "old", ("-u", "patroni"), r"the leader with the lock", "last before"),
    ("etcd leader elected", "db", ("-u", "etcd"), r"elected leader", "first after"),
    ("new leader promoted", "new", ("-u", "patroni"), r"promoted self to leader|starting primary after failure", "first after"),
    ("HAProxy: old primary DOWN", "proxy", ("-t", "haproxy"), r"postgres_primary/{old} is DOWN", "first after"),
    ("HAProxy: new primary UP", "proxy", ("-t", "haproxy"), r"postgres_primary/{new} is UP", "first after"),
)


TIMELINE_COLUMNS = ("lease renewed", "last write before", "etcd leader elected", "new leader promoted",
                    "HAProxy: old primary DOWN", "HAProxy: new primary UP", "first write after the gap")


def journal(lab: Lab, host: str, selector: tuple[str, ...], since: float, until: float) -> list[tuple[float, str]]:
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


def timeline(c: Context, old: str | None, new: str | None, load: Load, t_end: float) -> dict[str, float]:
    """Offsets (s from the fault) of the marks above, and of the first acknowledged write after the fault's gap."""
    if c.wall_fault is None or c.t_fault is None:
        return {}
    lab, since, until = c.lab, c.wall_fault - 30, c.wall_fault + (t_end - c.t_fault) + 1
    hosts = {"old": [old] if old else [], "new": [new] if new else [], "db": list(lab.postgres),
             "proxy": [next((h for h in lab.proxies if lab.holds_vip(h)), lab.proxies[0])]}
    marks: dict[str, float] = {}
    for name, which, selector, pattern, pick in MARKS:
        regex = re.compile(pattern.format(old=old, new=new))
        times = sorted(t for h in hosts[which] if lab.running(h)
                       for t, msg in journal(lab, h, selector, since, until) if regex.search(msg))
        if pick == "last before":
            times = [t for t in times if t <= c.wall_fault][-1:]
        else:
            times = [t for t in times if t > c.wall_fault][:1]
        if times:
            marks[name] = round(times[0] - c.wall_fault, 2)
    acks = sorted(load.writer.acks)
    before = [t for t in acks if t <= c.t_fault]
    after = [t for t in acks if t > c.t_fault]
    if before:
        marks["last write before"] = round(before[-1] - c.t_fault, 2)
    if after:
        # the first acknowledgement that ends the longest gap after the fault
        points = before[-1:] + after
        a, b = max(zip(points, points[1:]), key=lambda ab: ab[1] - ab[0])
        marks["first write after the gap"] = round(b - c.t_fault, 2)
    return dict(sorted(marks.items(), key=lambda kv: kv[1]))


# --- one drill ----------------------------------------------------------------
class DrillError(AssertionError):
    pass


class Context:
    """What a drill function gets: the lab, the running load and its time marks."""

    def __init__(self, drills: "Drills", load: Load):
        self.drills, self.lab, self.load = drills, drills.lab, load
        self.t_fault: float | None = None
        self.wall_fault: float | None = None
        self.t_heal: float | None = None
        self.details: dict = {}
        self.checks: dict[str, bool] = {}

    def fault(self, what: str):
        self.t_fault, self.wall_fault = time.monotonic(), time.time()
        log(f"  fault: {what}")

    def heal(self, what: str):
        self.t_heal = time.monotonic()
        log(f"  heal: {what}")

    def check(self, name: str, ok: bool):
        self.checks[name] = bool(ok)
        if not ok:
            log(f"  CHECK FAILED: {name}")

    def wait_writes(self, timeout: float = 120):
        """Until the writer and the reader are acknowledged again after this moment."""
        since = time.monotonic()
        self.lab.wait(
            lambda: any(t > since for t in self.load.writer.acks[-5:]) and any(t > since for t in self.load.reader.acks[-5:]),
            "writes through VIP:5000 and reads through VIP:5001 to be acknowledged again",
            timeout=timeout, interval=0.1,
        )

    def new_leader(self, old: dict, timeout: float = 120, higher_timeline: bool = True) -> dict:
        def found():
            leader = self.lab.leader(exclude=(old["name"],))
            return (
                leader and leader["name"] != old["name"]
                and (not higher_timeline or leader["timeline"] > old["timeline"]) and leader
            )
        leader = self.lab.wait(found, f"a new leader other than {old['name']}", timeout=timeout, interval=0.2)
        log(f"  new leader {leader['name']} on timeline {leader['timeline']}")
        return leader


class Drills:
    def __init__(self, lab: Lab | None = None, workdir: Path | None = None):
        self.lab = lab or Lab.load()
        self._tmp = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="pgha-drill-")
            workdir = Path(self._tmp.name)
        self.workdir = workdir

    # --- cluster state ---------------------------------------------------------
    def etcd_healthy(self) -> bool:
        for via in self.lab.etcd:
            if self.lab.running(via):
                health = self.lab.etcd_health(via)
                return len(health) == len(self.lab.etcd) and all(e.get("health") for e in health)
        return False

    def whole(self) -> bool:
        """Three healthy Patroni members, every etcd member healthy, the VIP on the first proxy only."""
        lab = self.lab
        return (
            all(lab.running(h) for h in lab.postgres + lab.proxies)
            and lab.healthy()
            and self.etcd_healthy()
            and lab.holds_vip(lab.proxies[0])
            and not any(lab.holds_vip(h) for h in lab.proxies[1:])
        )

    def members(self) -> dict[str, dict]:
        return {m["name"]: m for m in self.lab.cluster()["members"]}

    def patroni_status(self, host: str) -> dict:
        url = f"http://{self.lab.addresses[host]}:{self.lab.restapi_port}/patroni"
        with urllib.request.urlopen(url, timeout=3) as resp:
            return json.load(resp)

    def etcd_leader(self) -> str:
        leader = self.lab.etcd_members()[1]
        if leader is None:
            raise DrillError("no etcd member reports itself leader")
        return leader

    def prepare(self):
        self.lab.wait(self.whole, "a whole cluster before the drills", timeout=300, interval=2)
        self.lab.query(self.lab.write_port, f"CREATE TABLE IF NOT EXISTS {TABLE} (run text, seq bigint, at timestamptz DEFAULT now(), PRIMARY KEY (run, seq))")

    # --- profiles --------------------------------------------------------------
    @staticmethod
    def profile(name: str) -> dict:
        return yaml.safe_load((PROFILES_DIR / f"{name}.yml").read_text())

    def profile_applied(self, name: str) -> bool:
        """Whether the DCS and every proxy's HAProxy settings already are those of the profile."""
        values = self.profile(name)
        if not contains(self.lab.dcs_config(), values["patroni_dcs_settings"]):
            return False
        fast, down = values.get("haproxy_check_fastinter"), values.get("haproxy_check_downinter")
        wanted = (f"default-server inter {values['haproxy_check_inter']} fall {values['haproxy_check_fall']} "
                  f"rise {values['haproxy_check_rise']} on-marked-down shutdown-sessions"
                  + (f" fastinter {fast}" if fast else "") + (f" downinter {down}" if down else ""))
        for proxy in self.lab.proxies:
            cfg = self.lab.sh(proxy, "cat", "/etc/haproxy/haproxy.cfg").stdout
            if not all(ln.strip() == wanted for ln in cfg.splitlines() if "default-server" in ln):
                return False
            if f"retries {values.get('haproxy_retries', 2)}\n" not in cfg:
                return False
        return True

    def apply_profile(self, name: str):
        """Patroni DCS timing through playbooks/config.yml, HAProxy checks through site.yml."""
        values = self.profile(name)
        check_dcs_timing(values["patroni_dcs_settings"])
        log(f"profile {name}: playbooks/config.yml -e @inventory/profiles/{name}.yml")
        before_wait = self.lab.dcs_config()["loop_wait"]
        result = ansible_playbook("playbooks/config.yml", self.workdir, values)
        if result.returncode != 0:
            raise DrillError(f"config.yml failed for profile {name}:\n{result.stdout[-3000:]}")
        wanted = values["patroni_dcs_settings"]
        self.lab.wait(lambda: contains(self.lab.dcs_config(), wanted), f"the DCS to hold {wanted}", timeout=60)
        log(f"profile {name}: site.yml -e @inventory/profiles/{name}.yml (HAProxy checks)")
        result = ansible_playbook("site.yml", self.workdir, values)
        if result.returncode != 0:
            raise DrillError(f"site.yml failed for profile {name}:\n{result.stdout[-3000:]}")
        cfg = self.lab.sh(self.lab.proxies[0], "cat", "/etc/haproxy/haproxy.cfg").stdout
        line = next(ln.strip() for ln in cfg.splitlines() if "default-server" in ln)
        log(f"profile {name}: HAProxy {line}")
        if not self.profile_applied(name):
            raise DrillError(f"profile {name} applied, but the DCS or a proxy's haproxy.cfg does not hold its values")
        # Every Patroni picks the new timing up in its next HA loop.
        time.sleep(max(before_wait, wanted.get("loop_wait", 0)) + 2)
        self.lab.wait(self.whole, f"a whole cluster with profile {name}", timeout=180, interval=2)

    # --- running a drill ---------------------------------------------------------
    def run(self, name: str, profile: str = "reference", repeat_index: int = 1) -> dict:
        func = DRILLS[name][1]
        lab = self.lab
        log(f"drill {name} (profile {profile}, run {repeat_index})")
        lab.wait(self.whole, f"a whole cluster before drill {name}", timeout=300, interval=2)
        run_id = f"{name}-{uuid.uuid4().hex[:8]}"
        load = Load(lab, run_id)
        load.start()
        ctx = Context(self, load)
        result = {"drill": name, "title": DRILLS[name][0], "profile": profile, "run": repeat_index, "run_id": run_id}
        error = None
        t_healthy = None
        try:
            lab.wait(lambda: len(load.writer.acks) >= 20 and len(load.reader.acks) >= 20 and len(load.sampler.samples) >= 5,
                     "the load to run (writes on :5000, reads on :5001, the sampler)", timeout=60, interval=0.2)
            time.sleep(1)
            func(ctx)
            lab.wait(self.whole, f"a whole cluster after drill {name}", timeout=300, interval=1)
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
                            "the drill's rows through VIP:5000", timeout=120)
            present = {r[0] for r in rows}
            lab.query(lab.write_port, f"DELETE FROM {TABLE} WHERE run = %s", (run_id,))
        except AssertionError as exc:
            present = set()
            error = error or f"could not read the rows back: {exc}"
        lost = sorted(acked - present)

        t_fault = ctx.t_fault or time.monotonic()
        t_end = t_healthy or time.monotonic()
        try:
            marks = timeline(ctx, ctx.details.get("old_leader"), ctx.details.get("new_leader"), load, t_end)
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


def summary(r: dict) -> str:
    return (
        f"{r['drill']}/{r['profile']}#{r['run']}: ok={r['ok']} write gap {r['write_gap_s']} s "
        f"(heal {r['write_gap_heal_s']}), read gap {r['read_gap_s']} s (heal {r['read_gap_heal_s']}), "
        f"lost {r['lost_writes']}/{r['writes_acknowledged']}, two writable {r['two_writable_ticks']}, "
        f"whole after {r['healthy_s']} s, write gaps > 1 s [offset, length] {r['write_gaps']}, read gaps {r['read_gaps']}, "
        f"checks {r['checks']}, details {r['details']}, timeline {r.get('timeline')}"
        + (f", error {r['error']}" if r["error"] else "")
    )


def contains(actual, wanted) -> bool:
    """Whether every key of wanted (recursively) has the same value in actual."""
    if isinstance(wanted, dict):
        return isinstance(actual, dict) and all(contains(actual.get(k), v) for k, v in wanted.items())
    return actual == wanted


def check_dcs_timing(dcs: dict):
    """The rules the Patroni role's preflight enforces (Patroni silently raises lower values)."""
    ttl, loop_wait, retry = dcs.get("ttl", 30), dcs.get("loop_wait", 10), dcs.get("retry_timeout", 10)
    if ttl < 20 or loop_wait < 1 or retry < 3 or loop_wait + 2 * retry > ttl:
        raise DrillError(f"ttl={ttl} loop_wait={loop_wait} retry_timeout={retry}: Patroni needs ttl >= 20, "
                         f"loop_wait >= 1, retry_timeout >= 3 and loop_wait + 2 * retry_timeout <= ttl")


# --- the faults ------------------------------------------------------------------
def data_dir_inode(lab: Lab, host: str) -> str:
    # pg_basebackup (a re-clone) writes a new data directory; pg_rewind keeps it.
    return lab.sh(host, "stat", "-c", "%i", f"{lab.data_dir(host)}/PG_VERSION").stdout.strip()


def _leader_and_sync(c: Context) -> tuple[dict, dict]:
    members = c.lab.cluster()["members"]
    leader = next(m for m in members if m["role"] == "leader")
    sync = next(m for m in members if m["role"] == "sync_standby")
    return leader, sync


def drill_kill_primary(c: Context):
    lab = c.lab
    old, sync = _leader_and_sync(c)
    inode = data_dir_inode(lab, old["name"])
    c.fault(f"docker kill {old['name']} (the primary's host)")
    lab.docker("kill", old["name"])
    new = c.new_leader(old)
    c.check("sync standby promoted", new["name"] == sync["name"])
    c.wait_writes()
    c.heal(f"docker start {old['name']}")
    # The containers share the kernel's boot id: "this boot" of the journal is
    # older than the container, so the log is read from the restart on.
    since = f"@{int(time.time()) - 1}"
    lab.docker("start", old["name"])

    # A node that had written nothing past the fork point needs no pg_rewind: it starts
    # as a replica on its old timeline and switches to the new one once streaming.
    def rejoined():
        m = c.drills.members().get(old["name"])
        return (m and m["role"] in ("replica", "sync_standby") and m["state"] == "streaming"
                and m["timeline"] == new["timeline"] and m)
    try:
        member = lab.wait(rejoined, f"{old['name']} to stream on timeline {new['timeline']}", timeout=240, interval=1)
    except AssertionError:
        member = c.drills.members().get(old["name"]) or {"timeline": None}
    log_text = lab.sh(old["name"], "journalctl", "--since", since, "-u", "patroni", "--no-pager", "-o", "cat", check=False).stdout
    c.check("rejoined on the new timeline", member["timeline"] == new["timeline"])
    c.check("rejoined without re-clone (same PG_VERSION inode)", data_dir_inode(lab, old["name"]) == inode)
    c.check("no basebackup in Patroni's log since the restart", "replica has been created using basebackup" not in log_text)
    c.details.update(old_leader=old["name"], new_leader=new["name"], timeline=f"{old['timeline']}->{new['timeline']}",
                     pg_rewind_in_log="pg_rewind" in log_text)


def drill_kill_primary_etcd_leader(c: Context):
    """What the patroni role's pgha-etcd-leader-away timer avoids: the primary's host also
    leads etcd's raft when it dies (the timer is stopped for the drill, then started again)."""
    lab = c.lab
    old, _sync = _leader_and_sync(c)
    try:
        for host in lab.postgres:
            lab.sh(host, "systemctl", "stop", "pgha-etcd-leader-away.timer")
        ids, via = lab.etcd_members()
        if via != old["name"]:
            lab.sh(via, "etcdctl", "--endpoints", f"http://{lab.addresses[via]}:2379", "move-leader", ids[old["name"]])
        c.check("etcd leader placed on the primary's host", c.drills.etcd_leader() == old["name"])
        drill_kill_primary(c)
    finally:
        for host in lab.postgres:
            if lab.running(host):
                lab.sh(host, "systemctl", "start", "pgha-etcd-leader-away.timer", check=False)


def drill_stop_patroni(c: Context):
    lab = c.lab
    old, sync = _leader_and_sync(c)
    c.fault(f"systemctl stop patroni on {old['name']}")
    lab.sh(old["name"], "systemctl", "stop", "patroni", timeout=120)
    new = c.new_leader(old)
    c.check("sync standby promoted", new["name"] == sync["name"])
    c.wait_writes()
    c.heal(f"systemctl start patroni on {old['name']}")
    lab.sh(old["name"], "systemctl", "start", "patroni")
    c.details.update(old_leader=old["name"], new_leader=new["name"])


def drill_postmaster_kill(c: Context):
    lab = c.lab
    old, _sync = _leader_and_sync(c)
    pid_file = f"{lab.data_dir(old['name'])}/postmaster.pid"
    pid = lab.sh(old["name"], "head", "-n", "1", pid_file).stdout.strip()
    c.fault(f"kill -9 of the postmaster (pid {pid}) on the primary {old['name']}")
    lab.sh(old["name"], "kill", "-9", pid)

    # Patroni still holds the leader lock: it restarts PostgreSQL in place (crash recovery).
    def restarted():
        leader = lab.leader()  # a running leader
        new_pid = lab.sh(old["name"], "head", "-n", "1", pid_file, check=False).stdout.strip()
        return leader if leader and new_pid not in ("", pid) else None
    leader = lab.wait(restarted, f"PostgreSQL restarted on {old['name']}", timeout=120, interval=0.2)
    c.check("same leader, no failover", leader["name"] == old["name"])
    c.check("same timeline", leader["timeline"] == old["timeline"])
    c.wait_writes()
    c.details.update(old_leader=old["name"], new_leader=leader["name"], timeline=leader["timeline"])


def _tcp_probe(lab: Lab, host: str, address: str, port: int) -> bool:
    code = f"import socket; socket.create_connection(({address!r}, {port}), 1).close()"
    return lab.sh(host, "python3", "-c", code, check=False, timeout=10).returncode == 0


def drill_partition(c: Context):
    lab = c.lab
    old, sync = _leader_and_sync(c)
    host = old["name"]
    peers = [h for h in lab.postgres if h != host]
    c.fault(f"{host} cut off from {', '.join(peers)} (database, etcd, replication), proxies still reachable")
    try:
        for peer in peers:
            lab.sh(host, "ip", "route", "add", "prohibit", f"{lab.addresses[peer]}/32")
        blocked = all(not _tcp_probe(lab, host, lab.addresses[p], port) for p in peers for port in (2379, 2380, 5432))
        proxies_ok = _tcp_probe(lab, host, lab.addresses[lab.proxies[0]], lab.stats_port)
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


def drill_etcd_leader_kill(c: Context):
    lab = c.lab
    leader_before = lab.leader()
    target = c.drills.etcd_leader()
    c.fault(f"systemctl kill -s KILL etcd on {target} (the etcd raft leader)")
    lab.sh(target, "systemctl", "kill", "-s", "KILL", "etcd")
    time.sleep(3)
    # systemd restarts the member within 100 ms: it may win the next election again.
    new_etcd_leader = lab.wait(c.drills.etcd_leader, "an etcd leader", timeout=60)
    c.wait_writes()
    # Recovery is systemd's (Restart= of the etcd unit): no action here.
    lab.wait(c.drills.etcd_healthy, f"etcd on {target} to be restarted by systemd and healthy", timeout=120, interval=1)
    restarts = lab.sh(target, "systemctl", "show", "-p", "NRestarts", "--value", "etcd", check=False).stdout.strip()
    c.check("Patroni leader unchanged", lab.leader()["name"] == leader_before["name"])
    c.details.update(etcd_leader_killed=target, new_etcd_leader=new_etcd_leader, etcd_unit_restarts=restarts)


def _stream_playbook(c: Context, playbook: str, extra_vars: dict):
    argv, env = playbook_command(playbook, c.drills.workdir, extra_vars)
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()
    return proc, lines, reader


def drill_etcd_member_down_switchover(c: Context):
    lab = c.lab
    old, sync = _leader_and_sync(c)
    target = old["name"]  # the etcd member beside the Patroni leader that must hand its lock over
    c.fault(f"switchover {old['name']} -> {sync['name']} (playbooks/switchover.yml) with etcd stopped on {target} once it runs")
    proc, lines, reader = _stream_playbook(c, "playbooks/switchover.yml", {"candidate": sync["name"]})
    lab.wait(lambda: any("TASK [Switch over" in ln for ln in lines) or proc.poll() is not None,
             "the playbook to reach its switchover task", timeout=180, interval=0.1)
    lab.sh(target, "systemctl", "stop", "etcd")
    log(f"  etcd stopped on {target}")
    rc = proc.wait(timeout=600)
    reader.join(timeout=10)
    c.check("switchover playbook succeeded with one etcd member down", rc == 0)
    new = lab.leader()
    c.check("sync standby leads", new is not None and new["name"] == sync["name"])
    c.wait_writes()
    c.heal(f"systemctl start etcd on {target}")
    lab.sh(target, "systemctl", "start", "etcd")
    c.details.update(old_leader=old["name"], new_leader=new and new["name"], etcd_stopped=target, playbook_rc=rc)
    if rc != 0:
        c.details["playbook_tail"] = "".join(lines[-15:])


def drill_haproxy_kill(c: Context):
    lab = c.lab
    holder = next(h for h in lab.proxies if lab.holds_vip(h))
    other = next(h for h in lab.proxies if h != holder)
    pid_before = lab.sh(holder, "systemctl", "show", "-p", "MainPID", "--value", "haproxy").stdout.strip()
    c.fault(f"systemctl kill -s KILL haproxy on {holder} (holds the VIP)")
    lab.sh(holder, "systemctl", "kill", "-s", "KILL", "haproxy")
    moved = False
    deadline = time.monotonic() + 8  # keepalived: pidof every 2 s, fall 2
    while time.monotonic() < deadline and not moved:
        moved = lab.holds_vip(other)
        time.sleep(0.2)
    c.wait_writes()
    active = lab.sh(holder, "systemctl", "is-active", "haproxy", check=False).stdout.strip()
    pid_after = lab.sh(holder, "systemctl", "show", "-p", "MainPID", "--value", "haproxy").stdout.strip()
    c.details.update(vip_moved_to=other if moved else None, restarted_by_systemd=active == "active" and pid_after != pid_before)
    c.heal(f"systemctl start haproxy on {holder} (a no-op when systemd restarted it)")
    lab.sh(holder, "systemctl", "start", "haproxy")
    lab.wait(lambda: lab.holds_vip(holder), f"the VIP back on {holder}", timeout=60, interval=0.2)


def drill_haproxy_stop(c: Context):
    lab = c.lab
    holder = next(h for h in lab.proxies if lab.holds_vip(h))
    other = next(h for h in lab.proxies if h != holder)
    c.fault(f"systemctl stop haproxy on {holder} (holds the VIP)")
    lab.sh(holder, "systemctl", "stop", "haproxy")
    lab.wait(lambda: lab.holds_vip(other), f"the VIP to move to {other}", timeout=30, interval=0.1)
    c.details["vip_moved_after_s"] = round(time.monotonic() - c.t_fault, 1)
    c.wait_writes()
    c.heal(f"systemctl start haproxy on {holder}")
    lab.sh(holder, "systemctl", "start", "haproxy")
    lab.wait(lambda: lab.holds_vip(holder), f"the VIP back on {holder}", timeout=60, interval=0.2)


def drill_switchover(c: Context):
    lab = c.lab
    old, sync = _leader_and_sync(c)
    c.fault(f"playbooks/switchover.yml -e candidate={sync['name']}")
    result = ansible_playbook("playbooks/switchover.yml", c.drills.workdir, {"candidate": sync["name"]})
    c.check("switchover playbook succeeded", result.returncode == 0)
    new = lab.leader()
    c.check("sync standby leads", new is not None and new["name"] == sync["name"])
    c.wait_writes()
    c.details.update(old_leader=old["name"], new_leader=new and new["name"], playbook_rc=result.returncode)
    if result.returncode != 0:
        c.details["playbook_tail"] = result.stdout[-1500:]


def drill_switchover_async_refused(c: Context):
    lab = c.lab
    members = c.drills.members()
    old = next(m for m in members.values() if m["role"] == "leader")
    replica = next(n for n, m in members.items() if m["role"] == "replica")
    c.fault(f"playbooks/switchover.yml -e candidate={replica} (the asynchronous replica)")
    result = ansible_playbook("playbooks/switchover.yml", c.drills.workdir, {"candidate": replica})
    after = lab.leader()
    c.check("refused (playbook failed)", result.returncode != 0)
    c.check("refusal names the candidate", replica in result.stdout)
    c.check("same leader", after is not None and after["name"] == old["name"])
    c.check("same timeline", after is not None and after["timeline"] == old["timeline"])
    c.check("same roles", {n: m["role"] for n, m in c.drills.members().items()} == {n: m["role"] for n, m in members.items()})
    c.details.update(leader=old["name"], candidate=replica, playbook_rc=result.returncode)


def drill_rolling_restart(c: Context):
    lab = c.lab
    old, sync = _leader_and_sync(c)
    started = {h: c.drills.patroni_status(h)["postmaster_start_time"] for h in lab.postgres}
    c.fault("playbooks/restart.yml (rolling restart)")
    result = ansible_playbook("playbooks/restart.yml", c.drills.workdir)
    c.check("restart playbook succeeded", result.returncode == 0)
    new = lab.leader()
    # The playbook hands over to whichever member is the sync standby at that moment:
    # restarting the sync standby may have made Patroni pick the other replica.
    c.check("leader moved off the former leader", new is not None and new["name"] != old["name"])
    restarted = {h: c.drills.patroni_status(h)["postmaster_start_time"] != started[h] for h in lab.postgres}
    c.check("every member restarted", all(restarted.values()))
    c.wait_writes()
    c.details.update(old_leader=old["name"], sync_before=sync["name"], new_leader=new and new["name"],
                     restarted=restarted, playbook_rc=result.returncode)
    if result.returncode != 0:
        c.details["playbook_tail"] = result.stdout[-1500:]


# name -> (title, function, slow)
DRILLS = {
    "kill_primary": ("1+8. primary's host killed (docker kill), restarted: rejoins by pg_rewind", drill_kill_primary, True),
    "kill_primary_etcd_leader": ("1b. as 1, the host also leading etcd's raft (leader placement timer stopped)",
                                 drill_kill_primary_etcd_leader, True),
    "stop_patroni": ("2. Patroni stopped on the primary, started again", drill_stop_patroni, False),
    "postmaster_kill": ("2b. postmaster killed (kill -9) on the primary: Patroni restarts it in place", drill_postmaster_kill, False),
    "partition": ("3. primary cut off from the db nodes and etcd, healed", drill_partition, True),
    "etcd_leader_kill": ("4a. etcd raft leader killed (SIGKILL)", drill_etcd_leader_kill, False),
    "etcd_member_down_switchover": ("4b. one etcd member stopped during a switchover", drill_etcd_member_down_switchover, False),
    "haproxy_kill": ("5. HAProxy killed (SIGKILL) on the VIP holder", drill_haproxy_kill, False),
    "haproxy_stop": ("5b. HAProxy stopped on the VIP holder: the VIP moves and returns", drill_haproxy_stop, False),
    "switchover": ("6. planned switchover (playbooks/switchover.yml)", drill_switchover, False),
    "switchover_async_refused": ("7. switchover to the async replica: refused, nothing changes", drill_switchover_async_refused, False),
    "rolling_restart": ("rolling restart (playbooks/restart.yml)", drill_rolling_restart, False),
}


# Comparisons rather than faults of a healthy cluster: run only when named.
NOT_IN_ALL = {"kill_primary_etcd_leader"}


# --- report ----------------------------------------------------------------------
def _stats(values) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.1f}"
    return f"{min(values):.1f} / {statistics.median(values):.1f} / {max(values):.1f}"


def markdown(report: dict) -> str:
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
        "Times in seconds, min / median / max over the runs. *write gap*: longest interval between two acknowledged "
        "commits of a client inserting a numbered row through VIP:5000 every 50 ms; *read gap*: the same for "
        "`SELECT` through VIP:5001; *fault*: from the fault until the drill heals it, *heal*: from there until the "
        "cluster is whole again (3 healthy Patroni members, etcd healthy, VIP on ha1). *lost*: acknowledged rows "
        "missing afterwards; *2 writable*: sampler rounds (every 200 ms, all nodes at once) in which two nodes "
        "answered `pg_is_in_recovery() = false`.",
        "",
        "| drill | profile | runs ok | write gap: fault | write gap: heal | read gap: fault | read gap: heal "
        "| lost acked writes | 2 writable | whole again after |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in report["runs"]:
        groups.setdefault((r["drill"], r["profile"]), []).append(r)
    for (name, profile), runs in groups.items():
        lines.append(
            f"| {DRILLS[name][0]} | {profile} | {sum(r['ok'] for r in runs)}/{len(runs)} "
            f"| {_stats(r['write_gap_s'] for r in runs)} | {_stats(r['write_gap_heal_s'] for r in runs)} "
            f"| {_stats(r['read_gap_s'] for r in runs)} | {_stats(r['read_gap_heal_s'] for r in runs)} "
            f"| {sum(r['lost_writes'] for r in runs)} of {sum(r['writes_acknowledged'] for r in runs)} "
            f"| {sum(r['two_writable_ticks'] for r in runs)} | {_stats(r['healthy_s'] for r in runs)} |"
        )
    lines += [
        "",
        "Where the seconds go: median offset in seconds from the fault (negative: before it) of each mark in the "
        "nodes' journals (*lease renewed*: the old leader's last HA loop before the fault, its lease runs ttl seconds "
        "from there; *etcd leader elected*: a raft election after the fault; *new leader promoted*: Patroni took the "
        "lock and promoted, or restarted the crashed primary; HAProxy marks from the proxy holding the VIP) and of the "
        "writer's acknowledgements around the longest gap.",
        "",
        "| drill | profile | " + " | ".join(TIMELINE_COLUMNS) + " |",
        "|---|---|" + "---|" * len(TIMELINE_COLUMNS),
    ]
    for (name, profile), runs in groups.items():
        marks = [r.get("timeline") or {} for r in runs]
        if not any(m.get("new leader promoted") is not None for m in marks):
            continue
        cells = []
        for column in TIMELINE_COLUMNS:
            values = [m[column] for m in marks if isinstance(m.get(column), (int, float))]
            cells.append(f"{statistics.median(values):.1f} ({len(values)})" if values else "-")
        lines.append(f"| {DRILLS[name][0]} | {profile} | " + " | ".join(cells) + " |")
    lines += ["", "(n): runs in which the mark was found.", "", "Profiles:", ""]
    for name, values in report["profiles"].items():
        dcs = values["patroni_dcs_settings"]
        hap = {k.replace("haproxy_check_", ""): values.get(k) for k in
               ("haproxy_check_inter", "haproxy_check_fastinter", "haproxy_check_downinter", "haproxy_check_fall",
                "haproxy_check_rise")}
        params = dcs.get("postgresql", {}).get("parameters", {})
        lines.append(f"- `{name}`: Patroni ttl {dcs['ttl']}, loop_wait {dcs['loop_wait']}, retry_timeout "
                     f"{dcs['retry_timeout']}" + "".join(f", {k} {'(PostgreSQL default)' if v is None else v}" for k, v in params.items())
                     + f"; HAProxy inter {hap['inter']}, fastinter {hap['fastinter'] or '(inter)'}, "
                     f"downinter {hap['downinter'] or '(inter)'}, "
                     f"fall {hap['fall']}, rise {hap['rise']}, retries {values.get('haproxy_retries', 2)}")
    failed = [r for r in report["runs"] if not r["ok"]]
    lines += ["", f"Failed runs: {len(failed)}."]
    for r in failed:
        lines.append(f"- {r['drill']}/{r['profile']}#{r['run']}: checks {r['checks']}, error {r['error']}")
    lines += ["", "Every run with its details: `" + report["json"] + "`.", ""]
    return "\n".join(lines)


def versions(lab: Lab) -> str:
    host = lab.postgres[0]
    parts = []
    for argv in (["patroni", "--version"], ["etcd", "--version"]):
        out = lab.sh(host, *argv, check=False).stdout.strip().splitlines()
        parts.append(out[0] if out else "?")
    parts.append(lab.query(lab.write_port, "SHOW server_version")[0][0].split()[0])
    hap = lab.sh(lab.proxies[0], "haproxy", "-v", check=False).stdout.strip().splitlines()
    parts.append(hap[0] if hap else "?")
    return "Versions: " + "; ".join(f"`{p}`" for p in parts) + "."


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Fault drills on the lab with a client load through the VIP; writes results/drills/<name>.md and .json.",
        epilog="Drills: " + "; ".join(f"{k}: {v[0]}" for k, v in DRILLS.items()),
    )
    parser.add_argument("--drills", default="all",
                        help="comma-separated drill names, or 'all' (default: every drill but "
                             + ", ".join(sorted(NOT_IN_ALL)) + ")")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each drill per profile (default 3)")
    parser.add_argument("--repeat-slow", type=int, default=None,
                        help="runs of the slow drills (kill_primary, partition); default: --repeat")
    parser.add_argument("--profiles", default="reference",
                        help="comma-separated profiles from inventory/profiles/ (e.g. reference,fast); "
                             "the reference profile is restored at the end")
    parser.add_argument("--out", default=str(RESULTS_DIR), help="directory for the results (default results/drills)")
    parser.add_argument("--name", default="latest", help="file name of the results, without suffix (default latest)")
    parser.add_argument("--list", action="store_true", help="list the drills and exit")
    args = parser.parse_args(argv)

    if args.list:
        for k, v in DRILLS.items():
            print(f"{k:30} {v[0]}")
        return 0
    default = [n for n in DRILLS if n not in NOT_IN_ALL]
    names = default if args.drills == "all" else [n.strip() for n in args.drills.split(",") if n.strip()]
    unknown = [n for n in names if n not in DRILLS]
    profiles = [p.strip() for p in args.profiles.split(",") if p.strip()]
    missing = [p for p in profiles if not (PROFILES_DIR / f"{p}.yml").exists()]
    if unknown or missing:
        parser.error(f"unknown drills {unknown} or profiles {missing} (see --list and inventory/profiles/)")
    for p in profiles:
        check_dcs_timing(Drills.profile(p)["patroni_dcs_settings"])

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / f"{args.name}.json", out / f"{args.name}.md"
    drills = Drills()
    drills.prepare()
    command = ".venv/bin/python tools/drill.py " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    report = {
        "command": command.strip(),
        "started": f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        "finished": None,
        "versions": versions(drills.lab),
        "profiles": {p: Drills.profile(p) for p in profiles},
        "json": str(json_path.relative_to(ROOT)) if json_path.is_absolute() and ROOT in json_path.parents else str(json_path),
        "runs": [],
    }

    def save():
        report["finished"] = f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC"
        json_path.write_text(json.dumps(report, indent=1) + "\n")
        md_path.write_text(markdown(report))

    applied = None
    try:
        for profile in profiles:
            if drills.profile_applied(profile):
                log(f"profile {profile} already in place")
            else:
                applied = profile
                drills.apply_profile(profile)
            applied = profile
            for name in names:
                runs = args.repeat_slow if (DRILLS[name][2] and args.repeat_slow is not None) else args.repeat
                for i in range(1, runs + 1):
                    report["runs"].append(drills.run(name, profile, i))
                    save()
    finally:
        if applied not in (None, "reference"):
            drills.apply_profile("reference")
        save()
    print(md_path.read_text())
    return 0 if all(r["ok"] for r in report["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
