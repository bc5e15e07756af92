"""pgha_lab.report: the stored results render to the stored Markdown, byte for byte."""

from __future__ import annotations

import json

import pytest

from pgha_lab import ROOT
from pgha_lab.report import markdown, summary

RESULTS = ROOT / "results" / "drills"


@pytest.mark.parametrize("name", sorted(p.stem for p in RESULTS.glob("*.json")))
def test_markdown_of_the_stored_runs_is_the_stored_report(name):
    report = json.loads((RESULTS / f"{name}.json").read_text())
    assert markdown(report) == (RESULTS / f"{name}.md").read_text()


def test_markdown_lists_a_failed_run_with_its_checks_and_error():
    report = json.loads((RESULTS / "latest.json").read_text())
    run = dict(report["runs"][0], ok=False, checks={"sync standby promoted": False}, error="AssertionError: boom")
    report["runs"] = [run]
    text = markdown(report)
    assert "Failed runs: 1." in text
    assert f"- {run['drill']}/{run['profile']}#{run['run']}: checks {{'sync standby promoted': False}}, error AssertionError: boom" in text
    assert "| 0/1 |" in text


def test_summary_names_the_drill_and_the_numbers():
    run = json.loads((RESULTS / "latest.json").read_text())["runs"][0]
    line = summary(run)
    assert line.startswith(f"{run['drill']}/{run['profile']}#{run['run']}: ok={run['ok']} write gap {run['write_gap_s']} s")
    assert f"lost {run['lost_writes']}/{run['writes_acknowledged']}" in line
