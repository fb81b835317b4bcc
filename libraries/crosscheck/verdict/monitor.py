"""Resource monitors: a thread that samples a set of local processes (and their children) at an interval.

Each sample reads, at one moment, summed over the processes: resident memory (RSS, MB),
CPU (percent of one core, from the CPU time each process used since the previous sample),
open file descriptors, threads, the number of processes, and, when a database connection
is given (from ``crosscheck.services.postgres``), the connections in ``pg_stat_activity``
by application. Reading only: nothing is signalled or changed.

The processes are found once, when the monitor starts (by pid, by the port they listen on,
or by a pattern on their command line); their children are found again at every sample, so
workers started later are counted.
"""

from __future__ import annotations

import html
import math
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psutil

from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.verdict import trend as trends

MB = 2**20
MIN_INTERVAL = 0.05
FIGURES = {  # figure -> (unit, what it is)
    "rss_mb": ("MB", "resident memory"),
    "cpu_percent": ("%", "CPU"),
    "open_files": ("files", "open file descriptors"),
    "threads": ("threads", "threads"),
    "processes": ("processes", "processes"),
    "db_connections": ("connections", "Postgres connections"),
}
_PG_QUERY = (
    "SELECT coalesce(nullif(application_name, ''), '(none)'), count(*) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY 1"
)


@dataclass
class Sample:
    t: float  # seconds since the monitor started
    processes: int = 0
    rss_mb: float = math.nan
    cpu_percent: float = math.nan  # nan for the first sample: CPU needs an interval
    open_files: float = math.nan
    threads: float = math.nan
    db: dict[str, int] | None = None  # connections by application_name, when sampled

    def value(self, figure: str, application: str | None = None) -> float:
        if figure == "db_connections":
            if self.db is None:
                return math.nan
            return float(sum(n for app, n in self.db.items() if application is None or app == application))
        if figure == "processes":
            return float(self.processes)
        return float(getattr(self, figure))


def _label(proc: psutil.Process) -> tuple[str, bool]:
    """``python3 (pid 12: -m app)``, and whether the command line was there to read."""
    try:
        args = proc.cmdline()
        name = proc.name()
    except psutil.Error:
        return f"pid {proc.pid}", False
    cmdline = " ".join(" ".join(args[1:]).split())
    cmdline = cmdline if len(cmdline) <= 60 else cmdline[:57] + "..."
    return f"{name} (pid {proc.pid}{': ' + cmdline if cmdline else ''})", bool(args)


def _own_line() -> set[int]:
    """This process and its ancestors: never monitored by a name pattern (their command lines name it)."""
    me = psutil.Process()
    return {me.pid, *(p.pid for p in me.parents())}


def find_processes(
    port: int | None = None, pid: int | None = None, process: str | None = None
) -> tuple[list[psutil.Process], str]:
    """The processes to monitor and how they were found; exactly one of ``port``, ``pid``, ``process``."""
    given = [k for k, v in (("port", port), ("pid", pid), ("process", process)) if v not in (None, "")]
    if len(given) != 1:
        raise ConfigurationError(
            "Give exactly one of port=, pid= or process= to say which processes to monitor"
            + (f", not {' and '.join(given)}." if given else ".")
        )
    if port is not None:
        if not 0 < int(port) < 65536:
            raise ConfigurationError(f"port must be from 1 to 65535, got {port}.")
        owners = {
            c.pid
            for c in psutil.net_connections(kind="tcp")
            if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == int(port) and c.pid
        }
        procs = [p for p in (_process(n) for n in sorted(owners)) if p is not None]
        if not procs:
            raise CrosscheckError(
                f"No process listens on port {port} on this machine (or it belongs to another user): "
                "nothing to monitor. Give the port of a local service, or pid= / process=."
            )
        return procs, f"the processes listening on port {port}"
    if pid is not None:
        proc = _process(int(pid))
        if proc is None:
            raise CrosscheckError(f"No process with pid {pid} on this machine: nothing to monitor.")
        return [proc], f"pid {pid}"
    try:
        pattern = re.compile(str(process))
    except re.error as exc:
        raise ConfigurationError(f"process={process!r} is not a regular expression: {exc}.") from None
    skip = _own_line()
    found = []
    for proc in psutil.process_iter(["pid", "name", "cmdline"]):
        if proc.pid in skip:
            continue
        text = " ".join(proc.info.get("cmdline") or []) or (proc.info.get("name") or "")
        if pattern.search(text) or pattern.search(proc.info.get("name") or ""):
            found.append(proc)
    pids = {p.pid for p in found}
    roots = []
    for proc in found:  # a match whose parent also matched is counted as that parent's child
        try:
            if not any(parent.pid in pids for parent in proc.parents()):
                roots.append(proc)
        except psutil.Error:
            continue
    if not roots:
        raise CrosscheckError(
            f"No process on this machine matches process={process!r} (a regular expression searched in "
            "each process's command line and name): nothing to monitor."
        )
    return roots, f"the processes matching {process!r}"


