"""Histogram quantiles, computed as PromQL's histogram_quantile does."""

from __future__ import annotations

import math
from typing import Any

from robot.api.deco import keyword

from crosscheck import figures
from crosscheck.assertions import AssertionOperator, check, time_target
from crosscheck.config import mask_url
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.metrics.context import MetricsContext
from crosscheck.metrics.promql import buckets_increase, histogram_quantile
from crosscheck.metrics.scrape import Snapshot, as_number, figure_name, format_series, selector, time_unit
from crosscheck.reporting import html_table, log_html


class HistogramKeywords(Component[MetricsContext]):
    @keyword
    def get_histogram_quantile(
        self,
        quantile: float,
        metric: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        snapshot: Snapshot | None = None,
        since: Snapshot | None = None,
        labels: dict | None = None,
    ) -> float:
        """Returns the ``quantile`` (0..1) of histogram ``metric``, as PromQL's ``histogram_quantile``.

        ``metric`` is a name or a selector as in `Get Metric Value`.
        Buckets of the series whose labels include the given ones are summed
        by ``le`` (``sum by (le)``), then the quantile is interpolated linearly
        within its bucket; a quantile in the ``+Inf`` bucket is the highest
        finite bound. With ``since`` (an earlier snapshot) only the
        observations made between the two scrapes count (``increase``, with
        resets handled). Values are in the metric's unit (seconds for
        ``_seconds``). For a time histogram (a name ending in ``_seconds`` or
        ``_milliseconds``) the expected value is a time with a unit (``100 ms``,
        ``0.1 s``) and a bare number is refused; for other histograms it is a
        number in the metric's unit. Fails when there are no observations
        (PromQL gives NaN).

        | ${p95} =    Get Histogram Quantile    0.95    demo_http_request_duration_seconds{route="/health"}
        | Get Histogram Quantile    0.95    demo_http_request_duration_seconds    <    100 ms    since=${before}
        """
        snap = self.ctx.snapshot(snapshot)
        if not 0 <= quantile <= 1:
            raise ConfigurationError(f"quantile must be between 0 and 1, got {quantile}.")
        name, wanted = selector(metric, labels)
        what = f"Quantile {quantile:g} of {format_series(name + '_bucket', wanted)} at {mask_url(snap.url)}"
        unit = time_unit(name)
        if unit:
            target = time_target(assertion_operator, assertion_expected, what, unit=unit)
            expected = assertion_expected if target is None else target
        else:
            expected = as_number(assertion_expected)
        per_series = snap.buckets(name, wanted)
        fam = snap.require_family(name)
        series = format_series(fam.name + "_bucket", wanted)
        if not per_series:
            raise CrosscheckError(f"No series {series} at {mask_url(snap.url)}.")
        summed = buckets_increase(per_series, since.buckets(name, wanted) if isinstance(since, Snapshot) else None)
        value = histogram_quantile(quantile, summed.items())
        log_html(
            html_table(
                [[le, count] for le, count in sorted(summed.items())],
                ["le", "cumulative count"],
                f"{series}: q{quantile:g} = {value:g}",
            )
        )
        if math.isnan(value):
            raise CrosscheckError(
                f"Quantile {quantile:g} of {series} at {mask_url(snap.url)} is undefined: "
                f"no observations{' since the earlier scrape' if since is not None else ''}."
            )
        quantile_name = "p" + f"{quantile * 100:g}".replace(".", "_")
        figures.record(figure_name(name, wanted, quantile_name), value, unit or "value", "lower", where=what)
        return check(value, assertion_operator, expected, f"Quantile {quantile:g} of {series} at {mask_url(snap.url)}")
