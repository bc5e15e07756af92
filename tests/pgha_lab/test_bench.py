"""pgha_lab.bench reads pgbench's summary (recorded from pgbench 15 against the lab's PostgreSQL 17)
and writes a table a person can compare."""

from pathlib import Path

import pytest

from pgha_lab.bench import CASES, markdown, parse

FIXTURES = Path(__file__).parent / "fixtures"


def test_persistent_connections_summary():
    result = parse((FIXTURES / "pgbench-15-summary.txt").read_text())
    assert result == dict(tps=680.855713, latency_ms=2.937, transactions=1346, failed=0)


def test_connection_per_transaction_summary():
    # With -C pgbench says "including reconnection times" after the tps.
    result = parse((FIXTURES / "pgbench-15-connect.txt").read_text())
    assert result == dict(tps=52.220350, latency_ms=38.299, transactions=106, failed=0)


def test_output_without_a_summary_is_an_error():
    with pytest.raises(RuntimeError, match="printed no tps"):
        parse("pgbench: error: connection to server failed\n")


def test_markdown_has_a_row_and_a_command_per_case():
    cases = [dict(key=key, what=what, command=f"pgbench {key}", tps=100.0 + i, tps_rounds=[99.0, 100.0 + i, 130.0], latency_ms=1.5, transactions=10, failed=0)
             for i, (key, what, *_rest) in enumerate(CASES)]
    report = dict(finished="2026-12-02 10:00 UTC", primary="pg1", synchronous_mode="on",
                  settings=dict(seconds=30, rounds=3, clients=8, jobs=2, scale=10, database="pgha_bench"),
                  versions=dict(pgbench="pgbench 15.18", server="17.12"), cases=cases,
                  ratios=dict(vip_over_direct=0.72, synchronous_over_local=0.75, connect_over_persistent_vip=0.14),
                  pgbouncer="not deployed")
    text = markdown(report)
    assert text.count("\n| ") == len(CASES) + 1
    assert all(f"- {key}: `pgbench {key}`" in text for key, *_rest in CASES)
    assert "| direct to the primary, synchronous commit | 100 | 99, 100, 130 | 1.5 | 10 | 0 |" in text
    assert "VIP (HAProxy) / direct, persistent connections, synchronous commit: 0.72" in text
