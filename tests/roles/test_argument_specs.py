"""Every role default is described in meta/argument_specs.yml with the same
default and a matching type, and carries the role's prefix."""

from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"
TYPES = {"bool": bool, "int": int, "str": str, "list": list, "dict": dict}


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
