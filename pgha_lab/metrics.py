"""What the drills measure from the clients' acknowledgement times (monotonic seconds)."""

from __future__ import annotations

import itertools
import statistics


def _ack_points(acks: list[float], start: float, end: float) -> list[float]:
    """Acknowledgements in (start, end), with the last one before start and the first one after end."""
    times = sorted(acks)
    return ([t for t in times if t <= start][-1:] + [t for t in times if start < t < end]
            + [t for t in times if t >= end][:1])


def gaps(acks: list[float], start: float, end: float, over: float = 1.0) -> list[list[float]]:
    """[offset from start, length] of every interval longer than `over` between acknowledgements in [start, end]."""
    points = _ack_points(acks, start, end)
    return [[round(a - start, 1), round(b - a, 1)] for a, b in itertools.pairwise(points) if b - a > over]


def longest_gap(acks: list[float], start: float, end: float) -> float | None:
    """Longest interval between consecutive acknowledgements over [start, end]: the last
    acknowledgement before start and the first after end included."""
    if not acks:
        return None
    points = _ack_points(acks, start, end)
    if len(points) < 2:
        return round(end - (points[0] if points else start), 3)
    return round(max(b - a for a, b in itertools.pairwise(points)), 3)


def end_of_longest_gap(acks: list[float], start: float) -> float | None:
    """The acknowledgement that ends the longest interval from the last one before start on
    (None when nothing was acknowledged after start)."""
    times = sorted(acks)
    after = [t for t in times if t > start]
    if not after:
        return None
    points = [t for t in times if t <= start][-1:] + after
    if len(points) < 2:
        return None
    return max(itertools.pairwise(points), key=lambda ab: ab[1] - ab[0])[1]


def stats(values) -> str:
    """'min / median / max' of the values that are not None, one decimal ('-' for none, the value alone for one)."""
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.1f}"
    return f"{min(values):.1f} / {statistics.median(values):.1f} / {max(values):.1f}"


def group_runs(runs) -> dict[tuple[str, str], list[dict]]:
    """The runs by (drill, profile), in the order each pair first appears."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for run in runs:
        groups.setdefault((run["drill"], run["profile"]), []).append(run)
    return groups
