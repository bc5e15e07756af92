"""Failover-timing and synchronous-posture profiles (inventory/profiles/<name>.yml): inventory
variables (one a profile leaves out keeps the role's default), checked, applied
with site.yml (the patroni role keeps the DCS as the inventory says, the haproxy role renders the
checks), and compared with what the cluster runs (the DCS in etcd, each proxy's rendered haproxy.cfg)."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import yaml
from ansible_collections.pgha.cluster.plugins.module_utils._dcs_timing import dcs_timing_errors

from pgha_lab import ROOT, log
from pgha_lab.inventory import role_default
from pgha_lab.lab import Lab

PROFILES_DIR = ROOT / "inventory" / "profiles"

#: The keywords of haproxy.cfg's default-server line that the haproxy_check_<keyword> variables set.
CHECK_KEYWORDS = ("inter", "fastinter", "downinter", "fall", "rise")


class ProfileError(RuntimeError):
    """A profile that Patroni would not run as written, or that did not apply."""


def exists(name: str) -> bool:
    return (PROFILES_DIR / f"{name}.yml").exists()


def load(name: str) -> dict:
    return yaml.safe_load((PROFILES_DIR / f"{name}.yml").read_text())


#: The patroni role's variables for the DCS timing keys.
TIMING_VARIABLES = {"ttl": "patroni_ttl", "loop_wait": "patroni_loop_wait", "retry_timeout": "patroni_retry_timeout"}


#: The patroni role's variables for the DCS's synchronous posture (a profile that leaves one out
#: runs the role's default: site.yml -e sets only what the profile names).
POSTURE_VARIABLES = {"synchronous_mode": "patroni_synchronous_mode", "synchronous_mode_strict": "patroni_synchronous_mode_strict",
                     "synchronous_node_count": "patroni_synchronous_node_count"}


def _posture(key: str, value):
    """A posture value as Patroni stores it in the DCS ('quorum', or a bool; the count an int)."""
    if key == "synchronous_node_count":
        return int(value)
    return "quorum" if str(value).lower() == "quorum" else str(value).lower() in ("true", "yes", "on", "1")


def dcs_settings(values: dict) -> dict:
    """The DCS settings a profile's variables give: its timing, its synchronous posture, and its
    PostgreSQL parameters (patroni_postgresql_parameters_extra) with None (absent) for each one
    another profile sets."""
    others = {key for path in PROFILES_DIR.glob("*.yml")
              for key in (yaml.safe_load(path.read_text()).get("patroni_postgresql_parameters_extra") or {})}
    extra = values.get("patroni_postgresql_parameters_extra") or {}
    return ({key: values.get(var, role_default(var)) for key, var in TIMING_VARIABLES.items()}
            | {key: _posture(key, values.get(var, role_default(var))) for key, var in POSTURE_VARIABLES.items()}
            | {"postgresql": {"parameters": {key: extra.get(key) for key in sorted(others | set(extra))}}})


def check(name: str) -> None:
    """Refuse a profile whose DCS timing Patroni would silently change (pgha's one DCS timing rule)."""
    errors = dcs_timing_errors(dcs_settings(load(name)), names=TIMING_VARIABLES)
    if errors:
        raise ProfileError(f"profile {name} ({PROFILES_DIR / f'{name}.yml'}): " + " ".join(errors))


def contains(actual, wanted) -> bool:
    """Whether every key of wanted (recursively) has the same value in actual (None: absent there)."""
    if isinstance(wanted, dict):
        return isinstance(actual, dict) and all(contains(actual.get(k), v) for k, v in wanted.items())
    return actual == wanted


def _text(value) -> str | None:
    """A setting as haproxy.cfg spells it; None for one left out ('' disables fastinter/downinter)."""
    return None if value is None or value == "" else str(value)


def haproxy_wanted(lab: Lab, values: dict) -> dict[str, str | None]:
    """default-server keyword -> value, and 'retries', as the profile (else the inventory, else the
    haproxy role's defaults) sets them."""
    names = {kw: f"haproxy_check_{kw}" for kw in CHECK_KEYWORDS} | {"retries": "haproxy_retries"}
    return {kw: _text(values[name] if name in values else lab.var(name)) for kw, name in names.items()}


def haproxy_rendered(cfg: str) -> list[dict[str, str | None]]:
    """The check keywords of every default-server line of a rendered haproxy.cfg, each with the
    value of the global 'retries' line(s) (None where a keyword is absent)."""
    lines = [ln.split() for ln in cfg.splitlines()]
    retries = [t[1] for t in lines if len(t) == 2 and t[0] == "retries"]
    found = []
    for tokens in lines:
        if tokens[:1] == ["default-server"]:
            following = dict(itertools.pairwise(tokens[1:]))
            found.append({kw: following.get(kw) for kw in CHECK_KEYWORDS} | {"retries": retries[0] if len(set(retries)) == 1 else None})
    return found


def haproxy_differences(wanted: dict[str, str | None], cfg: str) -> list[str]:
    """How a rendered haproxy.cfg differs from the wanted check settings (empty: it holds them)."""
    rendered = haproxy_rendered(cfg)
    if not rendered:
        return ["no default-server line"]
    return [f"{kw} {have or '(absent)'} instead of {wanted[kw] or '(absent)'}"
            for line in rendered for kw, have in line.items() if have != wanted[kw]]


def applied(lab: Lab, name: str) -> bool:
    """Whether the DCS and every proxy's rendered haproxy.cfg already hold the profile's values."""
    values = load(name)
    if not contains(lab.dcs_config(), dcs_settings(values)):
        return False
    wanted = haproxy_wanted(lab, values)
    return not any(haproxy_differences(wanted, lab.haproxy_config(proxy)) for proxy in lab.proxies)


def apply(lab: Lab, name: str, workdir: Path) -> None:
    """site.yml with the profile's variables (the DCS through the patroni role, the HAProxy checks);
    then wait for every Patroni to run the new timing and for a whole cluster."""
    values = load(name)
    check(name)
    wanted = dcs_settings(values)
    before_wait = lab.dcs_config()["loop_wait"]
    log(f"profile {name}: site.yml -e @inventory/profiles/{name}.yml")
    result = lab.playbook("site.yml", workdir, values)
    if result.returncode != 0:
        raise ProfileError(f"site.yml failed for profile {name}:\n{result.stdout[-3000:]}")
    differences = {p: haproxy_differences(haproxy_wanted(lab, values), lab.haproxy_config(p)) for p in lab.proxies}
    line = next(ln.strip() for ln in lab.haproxy_config(lab.proxies[0]).splitlines() if ln.split()[:1] == ["default-server"])
    log(f"profile {name}: HAProxy {line}")
    if any(differences.values()) or not contains(lab.dcs_config(), wanted):
        raise ProfileError(f"profile {name} applied, but the DCS or a proxy's haproxy.cfg does not hold its values: {differences}")
    # Every Patroni picks the new timing up in its next HA loop.
    time.sleep(max(before_wait, wanted["loop_wait"]) + 2)
    lab.wait(lab.whole, f"a whole cluster with profile {name}", timeout=180, interval=2)
