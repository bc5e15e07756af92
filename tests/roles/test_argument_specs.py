"""Every role default is described in meta/argument_specs.yml with the same
default and a matching type, and carries the role's prefix.

A renamed variable's new name defaults to the old name's value for one major release
(``etcd_leader_away: "{{ patroni_etcd_leader_away | default(true) }}"``): the documented
default is then the fallback inside ``default(...)``, and the old name must be one the role
warns about (RENAMED)."""

import re
from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"
# raw: a value of several types (patroni_synchronous_mode is true, false or quorum); the
# default must still equal the documented one.
TYPES = {"bool": bool, "int": int, "str": str, "list": list, "dict": dict, "raw": object}
# Old name -> new name, per role, read until the release in the role's renamed_vars task.
RENAMED = {
    "etcd": {
        "patroni_etcd_leader_away": "etcd_leader_away",
        "patroni_etcd_leader_away_interval": "etcd_leader_away_interval",
    },
}
FALLBACK = re.compile(r"^\{\{ (?P<old>\w+) \| default\((?P<value>[^()]*)\) \}\}$")


def effective_default(role, name, value):
    """The default a user gets when neither the new nor the old name is set."""
    match = FALLBACK.match(value) if isinstance(value, str) else None
    if not match:
        return value
    assert RENAMED.get(role, {}).get(match["old"]) == name, f"{role}: {name} falls back to {match['old']}, not a renamed name"
    return yaml.safe_load(match["value"])


def role_names():
    return sorted(p.name for p in ROLES.iterdir() if (p / "tasks" / "main.yml").exists())


@pytest.mark.parametrize("role", role_names())
def test_argument_specs_match_defaults(role):
    defaults = yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text()) or {}
    spec_file = ROLES / role / "meta" / "argument_specs.yml"
    assert spec_file.exists(), f"{role} has no meta/argument_specs.yml"
    options = yaml.safe_load(spec_file.read_text())["argument_specs"]["main"]["options"]
    assert set(defaults) <= set(options), f"undocumented defaults: {set(defaults) - set(options)}"
    for name, value in defaults.items():
        value = effective_default(role, name, value)
        opt = options[name]
        assert opt.get("description"), f"{role}: {name} has no description"
        assert opt.get("default") == value, f"{role}: {name} default differs from defaults/main.yml"
        assert isinstance(value, TYPES[opt["type"]]), f"{role}: {name} is not of type {opt['type']}"


@pytest.mark.parametrize("role", role_names())
def test_defaults_carry_the_role_prefix(role):
    defaults = yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text()) or {}
    assert all(name.startswith(f"{role}_") for name in defaults), [n for n in defaults if not n.startswith(f"{role}_")]


@pytest.mark.parametrize("role", role_names())
def test_passwords_are_no_log(role):
    spec = yaml.safe_load((ROLES / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]
    for name, opt in spec["options"].items():
        if "password" in name or name.endswith("_pass"):
            assert opt.get("no_log") is True, f"{role}: {name} must be no_log"


@pytest.mark.parametrize("role", sorted(RENAMED))
def test_renamed_variables_fall_back_to_their_old_name_and_warn(role):
    defaults = yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text())
    preflight = yaml.safe_load((ROLES / role / "tasks" / "preflight.yml").read_text())
    [warn] = [t for t in preflight if "pgha.cluster.renamed_vars" in t]
    assert warn["pgha.cluster.renamed_vars"]["names"] == RENAMED[role]
    for old, new in RENAMED[role].items():
        match = FALLBACK.match(defaults[new])
        assert match and match["old"] == old, f"{role}: {new} does not default to {old}'s value"
