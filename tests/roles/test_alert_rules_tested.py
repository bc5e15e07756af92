# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every alert the collection ships is proven by a promtool unit test (`make alerts` runs them).

promtool passes a rules file that no test names, and an alert whose tests only ever expect
silence: this reads the rule files and tests/alerts/*.test.yml and requires, for each rules
file, a test file loading it, and for each alert a test expecting it to fire and one expecting
it quiet."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = sorted((ROOT / "roles" / "monitoring" / "files" / "rules").glob("*.yml"))
TESTS = sorted((ROOT / "tests" / "alerts").glob("*.test.yml"))


def _alerts(rules_file: Path) -> list[str]:
    return [rule["alert"] for group in yaml.safe_load(rules_file.read_text())["groups"]
            for rule in group["rules"] if "alert" in rule]


def _expectations() -> dict[Path, list[tuple[str, bool]]]:
    """(alert, expected to fire) per rules file, from every test file that loads it."""
    found: dict[Path, list[tuple[str, bool]]] = {}
    for test_file in TESTS:
        spec = yaml.safe_load(test_file.read_text())
        loaded = [(test_file.parent / name).resolve() for name in spec["rule_files"]]
        cases = [(case["alertname"], bool(case.get("exp_alerts")))
                 for test in spec["tests"] for case in test.get("alert_rule_test", [])]
        for rules_file in loaded:
            found.setdefault(rules_file, []).extend(cases)
    return found


def test_there_are_rules_and_tests():
    assert RULES and TESTS


@pytest.mark.parametrize("rules_file", RULES, ids=lambda p: p.name)
def test_each_alert_is_tested_firing_and_quiet(rules_file):
    cases = _expectations().get(rules_file.resolve())
    assert cases, f"no file in tests/alerts loads {rules_file.name}"
    for alert in _alerts(rules_file):
        assert (alert, True) in cases, f"{rules_file.name}: no test expects {alert} to fire"
        assert (alert, False) in cases, f"{rules_file.name}: no test expects {alert} to stay quiet"


def test_alert_names_are_unique():
    names = [alert for rules_file in RULES for alert in _alerts(rules_file)]
    assert len(names) == len(set(names)), names
