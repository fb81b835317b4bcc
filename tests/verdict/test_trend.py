"""The leak rule on its own (crosscheck.verdict.trend is pure): Theil-Sen, Mann-Kendall, warm-up, bound.

Series are one sample a second for a minute, with seeded noise, so every case is the same on
every run; the noise cases are also tried over many seeds.
"""

from __future__ import annotations

import random

import pytest

from crosscheck.verdict import trend as trends

SECONDS = [float(t) for t in range(60)]
WARMUP = trends.warmup_seconds("20 %", SECONDS[-1])


def steady(total: float, noise: float, seed: int = 1) -> list[float]:
    """Growth of ``total`` MB over the minute from 200 MB, with Gaussian noise of ``noise`` MB."""
    rnd = random.Random(seed)
    return [200 + total * t / SECONDS[-1] + rnd.gauss(0, noise) for t in SECONDS]


def flat(amplitude: float, seed: int = 1) -> list[float]:
    rnd = random.Random(seed)
    return [300 + rnd.uniform(-amplitude, amplitude) for _ in SECONDS]


def spike_then_flat(height: float = 120.0, rise: int = 5, seed: int = 1) -> list[float]:
    rnd = random.Random(seed)
    return [80 + height * min(t, rise) / rise + rnd.uniform(-2, 2) for t in SECONDS]


def judge(values: list[float], bound: float = 100.0, warmup: float = WARMUP) -> trends.Leak:
    return trends.leak(trends.trend(SECONDS, values, warmup), bound)


def test_150_mb_of_steady_growth_with_noise_is_a_leak():
    decision = judge(steady(150, noise=5))
    assert decision.leak, decision.reason
    t = decision.trend
    # the slope is the true one (150 MB/min) within a few percent; the growth is over the 47 s after the warm-up
    assert t.slope * 60 == pytest.approx(150, rel=0.05)
    assert t.growth == pytest.approx(150 * t.duration / 59, rel=0.05) and t.growth > 100
    assert t.p_value < 1e-10 and t.positive_share > 0.9 and t.slope_low > 0
    assert decision.reason.startswith("grew +1") and "steady growth above the bound of 100 MB" in decision.reason


@pytest.mark.parametrize("seed", range(40))
def test_flat_memory_with_20_mb_of_noise_is_not_a_leak(seed):
    decision = judge(flat(20, seed))
    assert not decision.leak, decision.reason
    assert abs(decision.trend.growth) < 25  # noise of +-20 MB does not add up to growth


def test_flat_with_noise_is_not_even_a_significant_trend():
    decision = judge(flat(20))
    assert not decision.trend.significant and decision.trend.p_value > 0.05
    assert "no significant upward trend" in decision.reason


def test_a_warm_up_spike_then_a_plateau_is_not_a_leak():
    decision = judge(spike_then_flat(height=120))
    assert not decision.leak, decision.reason
    assert abs(decision.trend.growth) < 5
    # even judged without a warm-up, the median slope belongs to the plateau
    unguarded = judge(spike_then_flat(height=120), warmup=0.0)
    assert not unguarded.leak and unguarded.trend.growth < 10


def test_the_bound_decides_between_a_significant_drift_and_a_leak():
    values = steady(150, noise=5)
    assert judge(values, bound=100).leak
    assert not judge(values, bound=200).leak
    within = judge(values, bound=200)
    assert within.trend.significant and "a significant trend, but within the bound of 200 MB" in within.reason
    small = judge(steady(50, noise=2))
    assert small.trend.significant and not small.leak  # a cache filling up by 50 MB is not a leak at 100 MB


def test_a_falling_series_is_not_a_leak():
    decision = judge([500 - 3 * t for t in SECONDS])
    assert not decision.leak and decision.trend.slope == pytest.approx(-3) and decision.trend.p_value > 0.99


def test_theil_sen_ignores_outliers_that_pull_least_squares():
    values = [10 + 2 * t for t in SECONDS]
    for i in (7, 23, 41):
        values[i] += 5000  # three wild samples
    t = trends.trend(SECONDS, values)
    assert t.slope == pytest.approx(2.0) and t.intercept == pytest.approx(10.0)


def test_mann_kendall_matches_the_textbook_values():
    s, z, p = trends.mann_kendall(list(range(10)))
    assert s == 45 and z == pytest.approx(44 / 125**0.5) and p == pytest.approx(4.16e-5, rel=0.01)
    s, z, p = trends.mann_kendall([1, 1, 1, 1])
    assert (s, z) == (0, 0.0) and p == 0.5
    # ties shrink the variance: 5 values with one pair tied
    s, _, _ = trends.mann_kendall([1, 2, 2, 3, 4])
    assert s == 9


def test_warm_up_is_a_share_or_seconds():
    assert trends.warmup_seconds("20 %", 50) == 10
    assert trends.warmup_seconds("20%", 50) == 10
    assert trends.warmup_seconds(7.5, 50) == 7.5
    for bad in ("100 %", "-1 %", -3):
        with pytest.raises(ValueError):
            trends.warmup_seconds(bad, 50)


def test_too_few_samples_after_the_warm_up_are_refused_not_judged():
    with pytest.raises(trends.NotEnoughSamples, match=r"^7 samples after a warm-up of 3\.0 s, at least 8"):
        trends.trend([float(t) for t in range(10)], [float(t) for t in range(10)], warmup=3.0)
    with pytest.raises(trends.NotEnoughSamples):
        trends.trend([], [])


def test_long_series_are_judged_on_bucket_medians_quickly():
    n = 20_000
    rnd = random.Random(3)
    t = trends.trend([float(i) for i in range(n)], [100 + 0.01 * i + rnd.gauss(0, 3) for i in range(n)])
    assert t.points == trends.MAX_POINTS and t.slope == pytest.approx(0.01, rel=0.05)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="confidence"):
        trends.trend(SECONDS, flat(1), confidence=1.0)
    with pytest.raises(ValueError, match="times but"):
        trends.trend(SECONDS, [1.0])
    with pytest.raises(ValueError, match="negative"):
        trends.leak(trends.trend(SECONDS, flat(1)), -1)
