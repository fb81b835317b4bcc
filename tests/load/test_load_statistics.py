"""Figures from raw samples on their own: exact percentiles, stages, request names, degradation."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from crosscheck.load.result import LoadResult
from crosscheck.load.stages import Stage, plan
from crosscheck.load.statistics import Sample, breakdown, degradation, parse_line, percentile, timeline


def test_percentiles_are_exact_as_numpy_computes_them():
    rng = random.Random(7)
    values = [rng.expovariate(1 / 40) for _ in range(5001)]
    for q in (50, 90, 95, 99, 99.9):
        assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)), rel=1e-12)
    assert percentile([3.0], 95) == 3.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_a_five_percent_shift_is_visible_where_buckets_would_hide_it():
    base = [100.0 + i * 0.01 for i in range(1000)]
    slower = [v * 1.05 for v in base]
    assert degradation(percentile(base, 95), percentile(slower, 95)) == pytest.approx(5.0)


def test_samples_are_read_from_the_lines_the_generator_writes():
    assert parse_line("1.5\tGET\t/ok\t12.250\t1\t\n") == Sample(1.5, "GET", "/ok", 12.25, True, "")
    assert parse_line("2\tPOST\tsearch\t7\t0\tHTTP 500\n") == Sample(2.0, "POST", "search", 7.0, False, "HTTP 500")
    assert parse_line("torn line") is None
    assert parse_line("x\tGET\t/ok\t1\t1") is None


def _samples():
    """Stage 1 (2 users) holds from 0 to 10 s, stage 2 (4 users) from 12 to 22 s (ramp 1/s)."""
    out = []
    for i in range(100):  # stage 1: 10 RPS, 10 ms, /a and /b alternately
        out.append(Sample(1000.0 + i * 0.1, "GET", "/a" if i % 2 else "/b", 10.0, True))
    for i in range(20):  # the ramp: not in any stage
        out.append(Sample(1010.0 + i * 0.1, "GET", "/a", 500.0, True))
    for i in range(200):  # stage 2: 20 RPS, 20 ms, every tenth /b fails
        out.append(Sample(1012.0 + i * 0.05, "GET", "/a" if i % 2 else "/b", 20.0, i % 20 != 0, "HTTP 500"))
    return out


def _stages():
    return [Stage(0, 2, 2.0, 0.0, 0.0, 10.0), Stage(1, 4, 1.0, 10.0, 12.0, 22.0)]


def test_figures_per_stage_per_request_and_for_the_whole_run():
    stages = plan([2, 4], 10, "1/s")
    assert [(s.hold_start, s.end) for s in stages] == [(2.0, 12.0), (14.0, 24.0)]
    stages = _stages()
    table = breakdown(_samples(), stages, 1000.0, 22.0)
    first, second = table.get(stages[0], None), table.get(stages[1], None)
    assert (first.requests, first.rps, first.failures, first.statistic("p95")) == (100, 10.0, 0, 10.0)
    assert (second.requests, second.rps, second.failures, second.error_rate) == (200, 20.0, 10, 5.0)
    b = table.get(stages[1], "/b")
    assert (b.requests, b.failures, b.error_rate) == (100, 10, 10.0)
    assert b.errors == {"GET /b: HTTP 500": 10}
    whole = table.get(None, None)
    assert whole.requests == 320 and whole.statistic("max") == 500.0
    assert table.names == ["/b", "/a"]


def test_degradation_between_stages_in_percent():
    assert degradation(100.0, 150.0) == 50.0
    assert degradation(100.0, 80.0) == -20.0
    assert degradation(0.0, 0.0) == 0.0
    assert math.isinf(degradation(0.0, 1.0))
    assert math.isnan(degradation(math.nan, 1.0))


def test_the_result_names_every_figure_under_a_stable_name():
    stages = _stages()
    samples = _samples()
    result = LoadResult(
        "http://127.0.0.1:1", stages, breakdown(samples, stages, 1000.0, 22.0), timeline(samples, 1000.0, 22.0), []
    )
    stats = result.statistics()
    flat = stats["figures"]
    assert flat["load.stage_2.all.rps"] == 10.0
    assert flat["load.stage_4./b.error_rate_percent"] == 10.0
    assert flat["load.stage_4.all.p95_ms"] == 20.0
    assert flat["load.stage_4.degradation_p95_percent"] == 100.0
    assert flat["load.stage_4.degradation_rps_per_user_percent"] == 0.0
    assert result.degradation("p95", stages[1]) == 100.0
    assert [s.users for s in stages] == [st["users"] for st in stats["stages"]]


def test_the_timeline_counts_requests_and_p95_per_second():
    seconds = timeline(_samples(), 1000.0, 22.0)
    assert len(seconds) == 22
    assert seconds[0].requests == 10 and seconds[0].p95 == 10.0
    assert seconds[12].requests == 20 and seconds[12].failures == 1
    assert seconds[11].requests == 10 and seconds[11].p95 == 500.0  # the ramp between the stages
    empty = timeline([], 1000.0, 2.0)
    assert [s.requests for s in empty] == [0, 0] and math.isnan(empty[0].p95)
