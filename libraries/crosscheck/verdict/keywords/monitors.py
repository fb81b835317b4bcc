"""Resource monitors: start and stop them, read memory growth, average CPU and peaks, judge leaks."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from robot.api.deco import keyword
from robot.utils import timestr_to_secs

from crosscheck import figures
from crosscheck.assertions import AssertionOperator, check
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.reporting import html_table, log_html
from crosscheck.variables.targets import MEMORY_INCREASE_LIMIT_MB
from crosscheck.verdict import trend as trends
from crosscheck.verdict.context import VerdictContext
from crosscheck.verdict.monitor import FIGURES, ResourceMonitor, chart, find_processes, process_rows

DEFAULT_WARMUP = f"{trends.DEFAULT_WARMUP_FRACTION * 100:g} %"
_UNCONVERTED = (AssertionOperator["validate"], AssertionOperator["then"])
_SIZES = {"b": 1 / 2**20, "kb": 1 / 1024, "kib": 1 / 1024, "mb": 1.0, "mib": 1.0, "gb": 1024.0, "gib": 1024.0}


def megabytes(value: Any, what: str) -> float:
    """``100``, ``100 MB``, ``0.5 GB`` or ``512 KB`` as megabytes (MiB, as RSS is counted)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    match = re.fullmatch(r"\s*([-+]?[0-9.]+(?:e[-+]?\d+)?)\s*([A-Za-z]*)\s*", str(value))
    if match and match.group(2).lower() in ("", *_SIZES):
        try:
            return float(match.group(1)) * _SIZES.get(match.group(2).lower(), 1.0)
        except ValueError:
            pass
    sep = "" if what.endswith("=") else " "
    raise ConfigurationError(f"{what}{sep}{str(value)!r} is not a size: write it in MB, e.g. '100 MB' or '100'.")


def percent(value: Any, what: str) -> float:
    """``80``, ``80 %`` or ``80%`` as the number 80."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip().removesuffix("%").strip()
    try:
        return float(text)
    except ValueError:
        raise ConfigurationError(f"{what} {str(value)!r} is not a percentage: write e.g. '80 %' or '80'.") from None


def count(value: Any, what: str) -> float:
    """A plain number: ``200``, ``200.0``."""
    try:
        return float(str(value).strip())
    except ValueError:
        raise ConfigurationError(f"{what} {str(value)!r} is not a number.") from None


def literal(message: str) -> str:
    """``message`` with its braces doubled: AssertionEngine formats a custom message (``{value}``)."""
    return message.replace("{", "{{").replace("}", "}}")


def _seconds(value: timedelta | str | float, what: str) -> float:
    """A Robot time (``200 ms``, ``1 s``; a bare number is seconds) or a timedelta, in seconds."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    try:
        return float(timestr_to_secs(value, round_to=None))
    except ValueError:
        raise ConfigurationError(f"{what}={value!r} is not a time: write e.g. '1 s' or '200 ms'.") from None


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _figure_name(name: str) -> str:
    return "_".join(name.split())


