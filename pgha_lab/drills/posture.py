"""The synchronous posture (patroni_synchronous_mode, _strict, _node_count) when standbys stop:
what a commit waits for, as the DCS says. Run them under the posture profiles
(``--profiles reference,strict,quorum,async``); each drill reads the posture from the DCS and
checks what that posture promises."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from pgha_lab import log
from pgha_lab.context import Context
from pgha_lab.lab import SYNC_ROLES, Lab
from pgha_lab.registry import drill


def _posture(lab: Lab) -> dict:
    dcs = lab.dcs_config()
    return {"mode": lab.synchronous_mode(), "strict": bool(dcs.get("synchronous_mode_strict", False)),
            "node_count": int(dcs.get("synchronous_node_count", 1)), "loop_wait": int(dcs["loop_wait"])}


def _stop(c: Context, hosts: list[str]) -> float:
    """systemctl stop patroni (PostgreSQL with it) on each host, all at once; when the last stopped."""
    with ThreadPoolExecutor(len(hosts)) as pool:
        list(pool.map(lambda h: c.lab.sh(h, "systemctl", "stop", "patroni", timeout=120), hosts))
    return time.monotonic()


def _start(c: Context, hosts: list[str]):
    for h in hosts:
        c.lab.sh(h, "systemctl", "start", "patroni")


@drill("sync_standby_stop", "9a. the synchronous standby stopped, started again", in_all=False)
def sync_standby_stop(c: Context):
    """`systemctl stop patroni` on a standby the primary's commits wait for (the sync standby; under
    quorum one of the quorum standbys; asynchronous: a replica). With another standby running, every
    posture goes on writing without it: synchronous_mode true moves synchronous_standby_names to the
    other standby in the primary's next HA loop (commits wait until then, strict or not); quorum
    (ANY 1 of 2) never waits; asynchronous never waits. The primary keeps its role. Started again
    once writes flow."""
    lab = c.lab
    posture = _posture(lab)
    members = lab.cluster()["members"]
    leader = next(m for m in members if m["role"] == "leader")
    waited_for = [m for m in members if m["role"] in SYNC_ROLES] or [m for m in members if m["role"] != "leader"]
    target = waited_for[0]["name"]
    c.fault(f"systemctl stop patroni on {target} ({waited_for[0]['role']}; posture {posture})")
    _stop(c, [target])
    c.wait_writes()  # writes go on with one standby stopped (the run fails if they do not)
    if posture["mode"] != "off":
        others = lab.wait(lambda: [m["name"] for m in lab.cluster()["members"] if m["role"] in SYNC_ROLES], "another synchronous standby",
                          timeout=60, interval=0.5)
        c.check("another standby is synchronous", target not in others)
    c.check("the primary keeps its role", (lab.leader() or {}).get("name") == leader["name"])
    c.heal(f"systemctl start patroni on {target}")
    _start(c, [target])
    c.details.update(posture=posture, stopped=[target], leader=leader["name"])


@drill("standbys_stop", "9b. every standby stopped, started again", in_all=False)
def standbys_stop(c: Context):
    """`systemctl stop patroni` on both standbys at once. Not strict (or asynchronous): the primary
    goes on alone once Patroni empties synchronous_standby_names in its next HA loop (asynchronous:
    at once); those commits exist on the primary only until the standbys return. Strict: no write is
    acknowledged while no standby runs (watched for two HA loops and 5 s), and the waiting commits
    complete when the standbys return. 0 acknowledged writes lost either way."""
    lab = c.lab
    posture = _posture(lab)
    members = lab.cluster()["members"]
    leader = next(m for m in members if m["role"] == "leader")
    standbys = [m["name"] for m in members if m["role"] != "leader"]
    c.fault(f"systemctl stop patroni on {', '.join(standbys)} (posture {posture})")
    stopped_at = _stop(c, standbys)
    blocks = posture["mode"] != "off" and posture["strict"]
    if blocks:
        hold = 2 * posture["loop_wait"] + 5
        log(f"  strict: watching {hold} s for an acknowledged write")
        time.sleep(hold)
        # A commit acknowledged right as the last standby stopped may arrive just after it.
        acked = [t for t in c.load.writer.acks if t > stopped_at + 0.5]
        c.check("strict: no write acknowledged while no standby runs", not acked)
        c.details["strict_window_s"] = hold
    else:
        c.wait_writes(reads=False)  # writes go on with no standby (the run fails if they do not)
    c.check("the primary keeps its role", (lab.leader() or {}).get("name") == leader["name"])
    c.heal(f"systemctl start patroni on {', '.join(standbys)}")
    _start(c, standbys)
    if blocks:
        c.wait_writes()
    c.details.update(posture=posture, stopped=standbys, leader=leader["name"])
