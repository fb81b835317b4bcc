"""Values of series, counter increases, and waiting for a value."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from robot.api.deco import keyword

from crosscheck.assertions import AssertionOperator, check, time_target
from crosscheck.config import mask_url
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.metrics.context import MetricsContext
from crosscheck.metrics.promql import increase, series_increase
from crosscheck.metrics.scrape import Snapshot, as_number, format_series, selector, time_unit
from crosscheck.reporting import html_table, log_html


class ValueKeywords(Component[MetricsContext]):
    @keyword
    def get_metric_value(
        self,
        metric: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        snapshot: Snapshot | None = None,
        labels: dict | None = None,
    ) -> float:
        """Returns the value of ``metric`` summed over the series whose labels include the given ones.

        ``metric`` is a name or a PromQL selector, read as Prometheus reads it: matchers
        ``=``, ``!=``, ``=~`` and ``!~``, values with PromQL's escapes
        (``demo_http_requests_total{route="/health",status=~"2.."}``); a ``labels``
        dictionary adds ``=`` matchers. For a counter family the ``_total`` sample is read,
        for a histogram or summary family its ``_count``; a summary's quantile is read
        when the selector names one (``rpc_duration_seconds{quantile="0.99"}``), and is a
        time when the name ends in ``_seconds`` or ``_milliseconds`` (a target needs a
        unit, see *Times*). Fails if no series matches, listing the series present.

        | Get Metric Value    demo_db_pool_in_use    ==    0
        | Get Metric Value    demo_http_requests_total{route="/health",status=~"2.."}    >=    1
        """
        snap = self.ctx.snapshot(snapshot)
        name, wanted = selector(metric, labels)
        value = snap.value(name, wanted)
        sample_name = snap.sample_name(name, wanted)
        what = f"{format_series(sample_name, wanted)} at {mask_url(snap.url)}"
        unit = time_unit(sample_name) if snap.require_family(name).type == "summary" else None
        if unit:
            target = time_target(assertion_operator, assertion_expected, what, unit=unit)
            return check(value, assertion_operator, assertion_expected if target is None else target, what)
        return check(value, assertion_operator, as_number(assertion_expected), what)

    @keyword
    def get_counter_increase(
        self,
        metric: str,
        before: Snapshot,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        after: Snapshot | None = None,
        labels: dict | None = None,
    ) -> float:
        """Returns how much counter ``metric`` grew from ``before`` to ``after``, summed over matching series.

        ``metric`` is a name or a selector as in `Get Metric Value`.
        ``after`` defaults to a fresh scrape of the URL ``before`` came from. A
        series whose value went down was reset (its process restarted): its
        increase is its new value, as PromQL's ``increase`` counts it. A series
        that appears only in ``after`` counts from 0.

        | ${before} =    Scrape Metrics
        | GET On Session    demo    /health
        | Get Counter Increase    demo_http_requests_total{route="/health"}    ${before}    ==    1
        """
        if not isinstance(before, Snapshot):
            raise ConfigurationError("'before' must be a snapshot returned by 'Scrape Metrics'.")
        after = after if isinstance(after, Snapshot) else self.ctx.scrape(before.url)
        name, wanted = selector(metric, labels)
        fam = after.require_family(name)
        if fam.type not in ("counter", "histogram", "summary", "unknown", "untyped"):
            raise CrosscheckError(f"Metric '{fam.name}' at {mask_url(after.url)} is a {fam.type}, not a counter.")
        old, new = before.series(name, wanted) if before.family(name) else {}, after.series(name, wanted)
        if not new:
            raise CrosscheckError(after.no_series_message(name, wanted))
        rows = [
            [format_series("", dict(k)) or "(no labels)", old.get(k, "-"), v, series_increase(old.get(k), v)]
            for k, v in new.items()
        ]
        log_html(
            html_table(
                rows, ["series", "before", "after", "increase"], f"Increase of {after.sample_name(name, wanted)}"
            )
        )
        value = increase(old, new)
        what = f"Increase of {format_series(after.sample_name(name, wanted), wanted)} at {mask_url(after.url)}"
        return check(value, assertion_operator, as_number(assertion_expected), what)

    @keyword
    def wait_until_metric_reaches(
        self,
        metric: str,
        assertion_operator: AssertionOperator,
        assertion_expected: Any,
        timeout: timedelta = timedelta(seconds=10),
        interval: timedelta = timedelta(milliseconds=500),
        url: str | None = None,
        labels: dict | None = None,
    ) -> float:
        """Scrapes until the value of ``metric`` (as in `Get Metric Value`) satisfies the assertion.

        Returns the value; fails after ``timeout`` with the last value seen.

        | Wait Until Metric Reaches    demo_db_pool_in_use    ==    0    timeout=10 s
        """
        name, wanted = selector(metric, labels)
        deadline = time.monotonic() + timeout.total_seconds()
        last_error = ""
        while True:
            snap = self.ctx.scrape(url)
            try:
                value = snap.value(name, wanted)
                what = f"{format_series(snap.sample_name(name, wanted), wanted)} at {mask_url(snap.url)}"
                return check(value, assertion_operator, as_number(assertion_expected), what)
            except AssertionError as exc:
                last_error = str(exc)
            if time.monotonic() >= deadline:
                raise CrosscheckError(f"Waited {timeout.total_seconds():g} s: {last_error}")
            time.sleep(interval.total_seconds())