def _process(pid: int) -> psutil.Process | None:
    try:
        proc = psutil.Process(pid)
        proc.create_time()
        return proc
    except psutil.Error:
        return None


class ResourceMonitor:
    """Samples ``roots`` and their children every ``interval`` seconds in a thread, from :meth:`start` to :meth:`stop`."""

    def __init__(
        self, name: str, roots: list[psutil.Process], found_by: str, interval: float = 1.0, database: Any = None
    ) -> None:
        if interval < MIN_INTERVAL:
            raise ConfigurationError(f"interval must be at least {MIN_INTERVAL * 1000:.0f} ms, got {interval:g} s.")
        self.name = name
        self.roots = roots
        self.found_by = found_by
        self.interval = interval
        self.database = database  # an open DB-API connection (from crosscheck.services.postgres) or None
        self.samples: list[Sample] = []
        self.database_error = ""
        self.error = ""
        self.started_at = 0.0  # wall clock (time.time) of the first sample
        self.stopped_at: float | None = None
        self._labels: dict[int, str] = {}
        self._final: set[int] = set()
        self.labels  # noqa: B018 - read the command lines while the processes surely run
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = 0.0  # monotonic clock at the first sample
        self._cpu: dict[tuple[int, float], float] = {}  # CPU seconds of each process at the previous sample
        self._previous: tuple[float, float] | None = None  # (monotonic, wall clock) of the previous sample

    @property
    def labels(self) -> list[str]:
        """``python3 (pid 12: -m app)`` for each root process, kept once its command line could be read."""
        for proc in self.roots:
            if proc.pid not in self._final:
                label, complete = _label(proc)
                if complete:
                    self._final.add(proc.pid)
                if complete or proc.pid not in self._labels or self._labels[proc.pid] == f"pid {proc.pid}":
                    self._labels[proc.pid] = label
        return [self._labels[p.pid] for p in self.roots]

    @property
    def description(self) -> str:
        """``resource monitor 'api' (the processes listening on port 8000: python3 (pid 12: -m app))``."""
        labels = self.labels
        shown = ", ".join(labels[:3]) + (f" and {len(labels) - 3} more" if len(labels) > 3 else "")
        if self.found_by.startswith("pid "):
            return f"resource monitor {self.name!r} ({shown})"
        return f"resource monitor {self.name!r} ({self.found_by}: {shown})"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._t0 = time.monotonic()
        self.started_at = time.time()
        self.sample()
        self._thread = threading.Thread(target=self._run, name=f"crosscheck-monitor-{self.name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.sample()
            except Exception as exc:  # noqa: BLE001 - the monitor ends, its error is reported by the getters
                self.error = f"{type(exc).__name__}: {exc}"
                return

    def stop(self, timeout: float = 10.0) -> None:
        """Stop sampling (taking one last sample) and close the database connection; safe to call twice."""
        if self.stopped_at is not None:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                self.error = self.error or f"the sampling thread did not end within {timeout:g} s"
        if not self.error:
            try:
                self.sample()
            except Exception as exc:  # noqa: BLE001
                self.error = f"{type(exc).__name__}: {exc}"
        self.stopped_at = time.time()
        if self.database is not None:
            try:
                self.database.close()
            except Exception:  # noqa: BLE001, S110 - closing a monitor connection that is already gone
                pass
            self.database = None

    def processes(self) -> list[psutil.Process]:
        """The roots still alive and all their children, now."""
        found: dict[int, psutil.Process] = {}
        for root in self.roots:
            try:
                if not root.is_running():
                    continue
                found[root.pid] = root
                for child in root.children(recursive=True):
                    found[child.pid] = child
            except psutil.Error:
                continue
        return list(found.values())

    def sample(self) -> Sample:
        mono, wall = time.monotonic(), time.time()
        now = Sample(t=mono - self._t0)
        rss = cpu_delta = 0.0
        fds = threads = counted = 0
        seen: dict[tuple[int, float], float] = {}
        for proc in self.processes():
            try:
                with proc.oneshot():
                    key = (proc.pid, proc.create_time())
                    times = proc.cpu_times()
                    used = times.user + times.system
                    memory = proc.memory_info().rss / MB
                    proc_threads = proc.num_threads()
                    proc_fds = proc.num_fds() if hasattr(proc, "num_fds") else len(proc.open_files())
            except psutil.Error:
                continue
            counted += 1
            rss += memory
            threads += proc_threads
            fds += proc_fds
            seen[key] = used
            if key in self._cpu:
                cpu_delta += max(used - self._cpu[key], 0.0)
            elif self._previous is not None and key[1] >= self._previous[1] - 0.05:
                cpu_delta += used  # started since the previous sample: all its CPU time is new
        now.processes = counted
        if counted:
            now.rss_mb, now.threads, now.open_files = rss, float(threads), float(fds)
            if self._previous is not None and mono > self._previous[0]:
                now.cpu_percent = 100.0 * cpu_delta / (mono - self._previous[0])
        self._cpu = seen
        self._previous = (mono, wall)
        if self.database is not None and not self.database_error:
            try:
                with self.database.cursor() as cur:
                    cur.execute(_PG_QUERY)
                    now.db = {str(app): int(n) for app, n in cur.fetchall()}
            except Exception as exc:  # noqa: BLE001 - a lost monitor connection ends DB sampling, not the monitor
                self.database_error = " ".join(str(exc).split())[:200] or type(exc).__name__
        with self._lock:
            self.samples.append(now)
        return now

    # --- reading ---------------------------------------------------------------------------

    def snapshot(self) -> list[Sample]:
        with self._lock:
            return list(self.samples)

    def series(self, figure: str, application: str | None = None) -> tuple[list[float], list[float]]:
        """Times and values of ``figure`` over the samples that have it."""
        times, values = [], []
        for s in self.snapshot():
            v = s.value(figure, application)
            if not math.isnan(v):
                times.append(s.t)
                values.append(v)
        return times, values

    @property
    def duration(self) -> float:
        samples = self.snapshot()
        return samples[-1].t - samples[0].t if samples else 0.0

    def state(self) -> str:
        """``running`` or ``stopped``, and when its processes ended or an error stopped it."""
        if self.error:
            return f"stopped by an error ({self.error})"
        state = "running" if self.running else "stopped"
        samples = self.snapshot()
        if samples and samples[-1].processes == 0:
            ended = next((s.t for s in samples if s.processes == 0), samples[-1].t)
            state += f"; its processes ended {ended:.1f} s after it started"
        return state

    def summary(self) -> dict[str, float]:
        """Figures of the whole window: duration, samples, RSS first / last / peak, CPU mean / peak, peaks."""
        out: dict[str, float] = {"duration_s": self.duration, "samples": len(self.snapshot())}
        _, rss = self.series("rss_mb")
        if rss:
            out.update(rss_first_mb=rss[0], rss_last_mb=rss[-1], rss_peak_mb=max(rss))
        _, cpu = self.series("cpu_percent")
        if cpu:
            out.update(cpu_mean_percent=sum(cpu) / len(cpu), cpu_peak_percent=max(cpu))
        for figure in ("threads", "open_files", "processes", "db_connections"):
            _, values = self.series(figure)
            if values:
                out[f"{figure}_peak"] = int(max(values))
        return out


# --- the chart ------------------------------------------------------------------------------


def _thin(points: Sequence[tuple[float, float]], limit: int = 600) -> list[tuple[float, float]]:
    if len(points) <= limit:
        return list(points)
    step = len(points) / limit
    return [points[int(k * step)] for k in range(limit)] + [points[-1]]


def chart(
    monitor: ResourceMonitor, fit: trends.Trend | None = None, bound: float | None = None, verdict: str = ""
) -> str:
    """An inline SVG of RSS (MB, left axis) and CPU (%, right axis) over time, the warm-up shaded,
    the Theil-Sen fit of the memory drawn over the judged window, its growth and ``verdict`` written out."""
    rss_t, rss = monitor.series("rss_mb")
    cpu_t, cpu = monitor.series("cpu_percent")
    title = f"Resource monitor {monitor.name!r}: {monitor.found_by}"
    if not rss:
        return f"<p>({html.escape(title)}: no samples to chart)</p>"
    width, height = 680, 250
    pad_l, pad_r, pad_t, pad_b = 56, 56, 46, 30
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b
    x_hi = max(rss_t[-1], cpu_t[-1] if cpu_t else 0.0, 1.0)
    fit_top = max(fit.fitted(fit.start), fit.fitted(fit.end)) if fit else 0.0
    y_hi = max(max(rss), fit_top) * 1.1 or 1.0
    c_hi = max(100.0, max(cpu, default=0.0) * 1.1)

    def px(t: float) -> float:
        return pad_l + plot_w * t / x_hi

    def py(v: float, top: float) -> float:
        return pad_t + plot_h * (1 - max(v, 0.0) / top)

    base = pad_t + plot_h
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'style="font:11px sans-serif;background:#fff">',
        f'<text x="{pad_l}" y="13">{html.escape(title)}</text>',
    ]
    if fit is not None and fit.warmup > 0:
        x = px(min(rss_t[0] + fit.warmup, x_hi))
        parts.append(
            f'<rect x="{pad_l}" y="{pad_t}" width="{x - pad_l:.1f}" height="{plot_h}" fill="#eee">'
            "<title>warm-up: not judged</title></rect>"
        )
        parts.append(f'<text x="{pad_l + 3}" y="{base - 4}" fill="#888">warm-up</text>')
    parts.append(f'<line x1="{pad_l}" y1="{base}" x2="{pad_l + plot_w}" y2="{base}" stroke="#333"/>')
    parts.append(f'<line x1="{pad_l}" y1="{pad_t}" x2="{pad_l}" y2="{base}" stroke="#4a7ebb"/>')
    parts.append(f'<line x1="{pad_l + plot_w}" y1="{pad_t}" x2="{pad_l + plot_w}" y2="{base}" stroke="#e08a2c"/>')
    parts.append(f'<text x="{pad_l - 4}" y="{pad_t + 8}" text-anchor="end" fill="#4a7ebb">{y_hi:,.0f} MB</text>')
    parts.append(f'<text x="{pad_l - 4}" y="{base}" text-anchor="end" fill="#4a7ebb">0</text>')
    parts.append(f'<text x="{pad_l + plot_w + 4}" y="{pad_t + 8}" fill="#e08a2c">{c_hi:,.0f} %</text>')
    parts.append(f'<text x="{pad_l + plot_w + 4}" y="{base}" fill="#e08a2c">0</text>')
    parts.append(f'<text x="{pad_l}" y="{base + 14}">0 s</text>')
    parts.append(f'<text x="{pad_l + plot_w}" y="{base + 14}" text-anchor="end">{x_hi:,.1f} s</text>')
    if cpu:
        pts = " ".join(f"{px(t):.1f},{py(v, c_hi):.1f}" for t, v in _thin(list(zip(cpu_t, cpu))))
        parts.append(f'<polyline points="{pts}" fill="none" stroke="#e08a2c" stroke-width="1.2"/>')
    pts = " ".join(f"{px(t):.1f},{py(v, y_hi):.1f}" for t, v in _thin(list(zip(rss_t, rss))))
    parts.append(f'<polyline points="{pts}" fill="none" stroke="#4a7ebb" stroke-width="1.8"/>')
    legend = [("#4a7ebb", "RSS (MB, left)"), ("#e08a2c", "CPU (% of one core, right)")]
    if fit is not None:
        t1, t2 = fit.start, fit.end
        if fit.slope and fit.fitted(t1) < 0 < fit.fitted(t2):  # draw the fit only above the axis
            t1 = -fit.intercept / fit.slope
        elif fit.slope and fit.fitted(t2) < 0 < fit.fitted(t1):
            t2 = -fit.intercept / fit.slope
        x1, x2 = px(t1), px(t2)
        y1, y2 = py(fit.fitted(t1), y_hi), py(fit.fitted(t2), y_hi)
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#c00" '
            f'stroke-width="1.5" stroke-dasharray="6 3"/>'
        )
        text = f"Theil-Sen fit: {fit.growth:+,.1f} MB over {fit.duration:,.1f} s ({fit.slope * 60:+,.2f} MB/min)"
        if bound is not None:
            text += f", bound {bound:g} MB"
        if verdict:
            text += f": {verdict}"
        parts.append(f'<text x="{pad_l}" y="40" fill="#c00">{html.escape(text)}</text>')
    x = float(pad_l)
    for colour, text in legend:
        parts.append(f'<text x="{x:.0f}" y="27" fill="{colour}">{html.escape(text)}</text>')
        x += 5.6 * len(text) + 14
    parts.append("</svg>")
    return "".join(parts)


def process_rows(monitor: ResourceMonitor) -> list[list[Any]]:
    """pid, name and command line of each process being monitored now (roots and children)."""
    rows: list[list[Any]] = []
    for proc in monitor.processes()[:50]:
        try:
            cmdline = " ".join(proc.cmdline())
            rows.append([proc.pid, proc.name(), cmdline if len(cmdline) <= 100 else cmdline[:97] + "..."])
        except psutil.Error:
            continue
    return rows
