"""Getters of a load run's figures: response time, error rate, throughput, degradation, all figures."""

from __future__ import annotations

import math
from typing import Any

from robot.api.deco import keyword

from crosscheck.assertions import AssertionOperator, chart_target, check, time_target
from crosscheck.config import mask_url
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError
from crosscheck.load.context import LoadContext
from crosscheck.load.report import distribution, p95_chart, rps_chart
from crosscheck.load.result import stage_name
from crosscheck.load.stages import select
from crosscheck.reporting import log_html


def as_percent(value: Any, what: str) -> Any:
    """``0.1 %``, ``0.1%`` or ``0.1`` as the number 0.1 (percent)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    if text.endswith("%"):
        text = text[:-1].strip()
    try:
        return float(text)
    except ValueError:
        raise ConfigurationError(
            f"Expected value {str(value)!r} for {what} is not a percentage: write e.g. '0.1 %'."
        ) from None


def as_number(value: Any, what: str) -> Any:
    try:
        return float(str(value).strip().removesuffix("/s").strip())
    except ValueError:
        raise ConfigurationError(
            f"Expected value {str(value)!r} for {what} is not a number of requests per second."
        ) from None


def literal(message: str) -> str:
    """``message`` with its braces doubled: AssertionEngine formats a custom message (``{value}``)."""
    return message.replace("{", "{{").replace("}", "}}")


class FigureKeywords(Component[LoadContext]):
    def _where(self, stage, request: str | None) -> str:
        result = self.ctx.result()
        return (
            f"{stage_name(stage)}"
            + (f", request {request!r}" if request else "")
            + f" of the load on {mask_url(result.host)}"
        )

    @keyword
    def get_response_time(
        self,
        statistic: str = "p95",
        at: str = "stage=all",
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        request: str | None = None,
    ) -> float:
        """Returns the ``statistic`` (``p50``, ``p95``, ``p99``, ``max``, ``mean``, ``min`` or any ``p<N>``)
        of the response times in ms, over a stage's hold (``stage=50``) or the whole run (``stage=all``),
        for one ``request`` name or all requests.

        Percentiles are exact, computed from every recorded request. The expected value is a time
        with a unit (``500 ms``, ``0.5 s``); a bare number is refused. The distribution and p95 over
        time are logged with the target drawn. The failure names the stage, the request and the
        figures (requests, failures, p50 / p95 / p99 / max).

        | Get Response Time    p95    stage=50    <    500 ms
        | Get Response Time    p99    stage=100    <    1 s    request=POST /v1/search
        """
        result = self.ctx.result()
        stage = select(result.stages, at)
        where = self._where(stage, request)
        what = f"{statistic} response time (ms) in {where}"
        target = time_target(assertion_operator, assertion_expected, what, unit="ms")
        value = result.statistic(statistic, stage, request)
        line, label = chart_target(assertion_operator, target)
        log_html(
            distribution(result, stage, request, line, label)
            + (p95_chart(result, line, label) if statistic == "p95" else "")
        )
        f = result.figures(stage, request)
        message = None
        if assertion_operator is not None and target is not None:
            message = (
                f"{statistic} response time in {where} is {value:.1f} ms, expected {assertion_operator.value} "
                f"{target:g} ms ({f.requests} requests, {f.failures} failed; p50 {f.statistic('p50'):.1f} ms, "
                f"p95 {f.statistic('p95'):.1f} ms, p99 {f.statistic('p99'):.1f} ms, max {f.statistic('max'):.1f} ms)."
            )
        return check(
            value,
            assertion_operator,
            assertion_expected if target is None else target,
            what,
            message=literal(message) if message else None,
        )

    @keyword
    def get_load_error_rate(
        self,
        at: str = "stage=all",
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        request: str | None = None,
    ) -> float:
        """Returns the share of failed requests in percent (a status of 400 or more, or no answer),
        over a stage's hold or the whole run, for one ``request`` name or all.

        The expected value is a percentage: ``0.1 %`` or ``0.1``. The failure names the stage, the
        request, the counts and the most frequent failures.

        | Get Load Error Rate    stage=100    <    0.1 %
        | Get Load Error Rate    stage=all    ==    0    request=GET universe
        """
        result = self.ctx.result()
        stage = select(result.stages, at)
        where = self._where(stage, request)
        f = result.figures(stage, request)
        if not f.requests:
            raise ConfigurationError(f"No request completed during {where}: there is no error rate to check.")
        what = f"error rate (%) in {where}"
        expected = assertion_expected
        message = None
        if assertion_operator is not None and assertion_operator not in (
            AssertionOperator["validate"],
            AssertionOperator["then"],
        ):
            expected = as_percent(assertion_expected, what)
            top = sorted(f.errors.items(), key=lambda kv: -kv[1])[:3]
            failures = "; ".join(f"{n} x {what_failed}" for what_failed, n in top) or "none"
            message = (
                f"Error rate in {where} is {f.error_rate:.3f} % ({f.failures} of {f.requests} requests failed), "
                f"expected {assertion_operator.value} {expected:g} %. Most frequent failures: {failures}."
            )
        return check(f.error_rate, assertion_operator, expected, what, message=literal(message) if message else None)

    @keyword
    def get_throughput(
        self,
        at: str = "stage=all",
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        request: str | None = None,
    ) -> float:
        """Returns the requests completed per second over a stage's hold (or the whole run), all or one ``request``.

        | Get Throughput    stage=10    >=    10
        """
        result = self.ctx.result()
        stage = select(result.stages, at)
        where = self._where(stage, request)
        f = result.figures(stage, request)
        what = f"throughput (requests/s) in {where}"
        expected = assertion_expected
        message = None
        if assertion_operator is not None and assertion_operator not in (
            AssertionOperator["validate"],
            AssertionOperator["then"],
        ):
            expected = as_number(assertion_expected, what)
            message = (
                f"Throughput in {where} is {f.rps:.2f} requests/s ({f.requests} requests in {f.seconds:.1f} s, "
                f"{f.failures} failed), expected {assertion_operator.value} {expected:g}."
            )
        line, label = chart_target(assertion_operator, expected if isinstance(expected, float) else None)
        log_html(rps_chart(result, line, label))
        return check(f.rps, assertion_operator, expected, what, message=literal(message) if message else None)

    @keyword
    def get_load_degradation(
        self,
        statistic: str = "p95",
        at: str = "stage=all",
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        request: str | None = None,
        baseline: str = "stage=#1",
    ) -> float:
        """Returns how much worse a stage is than the ``baseline`` stage (default: the first), in percent.

        ``statistic`` is a response-time statistic (``p95``: +50 means 50 % slower),
        ``rps_per_user`` (throughput per user: +50 means each user got 50 % fewer requests
        through) or ``error_rate`` (the difference in percentage points). The expected
        value is a percentage (``50 %`` or ``50``). ``stage=all`` means the last stage.

        | Get Load Degradation    p95    stage=100    <    200 %
        """
        result = self.ctx.result()
        stage = select(result.stages, at) or result.stages[-1]
        base = select(result.stages, baseline) or result.stages[0]
        value = result.degradation(statistic, stage, base, request)
        what = f"{statistic} degradation (%) from {stage_name(base)} to {stage_name(stage)}" + (
            f", request {request!r}" if request else ""
        )
        expected = assertion_expected
        if assertion_operator is not None and assertion_operator not in (
            AssertionOperator["validate"],
            AssertionOperator["then"],
        ):
            expected = as_percent(assertion_expected, what)
        if math.isnan(value):
            raise ConfigurationError(f"No {statistic} to compare for {what}: a stage had no request.")
        return check(value, assertion_operator, expected, what)

    @keyword
    def get_load_statistics(self) -> dict:
        """Returns every figure of the last run as a dictionary.

        ``stages`` lists each stage (``users``, ``hold_s``, ``figures`` per request name and
        ``all``, ``resources``, ``degradation``); ``all`` the whole run; ``figures`` every figure
        under a stable name with its unit, e.g. ``load.stage_100.all.p95_ms``,
        ``load.stage_50.GET universe.error_rate_percent``, ``load.stage_100.api_cpu_percent``.

        | ${stats} =    Get Load Statistics
        | Log    ${stats}[figures][load.stage_10.all.rps]
        """
        return self.ctx.result().statistics()