class MonitorKeywords(Component[VerdictContext]):
    def _trend(self, monitor: ResourceMonitor, warmup: str | float, confidence: float) -> trends.Trend:
        times, rss = monitor.series("rss_mb")
        window = times[-1] - times[0] if times else 0.0
        try:
            seconds = trends.warmup_seconds(warmup, window)
        except ValueError as exc:
            raise ConfigurationError(f"warmup={warmup!r}: {exc}; write e.g. '20 %' or '30 s'.") from None
        try:
            return trends.trend(times, rss, seconds, confidence)
        except trends.NotEnoughSamples as exc:
            raise CrosscheckError(
                f"Cannot judge the memory of {monitor.description}: {exc} "
                f"(the monitor has {_count(len(monitor.snapshot()), 'sample')} over {monitor.duration:.1f} s, one "
                f"every {monitor.interval:g} s; {monitor.state()}). Monitor longer, sample more often (interval=) "
                "or shorten the warm-up (warmup=)."
            ) from None

    @staticmethod
    def _warmup(warmup: str | timedelta) -> str | float:
        if isinstance(warmup, timedelta):
            return warmup.total_seconds()
        text = str(warmup).strip()
        if text.endswith("%"):
            return text
        try:
            return float(timestr_to_secs(text, round_to=None))
        except ValueError:
            raise ConfigurationError(
                f"warmup={warmup!r} is neither a time nor a share: write e.g. '20 %' or '30 s'."
            ) from None

    @keyword
    def start_resource_monitor(
        self,
        name: str,
        port: int | None = None,
        pid: int | None = None,
        process: str | None = None,
        interval: timedelta = timedelta(seconds=1),
        database: bool = False,
    ) -> list[int]:
        """Starts sampling the resources of local processes, and their children, in the background.

        Name the processes by exactly one of: ``port`` (the processes listening on that TCP port
        on this machine), ``pid``, or ``process`` (a regular expression searched in each process's
        command line and name; this Robot process and its parents are never matched). Every
        ``interval`` (a Robot time, default 1 s) the monitor reads, summed over the processes and
        their children: RSS (MB), CPU (percent of one core), open file descriptors, threads and
        the number of processes; with ``database=True`` also the connections in the Postgres
        under test's ``pg_stat_activity`` by application (through ``crosscheck.services.postgres``).

        The monitor stops at the end of the test (or suite) that started it, also after a
        failure, or with `Stop Resource Monitor`; its samples stay readable by ``name``. Returns
        the pids found. Fails at once, saying so, when no such process runs on this machine.

        | Start Resource Monitor    api    port=${port}
        | Start Resource Monitor    worker    pid=${pid}    interval=200 ms
        | Start Resource Monitor    consumers    process=demo_consumer    database=${TRUE}
        """
        if not str(name).strip():
            raise ConfigurationError("A resource monitor needs a name, e.g. 'api'.")
        old = self.ctx.monitors.get(name)
        if old is not None and old.running:
            raise ConfigurationError(
                f"Resource monitor {name!r} is already running: stop it first, or give the new one another name."
            )
        roots, found_by = find_processes(port, pid, process)
        monitor = ResourceMonitor(name, roots, found_by, _seconds(interval, "interval"))
        if database:
            from crosscheck.services import postgres

            monitor.database = postgres.connect(application_name="crosscheck-verdict-monitor")
        self.ctx.monitors[name] = monitor
        self.ctx.cleanup.add(f"resource monitor {name!r}", monitor.stop)
        monitor.start()
        log_html(html_table(process_rows(monitor), ["pid", "name", "command line"], f"Monitoring {found_by}"))
        return [p.pid for p in roots]

    @keyword
    def stop_resource_monitor(self, name: str) -> dict[str, float]:
        """Stops the monitor ``name`` (after one last sample) and returns its figures over the whole window.

        The figures: ``duration_s``, ``samples``, ``rss_first_mb``, ``rss_last_mb``,
        ``rss_peak_mb``, ``cpu_mean_percent``, ``cpu_peak_percent`` and the peaks of ``threads``,
        ``open_files``, ``processes`` and ``db_connections``. log.html shows them with the chart.

        | ${figures} =    Stop Resource Monitor    api
        | Log    ${figures}[rss_peak_mb]
        """
        monitor = self.ctx.monitor(name)
        monitor.stop()
        summary = monitor.summary()
        log_html(
            html_table([[k, v] for k, v in summary.items()], ["figure", "value"], f"Resource monitor {name!r}")
            + chart(monitor)
        )
        if monitor.error:
            raise CrosscheckError(f"{monitor.description} stopped sampling early: {monitor.error}.")
        return summary

    @keyword
    def get_memory_growth(
        self,
        name: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        warmup: str | timedelta = DEFAULT_WARMUP,
    ) -> float:
        """Returns how much the monitored processes' memory (RSS, MB) grew after the warm-up, as a trend.

        The growth is the Theil-Sen slope of RSS over the samples after the ``warmup`` (a share
        of the window such as ``20 %``, the default, or a time such as ``30 s``) times the
        duration of those samples: noise around a flat line gives a growth near zero, steady
        growth its full size (see *Leaks*). The expected value is in MB (``100``, ``100 MB``).
        The monitor may still run: the figure is then over the samples so far. Recorded as
        ``monitor.<name>.rss_growth_mb``.

        | Get Memory Growth    api    <    ${MEMORY_INCREASE_LIMIT_MB}
        | Get Memory Growth    api    <    50 MB    warmup=2 s
        """
        monitor = self.ctx.monitor(name)
        fit = self._trend(monitor, self._warmup(warmup), trends.DEFAULT_CONFIDENCE)
        log_html(chart(monitor, fit))
        figures.record(
            f"monitor.{_figure_name(name)}.rss_growth_mb",
            fit.growth,
            "MB",
            "lower",
            where=monitor.description,
            samples=monitor.series("rss_mb")[1],
        )
        what = f"memory growth (MB) of {monitor.description}"
        expected, message = assertion_expected, None
        if assertion_operator is not None and assertion_operator not in _UNCONVERTED:
            expected = megabytes(assertion_expected, f"Expected value for {what}")
            message = (
                f"Memory of {monitor.description} grew {trends.describe(fit)}, "
                f"expected {assertion_operator.value} {expected:g} MB."
            )
        return check(fit.growth, assertion_operator, expected, what, message=literal(message) if message else None)

    @keyword
    def memory_should_not_leak(
        self,
        name: str,
        bound: Any = MEMORY_INCREASE_LIMIT_MB,
        warmup: str | timedelta = DEFAULT_WARMUP,
        confidence: float = trends.DEFAULT_CONFIDENCE,
    ) -> float:
        """Fails when the monitored processes leak memory; returns the growth after the warm-up (MB).

        A leak is a steady rise of RSS after the ``warmup``: the one-sided Mann-Kendall test
        finds an upward trend at ``confidence`` (default 0.99) *and* the growth (Theil-Sen slope
        times the window) exceeds ``bound`` (MB over the window; default
        ``MEMORY_INCREASE_LIMIT_MB``, seed 001's 100 MB). Flat memory with noise is not a leak,
        nor is a warm-up spike followed by a plateau (see *Leaks*). The failure names the
        processes, the growth, the slope per minute and the test's figures; log.html shows the
        chart with the fitted line. Records ``monitor.<name>.leak`` (1 or 0) and
        ``monitor.<name>.rss_growth_mb``.

        | Memory Should Not Leak    api
        | Memory Should Not Leak    api    bound=20 MB    warmup=1 s
        """
        monitor = self.ctx.monitor(name)
        limit = megabytes(bound, "bound=")
        if limit < 0:
            raise ConfigurationError(f"bound={bound!r} is negative: a leak bound is a growth in MB, e.g. '100 MB'.")
        fit = self._trend(monitor, self._warmup(warmup), confidence)
        decision = trends.leak(fit, limit)
        verdict = "a leak" if decision.leak else "no leak" if not fit.significant else "no leak (within the bound)"
        log_html(chart(monitor, fit, limit, verdict))
        where = monitor.description
        base = f"monitor.{_figure_name(name)}"
        figures.record(f"{base}.rss_growth_mb", fit.growth, "MB", "lower", where=where)
        figures.record(
            f"{base}.leak", 1.0 if decision.leak else 0.0, "flag", "lower", where=f"{where}: {decision.reason}"
        )
        if decision.leak:
            raise CrosscheckError(f"Memory of {where} leaks: RSS {decision.reason}.")
        return fit.growth

    @keyword("Get Average CPU")
    def get_average_cpu(
        self, name: str, assertion_operator: AssertionOperator | None = None, assertion_expected: Any = None
    ) -> float:
        """Returns the mean CPU use of the monitored processes over the window, in percent of one core.

        The processes' CPU times are summed, so several busy processes (or threads) can go above
        100 %. The expected value is a percentage (``80``, ``80 %``). Recorded as
        ``monitor.<name>.cpu_mean_percent``.

        | Get Average CPU    api    <    ${AVERAGE_CPU_LIMIT_PERCENT}
        """
        monitor = self.ctx.monitor(name)
        _, cpu = monitor.series("cpu_percent")
        if not cpu:
            raise CrosscheckError(
                f"No CPU figure for {monitor.description} yet: CPU is measured between two samples, and it has "
                f"{_count(len(monitor.snapshot()), 'sample')} ({monitor.state()})."
            )
        mean = sum(cpu) / len(cpu)
        log_html(chart(monitor))
        figures.record(
            f"monitor.{_figure_name(name)}.cpu_mean_percent", mean, "%", "lower", where=monitor.description, samples=cpu
        )
        what = f"average CPU (% of one core) of {monitor.description}"
        expected, message = assertion_expected, None
        if assertion_operator is not None and assertion_operator not in _UNCONVERTED:
            expected = percent(assertion_expected, f"Expected value for {what}")
            message = (
                f"Average CPU of {monitor.description} is {mean:.1f} % of one core over {monitor.duration:.1f} s "
                f"({len(cpu)} samples, peak {max(cpu):.1f} %), expected {assertion_operator.value} {expected:g} %."
            )
        return check(mean, assertion_operator, expected, what, message=literal(message) if message else None)

    @keyword
    def get_resource_peak(
        self,
        name: str,
        figure: str = "rss_mb",
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        application: str | None = None,
    ) -> float:
        """Returns the highest value of ``figure`` the monitor ``name`` sampled.

        ``figure`` is ``rss_mb`` (MB), ``cpu_percent`` (% of one core), ``open_files``,
        ``threads``, ``processes`` or ``db_connections`` (needs ``database=True``; with
        ``application=`` only that ``application_name``'s). The expected value is a plain
        number in the figure's unit (``MB`` and ``%`` may be written). Recorded as
        ``monitor.<name>.peak_<figure>`` (``.<application>`` appended when given).

        | Get Resource Peak    api    threads    <    200
        | Get Resource Peak    api    rss_mb    <    1 GB
        """
        if figure not in FIGURES:
            raise ConfigurationError(f"figure must be one of {', '.join(FIGURES)}, got {figure!r}.")
        monitor = self.ctx.monitor(name)
        _, values = monitor.series(figure, application)
        if not values:
            if figure == "db_connections":
                why = monitor.database_error or "it was started without database=True"
            else:
                why = f"none of its {_count(len(monitor.snapshot()), 'sample')} has it ({monitor.state()})"
            raise CrosscheckError(f"No {figure} for {monitor.description}: {why}.")
        peak = max(values)
        unit, label = FIGURES[figure]
        log_html(chart(monitor))
        record_name = f"monitor.{_figure_name(name)}.peak_{figure}" + (f".{application}" if application else "")
        figures.record(record_name, peak, unit, "lower", where=monitor.description, samples=values)
        what = f"peak {label} ({unit}) of {monitor.description}" + (
            f", application {application!r}" if application else ""
        )
        expected = assertion_expected
        if assertion_operator is not None and assertion_operator not in _UNCONVERTED:
            convert = {"MB": megabytes, "%": percent}.get(unit, count)
            expected = convert(assertion_expected, f"Expected value for {what}")
        return check(peak, assertion_operator, expected, what)
