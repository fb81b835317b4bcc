"""Resource use of the processes behind an endpoint (psutil): CPU, memory, threads, connections."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import psutil
from robot.api.deco import keyword

from crosscheck.assertions import AssertionOperator, check
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.metrics.keywords.values import _number
from crosscheck.reporting import html_table, log_html

FIGURES = ("cpu_percent", "rss_mb", "threads", "connections", "processes")


def listening_processes(port: int) -> list[psutil.Process]:
    """The process listening on 127.0.0.1/0.0.0.0 ``port`` and its children (the workers)."""
    owners = {c.pid for c in psutil.net_connections(kind="tcp")
              if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid}
    procs: dict[int, psutil.Process] = {}
    for pid in owners:
        try:
            proc = psutil.Process(pid)
            procs[pid] = proc
            for child in proc.children(recursive=True):
                procs[child.pid] = child
        except psutil.NoSuchProcess:
            continue
    return list(procs.values())


def sample(procs: list[psutil.Process], seconds: float) -> dict[str, float]:
    """CPU (percent of one core, summed) over ``seconds``; RSS, threads and TCP connections at the end."""
    alive = []
    for proc in procs:
        try:
            proc.cpu_percent(None)
            alive.append(proc)
        except psutil.NoSuchProcess:
            pass
    time.sleep(seconds)
    out = {"cpu_percent": 0.0, "rss_mb": 0.0, "threads": 0, "connections": 0, "processes": 0}
    for proc in alive:
        try:
            with proc.oneshot():
                out["cpu_percent"] += proc.cpu_percent(None)
                out["rss_mb"] += proc.memory_info().rss / 2**20
                out["threads"] += proc.num_threads()
            out["connections"] += len(proc.net_connections(kind="tcp"))
            out["processes"] += 1
        except psutil.NoSuchProcess:
            pass
    return out


class ProcessKeywords:
    @keyword
    def get_process_usage(self, endpoint: str, figure: str = "rss_mb",
                          assertion_operator: AssertionOperator | None = None, assertion_expected: Any = None,
                          duration: timedelta = timedelta(seconds=1)) -> float:
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
            raise CrosscheckError(f"No process on this machine listens on port {port}; "
                                  "resource use can only be read for local services.")
        figures = sample(procs, duration.total_seconds())
        log_html(html_table([[figures[k] for k in FIGURES]], list(FIGURES),
                            f"Processes serving port {port} (pids {', '.join(str(p.pid) for p in procs)})"))
        return check(figures[figure], assertion_operator, assertion_expected,
                     f"{figure} of the processes serving port {port}", convert=_number)
