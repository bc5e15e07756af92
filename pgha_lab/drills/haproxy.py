"""Faults of HAProxy on the proxy holding the VIP."""

from __future__ import annotations

import time

from pgha_lab.context import Context
from pgha_lab.registry import drill


def _holder_and_other(c: Context) -> tuple[str, str]:
    holder = next(h for h in c.lab.proxies if c.lab.holds_vip(h))
    return holder, next(h for h in c.lab.proxies if h != holder)


def _restart_on_holder(c: Context, holder: str, what: str):
    c.heal(what)
    c.lab.sh(holder, "systemctl", "start", "haproxy")
    c.lab.wait(lambda: c.lab.holds_vip(holder), f"the VIP back on {holder}", timeout=60, interval=0.2)


@drill("haproxy_kill", "5. HAProxy killed (SIGKILL) on the VIP holder")
def haproxy_kill(c: Context):
    """SIGKILL of HAProxy on the VIP holder. systemd restarts it, or keepalived (its check:
    pidof every 2 s, fall 2) moves the VIP to the other proxy; either way writes and reads
    must flow again and the VIP must come back to the first proxy."""
    lab = c.lab
    holder, other = _holder_and_other(c)
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
    _restart_on_holder(c, holder, f"systemctl start haproxy on {holder} (a no-op when systemd restarted it)")


@drill("haproxy_stop", "5b. HAProxy stopped on the VIP holder: the VIP moves and returns")
def haproxy_stop(c: Context):
    """`systemctl stop haproxy` on the VIP holder: keepalived must move the VIP to the other
    proxy within 30 s and clients must get through it; HAProxy is started again and the VIP
    must return (the first proxy has the higher priority)."""
    lab = c.lab
    holder, other = _holder_and_other(c)
    c.fault(f"systemctl stop haproxy on {holder} (holds the VIP)")
    lab.sh(holder, "systemctl", "stop", "haproxy")
    lab.wait(lambda: lab.holds_vip(other), f"the VIP to move to {other}", timeout=30, interval=0.1)
    c.details["vip_moved_after_s"] = round(time.monotonic() - c.t_fault, 1)
    c.wait_writes()
    _restart_on_holder(c, holder, f"systemctl start haproxy on {holder}")
