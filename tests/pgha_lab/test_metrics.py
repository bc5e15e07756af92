"""pgha_lab.metrics: what a drill reports from the clients' acknowledgement times."""

from __future__ import annotations

import pytest

from pgha_lab.metrics import _ack_points, end_of_longest_gap, gaps, longest_gap, stats

# Acknowledgements every 0.1 s from 0 to 2, then nothing until 5.0, then every 0.1 s to 7.
ACKS = [round(i / 10, 1) for i in range(0, 21)] + [round(5 + i / 10, 1) for i in range(0, 21)]


def test_ack_points_keep_the_last_before_and_the_first_after_the_window():
    assert _ack_points(ACKS, 1.95, 5.05) == [1.9, 2.0, 5.0, 5.1]


def test_ack_points_of_an_empty_window_are_its_neighbours():
    assert _ack_points([1.0, 4.0], 2.0, 3.0) == [1.0, 4.0]
    assert _ack_points([], 2.0, 3.0) == []


def test_gaps_lists_offset_and_length_of_every_interval_over_one_second():
    assert gaps(ACKS, 1.0, 6.0) == [[1.0, 3.0]]
    assert gaps(ACKS, 1.0, 6.0, over=5) == []


def test_longest_gap_counts_the_interval_that_spans_the_fault():
    assert longest_gap(ACKS, 1.0, 6.0) == 3.0
    assert longest_gap(ACKS, 0.0, 1.0) == pytest.approx(0.1)


def test_longest_gap_without_an_acknowledgement_after_the_window_runs_to_its_end():
    assert longest_gap([1.0], 2.0, 4.5) == 3.5
    assert longest_gap([], 2.0, 4.5) is None


def test_end_of_longest_gap_is_the_first_acknowledgement_after_it():
    assert end_of_longest_gap(ACKS, 1.0) == 5.0
    assert end_of_longest_gap(ACKS, 8.0) is None
    assert end_of_longest_gap([3.0], 2.0) is None  # nothing before the fault: no interval


def test_stats_is_min_median_max_with_one_decimal():
    assert stats([3.0, None, 1.04, 2.0]) == "1.0 / 2.0 / 3.0"
    assert stats([2.25]) == "2.2"
    assert stats([None]) == "-"
