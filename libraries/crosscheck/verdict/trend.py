"""Trends in sampled figures: the Theil-Sen slope, the Mann-Kendall test, and the leak decision.

Pure: standard library only, so it is tested on its own. Times are seconds, values any unit
(MB for memory).

A *leak* is steady growth, not noise and not a warm-up:

- the window starts after a warm-up (the first seconds of a process allocate caches,
  pools and threads once); only the samples after it are judged;
- the slope is Theil-Sen's (the median of the slopes between every pair of samples), which
  a few outliers or a step cannot pull the way they pull a least-squares fit;
- the growth is that slope times the window's duration, so noise around a flat line gives a
  growth near zero whatever its amplitude;
- the trend must be significant: the one-sided Mann-Kendall test (with the correction for
  tied values) must reject "no upward trend" at the given confidence;
- and the growth must exceed a bound (MB over the window), so that a significant but small
  drift (a cache filling up) is not called a leak.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

MIN_POINTS = 8  # fewer samples after the warm-up cannot show a significant trend at 99 %
MAX_POINTS = 400  # longer series are reduced to this many bucket medians (the pairs grow with n²)
DEFAULT_CONFIDENCE = 0.99
DEFAULT_WARMUP_FRACTION = 0.2


class NotEnoughSamples(ValueError):
    """Too few samples after the warm-up to judge a trend."""


@dataclass(frozen=True)
class Trend:
    """The trend of a series after its warm-up."""

    points: int  # samples judged (after the warm-up; bucket medians for long series)
    start: float  # first judged time (s)
    end: float  # last judged time (s)
    warmup: float  # seconds left out at the start
    slope: float  # Theil-Sen slope, value units per second
    intercept: float  # Theil-Sen intercept: value = intercept + slope * t
    slope_low: float  # two-sided confidence interval of the slope (Sen's method)
    slope_high: float
    positive_share: float  # share of pairwise slopes above zero, among those not zero
    mann_kendall_s: int
    mann_kendall_z: float
    p_value: float  # one-sided: the probability of a rise at least this steady without a trend
    confidence: float

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def growth(self) -> float:
        """The fitted rise over the judged window: slope x duration."""
        return self.slope * self.duration

    @property
    def significant(self) -> bool:
        return self.p_value < 1.0 - self.confidence

    def fitted(self, t: float) -> float:
        return self.intercept + self.slope * t


@dataclass(frozen=True)
class Leak:
    """The leak decision: ``leak`` and the reason, in one sentence."""

    leak: bool
    trend: Trend
    bound: float
    reason: str


def warmup_seconds(spec: float | str, window: float) -> float:
    """Seconds of warm-up: ``spec`` is seconds (a number) or a share of the window (``"20 %"`` or ``"20%"``)."""
    if isinstance(spec, str):
        text = spec.strip()
        if text.endswith("%"):
            share = float(text[:-1].strip())
            if not 0 <= share < 100:
                raise ValueError(f"a warm-up share must be from 0 % to below 100 %, got {spec!r}")
            return window * share / 100.0
        spec = float(text)
    if spec < 0:
        raise ValueError(f"a warm-up cannot be negative, got {spec!r}")
    return float(spec)


def _buckets(times: Sequence[float], values: Sequence[float], limit: int) -> tuple[list[float], list[float]]:
    """At most ``limit`` points: the medians of consecutive, equal buckets of samples."""
    n = len(times)
    if n <= limit:
        return list(times), list(values)
    xs, ys = [], []
    for k in range(limit):
        lo, hi = k * n // limit, (k + 1) * n // limit
        xs.append(statistics.median(times[lo:hi]))
        ys.append(statistics.median(values[lo:hi]))
    return xs, ys


def _tie_term(values: Sequence[float]) -> float:
    counts: dict[float, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return sum(t * (t - 1) * (2 * t + 5) for t in counts.values() if t > 1)


def mann_kendall(values: Sequence[float]) -> tuple[int, float, float]:
    """S, Z and the one-sided p-value for an upward trend (normal approximation, ties corrected)."""
    n = len(values)
    s = 0
    for i in range(n - 1):
        vi = values[i]
        for j in range(i + 1, n):
            d = values[j] - vi
            s += (d > 0) - (d < 0)
    variance = (n * (n - 1) * (2 * n + 5) - _tie_term(values)) / 18.0
    if variance <= 0:
        return s, 0.0, 0.5 if s == 0 else (0.0 if s > 0 else 1.0)
    if s > 0:
        z = (s - 1) / math.sqrt(variance)
    elif s < 0:
        z = (s + 1) / math.sqrt(variance)
    else:
        z = 0.0
    return s, z, 0.5 * math.erfc(z / math.sqrt(2))


def theil_sen(times: Sequence[float], values: Sequence[float]) -> tuple[float, float, list[float]]:
    """The Theil-Sen slope and intercept, and the sorted pairwise slopes."""
    slopes = []
    n = len(times)
    for i in range(n - 1):
        for j in range(i + 1, n):
            dt = times[j] - times[i]
            if dt > 0:
                slopes.append((values[j] - values[i]) / dt)
    if not slopes:
        raise NotEnoughSamples("all samples have the same time")
    slopes.sort()
    slope = statistics.median(slopes)
    intercept = statistics.median(v - slope * t for t, v in zip(times, values))
    return slope, intercept, slopes


def trend(
    times: Sequence[float],
    values: Sequence[float],
    warmup: float = 0.0,
    confidence: float = DEFAULT_CONFIDENCE,
) -> Trend:
    """The trend of ``values`` over ``times`` (s), leaving out the first ``warmup`` seconds.

    Raises :class:`NotEnoughSamples` with fewer than :data:`MIN_POINTS` samples after the warm-up.
    """
    if len(times) != len(values):
        raise ValueError(f"{len(times)} times but {len(values)} values")
    if not 0.5 <= confidence < 1:
        raise ValueError(f"confidence must be from 0.5 to below 1, got {confidence!r}")
    if not times:
        raise NotEnoughSamples("no samples")
    t0 = times[0]
    kept = [(t, v) for t, v in zip(times, values) if t - t0 >= warmup and not math.isnan(v)]
    if len(kept) < MIN_POINTS:
        raise NotEnoughSamples(
            f"{len(kept)} sample{'' if len(kept) == 1 else 's'} after a warm-up of {warmup:.1f} s, "
            f"at least {MIN_POINTS} are needed"
        )
    xs, ys = _buckets([t for t, _ in kept], [v for _, v in kept], MAX_POINTS)
    slope, intercept, slopes = theil_sen(xs, ys)
    s, z, p = mann_kendall(ys)
    n = len(ys)
    variance = max((n * (n - 1) * (2 * n + 5) - _tie_term(ys)) / 18.0, 0.0)
    c = statistics.NormalDist().inv_cdf(1 - (1 - confidence) / 2) * math.sqrt(variance)
    m = len(slopes)
    lo = min(max(int(math.floor((m - c) / 2)), 0), m - 1)
    hi = min(max(int(math.ceil((m + c) / 2)), 0), m - 1)
    moving = [x for x in slopes if x != 0]
    share = sum(1 for x in moving if x > 0) / len(moving) if moving else 0.0
    return Trend(
        points=n,
        start=kept[0][0],
        end=kept[-1][0],
        warmup=warmup,
        slope=slope,
        intercept=intercept,
        slope_low=slopes[lo],
        slope_high=slopes[hi],
        positive_share=share,
        mann_kendall_s=s,
        mann_kendall_z=z,
        p_value=p,
        confidence=confidence,
    )


def _p(p: float) -> str:
    return f"{p:.2g}" if p >= 1e-4 else f"{p:.1e}"


def describe(t: Trend, unit: str = "MB") -> str:
    """The trend in one clause: growth, window, slope per minute, positive pairs, Mann-Kendall p."""
    return (
        f"{t.growth:+.1f} {unit} over {t.duration:.1f} s after a {t.warmup:.1f} s warm-up "
        f"(Theil-Sen slope {t.slope * 60:+.2f} {unit}/min, {t.positive_share * 100:.0f} % of pairwise slopes "
        f"positive, Mann-Kendall p = {_p(t.p_value)}, {t.points} samples)"
    )


def leak(t: Trend, bound: float, unit: str = "MB") -> Leak:
    """A leak when the upward trend is significant at ``t.confidence`` and the growth exceeds ``bound``."""
    if bound < 0:
        raise ValueError(f"a leak bound cannot be negative, got {bound!r}")
    alpha = 1.0 - t.confidence
    what = describe(t, unit)
    if t.significant and t.growth > bound:
        return Leak(True, t, bound, f"grew {what}: steady growth above the bound of {bound:g} {unit}")
    if not t.significant:
        return Leak(False, t, bound, f"changed {what}: no significant upward trend (p >= {_p(alpha)})")
    return Leak(False, t, bound, f"grew {what}: a significant trend, but within the bound of {bound:g} {unit}")
