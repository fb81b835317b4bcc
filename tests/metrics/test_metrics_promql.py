"""Metrics engines on their own, without any endpoint: PromQL arithmetic and selectors."""

from __future__ import annotations

import math

import pytest

from crosscheck.errors import ConfigurationError
from crosscheck.metrics.promql import buckets_increase, histogram_quantile, increase, series_increase
from crosscheck.metrics.scrape import as_number, selector, time_unit
from crosscheck.metrics.selectors import Matcher

INF = math.inf


def test_a_counter_reset_counts_from_zero():
    assert series_increase(None, 4) == 4
    assert series_increase(3, 5) == 2
    assert series_increase(7, 2) == 2  # went down: the process restarted
    assert increase({("a",): 1.0}, {("a",): 3.0, ("b",): 2.0}) == 4.0


def test_buckets_are_summed_by_le_and_only_the_increase_counts_with_an_earlier_scrape():
    after = {("a",): [(0.1, 2), (0.5, 4), (INF, 5)], ("b",): [(0.1, 1), (0.5, 1), (INF, 1)]}
    assert buckets_increase(after) == {0.1: 3, 0.5: 5, INF: 6}
    before = {("a",): [(0.1, 1), (0.5, 1), (INF, 1)]}
    assert buckets_increase(after, before) == {0.1: 2, 0.5: 4, INF: 5}
    reset = {("a",): [(0.1, 9), (0.5, 9), (INF, 9)]}
    assert buckets_increase(after, reset) == {0.1: 3, 0.5: 5, INF: 6}  # a reset series counts from 0


def test_quantile_edges_follow_prometheus():
    assert math.isnan(histogram_quantile(0.5, [(0.1, 0), (INF, 0)]))  # no observations
    assert math.isnan(histogram_quantile(0.5, [(0.1, 1), (0.5, 2)]))  # no +Inf bucket
    assert histogram_quantile(-0.1, [(0.1, 1), (INF, 1)]) == -INF
    assert histogram_quantile(1.1, [(0.1, 1), (INF, 1)]) == INF


def test_selectors_labels_numbers_and_time_units():
    assert selector('x_total{route="/a"}', {"status": 200}) == (
        "x_total",
        [Matcher("route", "=", "/a"), Matcher("status", "=", "200")],
    )
    with pytest.raises(ConfigurationError, match="is not a metric name or a selector"):
        selector("x{")
    assert as_number("0.5") == 0.5 and as_number("many") == "many" and as_number(3) == 3
    assert (time_unit("a_seconds_bucket"), time_unit("a_milliseconds"), time_unit("a_bytes")) == ("s", "ms", None)
