"""The client load of a drill, all of it through the inventory's addresses and ports:

- a writer inserting a numbered row through VIP:<haproxy_write_port> every 50 ms,
- a reader running ``SELECT pg_is_in_recovery()`` through VIP:<haproxy_read_port> every 50 ms,
- a sampler asking ``pg_is_in_recovery()`` of every database node directly, all at once, every 200 ms.

Each client has its own connection and reconnects after a failure; the times of the
acknowledgements are what pgha_lab.metrics measures.
"""

from __future__ import annotations

import threading
import time

import psycopg

from pgha_lab.lab import Lab

#: The table the writer inserts into (created by the runner, rows deleted after each run).
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


def _connect(lab: Lab, host: str, port: int, tcp: dict) -> psycopg.Connection:
    return psycopg.connect(
        host=host, port=port, user=lab.superuser, password=lab.password,
        dbname="postgres", connect_timeout=CONNECT_TIMEOUT, autocommit=True, **lab.tls_kwargs(), **tcp,
    )


def _close(conn) -> None:
    if conn is not None:
        try:
            conn.close()
        except psycopg.Error:
            pass


class _Loop(threading.Thread):
    """A client that repeats one statement on its own connection through the VIP at a steady rate."""

    def __init__(self, lab: Lab, port: int, interval: float):
        super().__init__(daemon=True)
        self.lab, self.port, self.interval = lab, port, interval
        self.stopping = threading.Event()
        self.acks: list[float] = []  # monotonic time of every acknowledged statement
        self.errors: list[tuple[float, str]] = []
        self.conn = None

    def once(self, conn):
        raise NotImplementedError

    def close(self):
        _close(self.conn)
        self.conn = None

    def run(self):
        next_at = time.monotonic()
        while not self.stopping.is_set():
            try:
                if self.conn is None or self.conn.closed:
                    self.conn = _connect(self.lab, self.lab.vip, self.port, TCP_KWARGS)
                self.once(self.conn)
            except (psycopg.Error, OSError) as exc:
                self.errors.append((time.monotonic(), f"{type(exc).__name__}: {str(exc).strip()[:160]}"))
                self.close()
            next_at = max(next_at + self.interval, time.monotonic())
            self.stopping.wait(max(0.0, next_at - time.monotonic()))
        self.close()


class Writer(_Loop):
    """Inserts (run, seq) with seq 1, 2, 3, ... and remembers which were acknowledged."""

    def __init__(self, lab: Lab, run_id: str):
        super().__init__(lab, lab.write_port, WRITE_INTERVAL)
        self.run_id, self.seq = run_id, 0
        self.acked: list[tuple[int, float]] = []
        self.attempted = 0

    def once(self, conn):
        self.seq += 1
        self.attempted = self.seq
        conn.execute(f"INSERT INTO {TABLE} (run, seq) VALUES (%s, %s)", (self.run_id, self.seq))
        now = time.monotonic()
        self.acked.append((self.seq, now))
        self.acks.append(now)


class Reader(_Loop):
    """Reads through the read port and counts the answers that came from a primary."""

    def __init__(self, lab: Lab):
        super().__init__(lab, lab.read_port, READ_INTERVAL)
        self.on_primary = 0

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
                    conn = _connect(self.lab, self.lab.addresses[host], self.lab.postgresql_port, SAMPLER_TCP_KWARGS)
                [(value,)] = conn.execute("SELECT pg_is_in_recovery()").fetchall()
            except (psycopg.Error, OSError):
                _close(conn)
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
    """The writer, the reader and the sampler, started and stopped together."""

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

    def running(self) -> bool:
        """Whether every client has been acknowledged enough to call the load steady."""
        return len(self.writer.acks) >= 20 and len(self.reader.acks) >= 20 and len(self.sampler.samples) >= 5
