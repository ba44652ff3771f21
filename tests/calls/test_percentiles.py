"""Nearest-rank percentiles from a histogram (no database)."""

from __future__ import annotations

from calls.percentiles import percentiles


def test_nearest_rank_on_a_histogram():
    histogram = {100: 3, 200: 1, 300: 1, 500: 1, 800: 1, 900: 1, 1000: 1, 1200: 1}
    assert percentiles(histogram, [50, 90, 99, 100]) == {50: 300, 90: 1000, 99: 1200, 100: 1200}


def test_a_small_percentile_is_the_smallest_value():
    assert percentiles({7: 1, 9: 1}, [1]) == {1: 7}


def test_an_empty_histogram_has_no_percentiles():
    assert percentiles({}, [50, 90]) == {50: None, 90: None}
