"""Metrics: scraping, values, counter increase, histogram_quantile and waiting, against real endpoints.

A prometheus_client HTTP server started here on 127.0.0.1 (its own registry), and the demo's /metrics.
"""

from __future__ import annotations

import math
import threading
import time

import pytest
import requests

from crosscheck.assertions import AssertionOperator as O
from crosscheck.errors import CrosscheckError
from crosscheck.metrics import Metrics
from crosscheck.metrics.promql import histogram_quantile, increase


def test_metric_exists_with_type_and_help(endpoint):
    url, _ = endpoint
    lib = Metrics(url)
    lib.metric_should_exist("app_requests_total", type="counter", help="Requests served")
    lib.metric_should_exist("app_latency_seconds", type="histogram")
    with pytest.raises(CrosscheckError, match="Metric 'app_pool_in_use' at .* has type 'gauge', expected 'counter'"):
        lib.metric_should_exist("app_pool_in_use", type="counter")
    with pytest.raises(CrosscheckError, match="has help 'Requests served', expected 'Requests'"):
        lib.metric_should_exist("app_requests", help="Requests")
    with pytest.raises(CrosscheckError, match="Metric 'app_nope' is not exposed at http://127.0.0.1"):
        lib.metric_should_exist("app_nope")


def test_value_for_a_subset_of_labels(endpoint):
    url, m = endpoint
    m["requests"].labels("/a", "200").inc(3)
    m["requests"].labels("/a", "500").inc()
    m["requests"].labels("/b", "200").inc(5)
    m["in_use"].set(4)
    lib = Metrics(url)
    assert lib.get_metric_value('app_requests_total{route="/a"}') == 4
    assert lib.get_metric_value("app_requests", O["=="], 9) == 9
    assert lib.get_metric_value('app_requests_total{route="/a",status="200"}', O["=="], "3") == 3
    lib.get_metric_value("app_pool_in_use", O["<="], 4)
    with pytest.raises(AssertionError, match=r"app_pool_in_use at http://127.0.0.1:\d+/metrics"):
        lib.get_metric_value("app_pool_in_use", O["=="], 0)
    with pytest.raises(
        CrosscheckError,
        match=r'No series app_requests_total\{route="/c"\} at .*; present: '
        r'app_requests_total\{route="/a",status="200"\}',
    ):
        lib.get_metric_value('app_requests_total{route="/c"}')


def test_counter_that_does_not_move_fails_precisely(endpoint):
    url, m = endpoint
    m["requests"].labels("/a", "200").inc()
    lib = Metrics(url)
    before = lib.scrape_metrics()
    with pytest.raises(AssertionError) as err:
        lib.get_counter_increase('app_requests_total{route="/a"}', before, O[">"], 0)
    assert 'Increase of app_requests_total{route="/a"} at http://127.0.0.1' in str(err.value)
    assert "0.0" in str(err.value)
    m["requests"].labels("/a", "200").inc(2)
    m["requests"].labels("/a", "404").inc()  # a new series counts from 0
    assert lib.get_counter_increase('app_requests_total{route="/a"}', before, O["=="], 3) == 3


def test_counter_reset_counts_the_new_value():
    before = {(("route", "/a"),): 100.0, (("route", "/b"),): 10.0}
    after = {(("route", "/a"),): 7.0, (("route", "/b"),): 12.0}  # /a restarted from 0
    assert increase(before, after) == 9.0


def test_histogram_quantile_as_promql():
    inf = math.inf
    buckets = [(0.1, 2), (0.5, 6), (inf, 8)]
    assert histogram_quantile(0.5, buckets) == pytest.approx(0.3)
    assert histogram_quantile(0.25, buckets) == pytest.approx(0.1)  # rank 2 -> end of first bucket
    assert histogram_quantile(0.1, buckets) == pytest.approx(0.04)  # from 0 in the first bucket
    assert histogram_quantile(0.99, buckets) == 0.5  # +Inf bucket -> highest finite bound
    assert math.isnan(histogram_quantile(0.5, [(0.1, 2), (0.5, 6)]))  # no +Inf bucket
    assert math.isnan(histogram_quantile(0.5, [(0.1, 0), (inf, 0)]))  # no observations
    assert histogram_quantile(-0.1, buckets) == -inf and histogram_quantile(1.1, buckets) == inf
    assert histogram_quantile(0.5, [(-1, 4), (0.5, 6), (inf, 8)]) == -1  # first bound <= 0
    # non-monotonic buckets (scrape mid-update) are made monotonic first
    assert histogram_quantile(0.5, [(0.1, 5), (0.5, 4), (inf, 8)]) == pytest.approx(0.08)


