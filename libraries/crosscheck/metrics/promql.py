"""PromQL arithmetic on scraped samples: ``histogram_quantile`` and counter ``increase``.

Both follow Prometheus's own implementation (promql/quantile.go, functions.go):

* ``histogram_quantile(q, buckets)``: buckets sorted by ``le``, made monotonic;
  NaN without a ``+Inf`` bucket, with fewer than two buckets or no observations;
  ``-Inf`` for q < 0 and ``+Inf`` for q > 1; the rank ``q * count`` is located in
  the first bucket whose cumulative count reaches it and interpolated linearly
  within it (from 0 for the first bucket when its bound is positive); a rank
  in the ``+Inf`` bucket returns the highest finite bound.
* ``increase`` over two scrapes: per series ``after - before``, or ``after`` when
  the counter went down (a reset: the process restarted and counted from 0).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping


def histogram_quantile(q: float, buckets: Iterable[tuple[float, float]]) -> float:
    """The ``q`` quantile (0..1) of cumulative ``(upper_bound, count)`` buckets."""
    if math.isnan(q):
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    merged: dict[float, float] = {}
    for bound, count in buckets:
        merged[float(bound)] = merged.get(float(bound), 0.0) + float(count)
    ordered = sorted(merged.items())
    if len(ordered) < 2 or not math.isinf(ordered[-1][0]):
        return math.nan
    # ensure monotonicity, as Prometheus does for scrapes taken mid-update
    fixed, top = [], 0.0
    for bound, count in ordered:
        top = max(top, count)
        fixed.append((bound, top))
    ordered = fixed
    observations = ordered[-1][1]
    if observations == 0:
        return math.nan
    rank = q * observations
    b = next(i for i, (_, count) in enumerate(ordered) if count >= rank)
    if b == len(ordered) - 1:
        return ordered[-2][0]
    if b == 0 and ordered[0][0] <= 0:
        return ordered[0][0]
    start, end, count = 0.0, ordered[b][0], ordered[b][1]
    if b > 0:
        start = ordered[b - 1][0]
        count -= ordered[b - 1][1]
        rank -= ordered[b - 1][1]
    if count == 0:
        return end
    return start + (end - start) * (rank / count)


def series_increase(before: float | None, after: float) -> float:
    """A counter's increase from ``before`` to ``after``; a drop means a reset to 0."""
    if before is None:
        return after
    return after - before if after >= before else after


def increase(before: Mapping[tuple, float], after: Mapping[tuple, float]) -> float:
    """The summed increase of every series in ``after`` (keyed by label tuple)."""
    return sum(series_increase(before.get(key), value) for key, value in after.items())


def buckets_increase(
    after: Mapping[tuple, Iterable[tuple[float, float]]],
    before: Mapping[tuple, Iterable[tuple[float, float]]] | None = None,
) -> dict[float, float]:
    """Cumulative counts per ``le``, summed over series (``sum by (le)``); with ``before``, only what was added.

    ``after`` and ``before`` map a series' labels to its ``(le, count)`` buckets. A series with
    any bucket lower than before was reset and counts from 0, as ``increase`` does.
    """
    summed: dict[float, float] = {}
    for key, buckets in after.items():
        old = dict((before or {}).get(key, []))
        buckets = list(buckets)
        reset = any(count < old.get(le, 0) for le, count in buckets)
        for le, count in buckets:
            value = count if reset else series_increase(old.get(le), count) if old else count
            summed[le] = summed.get(le, 0.0) + value
    return summed
