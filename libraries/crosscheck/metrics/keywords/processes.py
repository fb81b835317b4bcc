"""Resource use of the processes behind an endpoint (psutil): CPU, memory, threads, connections."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from robot.api.deco import keyword

from crosscheck import figures
from crosscheck.assertions import AssertionOperator, check
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.metrics.context import MetricsContext
from crosscheck.metrics.processes import FIGURES, listening_processes, sample
from crosscheck.metrics.scrape import as_number
from crosscheck.reporting import html_table, log_html


class ProcessKeywords(Component[MetricsContext]):
    @keyword
    def get_process_usage(
        self,
        endpoint: str,
        figure: str = "rss_mb",
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        duration: timedelta = timedelta(seconds=1),
    ) -> float:
        """Returns a resource figure of the processes serving ``endpoint`` (a URL or a port on this machine).

        The listening process and its children (worker processes) are found
        with psutil. ``figure`` is ``cpu_percent`` (percent of one core,
        summed, measured over ``duration``), ``rss_mb`` (resident memory,
        summed), ``threads``, ``connections`` (open TCP connections) or
        ``processes``. All figures are logged as a table.

        | Get Process Usage    ${API_URL}    rss_mb    <    500
        | Get Process Usage    ${API_URL}    cpu_percent    <    ${AVERAGE_CPU_LIMIT_PERCENT}    duration=2 s
        """
        if figure not in FIGURES:
            raise ConfigurationError(f"figure must be one of {', '.join(FIGURES)}, got '{figure}'.")
        port = int(endpoint) if str(endpoint).isdigit() else urlsplit(str(endpoint)).port
        if not port:
            raise ConfigurationError(f"'{endpoint}' names no port; give a URL with a port or the port.")
        procs = listening_processes(port)
        if not procs:
            raise CrosscheckError(
                f"No process on this machine listens on port {port}; resource use can only be read for local services."
            )
        usage = sample(procs, duration.total_seconds())
        log_html(
            html_table(
                [[usage[k] for k in FIGURES]],
                list(FIGURES),
                f"Processes serving port {port} (pids {', '.join(str(p.pid) for p in procs)})",
            )
        )
        unit = {"cpu_percent": "%", "rss_mb": "MB"}.get(figure, "count")
        figures.record(
            f"metrics.process.{figure}", usage[figure], unit, "lower", where=f"processes serving port {port}"
        )
        return check(
            usage[figure],
            assertion_operator,
            assertion_expected,
            f"{figure} of the processes serving port {port}",
            convert=as_number,
        )
