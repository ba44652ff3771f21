"""Percentiles from a histogram (value → count), so the database only has to count (plain Python, no Django).

Counting is portable SQL; PERCENTILE_CONT is PostgreSQL-only. Nearest rank: the p-th percentile is the smallest value
whose cumulative count reaches ceil(p/100 × n), so it is always a value that occurred (or its bucket)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping


def percentiles(histogram: Mapping[int, int], ps: Iterable[float]) -> dict[float, int | None]:
    """{p: value} for each p in `ps` (0 < p ≤ 100); None for every p when the histogram is empty."""
    total = sum(histogram.values())
    ps = list(ps)
    if total == 0:
        return {p: None for p in ps}
    ranks = {p: max(1, math.ceil(p / 100 * total)) for p in ps}
    found: dict[float, int | None] = {}
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        for p, rank in ranks.items():
            if p not in found and seen >= rank:
                found[p] = value
    return found



def bucket(ms: int) -> int:
    """The histogram bucket of a latency: 10 ms steps below a second, 100 ms steps above (never more than 10% below
    the value). `calls.analytics.queries` computes the same bucket in SQL for calls the summary cannot answer for."""
    return ms // 10 * 10 if ms < 1000 else ms // 100 * 100