def test_histogram_quantile_from_a_live_endpoint(endpoint):
    url, m = endpoint
    for value in (0.01, 0.02, 0.2, 0.3, 0.3, 0.4, 0.7, 2.0):
        m["latency"].labels("/a").observe(value)
    m["latency"].labels("/b").observe(0.01)
    lib = Metrics(url)
    # /a: buckets 0.05:2 0.1:2 0.25:3 0.5:6 1:7 +Inf:8 -> rank 4 in (0.25, 0.5]: 0.25 + 0.25 * (1/3)
    assert lib.get_histogram_quantile(0.5, 'app_latency_seconds{route="/a"}') == pytest.approx(0.25 + 0.25 / 3)
    before = lib.scrape_metrics()
    with pytest.raises(CrosscheckError, match="is undefined: no observations since the earlier scrape"):
        lib.get_histogram_quantile(0.5, 'app_latency_seconds{route="/a"}', since=before)
    for _ in range(4):
        m["latency"].labels("/a").observe(0.07)
    assert lib.get_histogram_quantile(0.5, "app_latency_seconds", O["<"], "100 ms", since=before) == pytest.approx(
        0.075
    )


def test_wait_until_metric_reaches(endpoint):
    url, m = endpoint
    m["in_use"].set(5)
    timer = threading.Timer(0.6, lambda: m["in_use"].set(0))
    timer.start()
    lib = Metrics(url)
    started = time.monotonic()
    assert lib.wait_until_metric_reaches("app_pool_in_use", O["=="], 0, timeout=_td(10)) == 0
    assert time.monotonic() - started < 9
    with pytest.raises(
        CrosscheckError,
        match=r"Waited 0.5 s: app_pool_in_use at http://127.0.0.1:\d+/metrics '0.0' \(float\) should be greater than '1'",
    ):
        lib.wait_until_metric_reaches("app_pool_in_use", O[">"], 1, timeout=_td(0.5), interval=_td(0.1))


def test_selector_parsing_and_errors(endpoint):
    from crosscheck.errors import ConfigurationError
    from crosscheck.metrics.scrape import parse_selector
    from crosscheck.metrics.selectors import Matcher

    assert parse_selector('x_total{route="/a b",status="200"}') == (
        "x_total",
        [Matcher("route", "=", "/a b"), Matcher("status", "=", "200")],
    )
    assert parse_selector("x") == ("x", [])
    with pytest.raises(ConfigurationError, match="expected a quoted value"):
        parse_selector("x{route=/a}")


def test_openmetrics_by_content_type(endpoint):
    url, m = endpoint
    m["requests"].labels("/a", "200").inc(2)
    lib = Metrics(url)
    snap = lib.scrape_metrics(openmetrics=True)
    assert snap.content_type.startswith("application/openmetrics-text")
    assert lib.get_metric_value("app_requests_total", snapshot=snap) == 2
    lib.metric_should_exist("app_requests", type="counter", snapshot=snap)


def test_unreachable_endpoint_fails_fast_with_masked_url():
    lib = Metrics("http://u:secret@127.0.0.1:9/metrics")
    started = time.monotonic()
    with pytest.raises(CrosscheckError, match=r"Cannot scrape http://u:\*\*\*@127.0.0.1:9/metrics"):
        lib.scrape_metrics()
    assert time.monotonic() - started < 6


def test_demo_metrics_move_with_requests(api_url):
    lib = Metrics(f"{api_url}/metrics")
    for name, kind in [
        ("demo_http_requests_total", "counter"),
        ("demo_http_request_duration_seconds", "histogram"),
        ("demo_db_pool_in_use", "gauge"),
        ("demo_rate_limit_rejections_total", "counter"),
    ]:
        lib.metric_should_exist(name, type=kind)
    before = lib.scrape_metrics()
    for _ in range(3):
        assert requests.get(f"{api_url}/health", timeout=5).status_code == 200
    lib.get_counter_increase('demo_http_requests_total{route="/health"}', before, O[">="], 3)
    lib.get_histogram_quantile(0.95, 'demo_http_request_duration_seconds{route="/health"}', O[">"], "0 s")


def _td(seconds):
    from datetime import timedelta

    return timedelta(seconds=seconds)
