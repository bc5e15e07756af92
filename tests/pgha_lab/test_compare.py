"""pgha_lab.compare: two drill results side by side."""

from __future__ import annotations

import json

from pgha_lab.compare import action_to_first_write, main, rows


def _run(drill, profile, gap, promoted=None, first_write=None, ok=True, lost=0):
    timeline = {}
    if promoted is not None:
        timeline["new leader promoted"] = promoted
    if first_write is not None:
        timeline["first write after the gap"] = first_write
    return {"drill": drill, "title": f"title of {drill}", "profile": profile, "write_gap_s": gap,
            "timeline": timeline, "ok": ok, "lost_writes": lost}


BASE = [_run("stop", "fast", 1.5, 1.4, 1.6), _run("stop", "fast", 1.7, 1.5, 1.7), _run("stop", "fast", 1.6, 1.5, 1.6),
        _run("only_in_base", "fast", 9.0)]
OTHER = [_run("stop", "fast", 2.5, 2.4, 2.6), _run("stop", "fast", 2.6, 2.5, 2.6, ok=False),
         _run("stop", "fast", 2.4, None, 2.4), _run("only_in_other", "fast", 1.0)]


def test_action_to_first_write_needs_both_marks():
    assert action_to_first_write(_run("d", "p", 3.0, 1.0, 2.25)) == 1.25
    assert action_to_first_write(_run("d", "p", 3.0, None, 2.25)) is None
    assert action_to_first_write({"drill": "d", "profile": "p", "timeline": None}) is None


def test_rows_pair_the_drills_measured_in_both_with_medians_and_differences():
    [row] = rows(BASE, OTHER)
    assert (row["drill"], row["profile"], row["title"]) == ("stop", "fast", "title of stop")
    assert row["gap"] == [1.6, 2.5]
    assert row["gap_diff"] == 0.9
    assert row["runs"] == (3, 3) and row["ok"] == (3, 2)
    # medians of 0.2, 0.2, 0.1 and of 0.2, 0.1 (the third run lacks Patroni's mark)
    assert row["action_to_write"] == [0.2, 0.15]
    assert row["action_runs"] == (3, 2)
    assert row["action_to_write_diff"] == -0.05


def test_main_writes_the_markdown_table(tmp_path):
    files = []
    for name, runs in (("a.json", BASE), ("b.json", OTHER)):
        path = tmp_path / name
        path.write_text(json.dumps({"started": "s", "finished": "f", "runs": runs}))
        files.append(str(path))
    out = tmp_path / "cmp.md"
    assert main([*files, "--labels", "plain,TLS", "--out", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("# TLS beside plain\n")
    assert "| title of stop | fast | 1.60 (3/3) | 2.50 (2/3) | +0.90 | 0.20 | 0.15 | -0.05 | 0 / 0 |" in text
    assert "only_in" not in text
