"""Resource use during a load run, sampled from outside the load generator.

Each sample reads, at one moment: CPU % and RSS of the processes listening on the API's
port and their children (psutil), the connections in ``pg_stat_activity`` by application
and state and Redis's connected clients (each when asked for), and the CPU % of every Locust process. Reading only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import psutil

from crosscheck.metrics.processes import listening_processes

GENERATOR_CPU_WARNING = 90.0  # percent of one core: above it, a Locust process's figures are not trustworthy

_PG_QUERY = (
    "SELECT coalesce(nullif(application_name, ''), '(none)'), coalesce(state, '(none)'), count(*) "
    "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY 1, 2"
)


@dataclass
class ResourceSample:
    t: float
    api_cpu: float | None = None
    api_rss_mb: float | None = None
    generator_cpu: float = 0.0  # the busiest Locust process, percent of one core
    db: dict[tuple[str, str], int] = field(default_factory=dict)
    redis_clients: int | None = None

    def db_total(self, application: str | None = None) -> int:
        return sum(n for (app, _), n in self.db.items() if application is None or app == application)


class ResourceMonitor:
    """Samples resources each time :meth:`sample` is called; :meth:`close` releases the database connection."""

    def __init__(self, port: int | None, generator_pids: list[int], database: Any = None, redis: Any = None) -> None:
        self.port = port
        self.api: list[psutil.Process] = listening_processes(port) if port else []
        self.generator = [p for p in (self._process(pid) for pid in generator_pids) if p is not None]
        self.database = database  # an open DB-API connection (from crosscheck.services.postgres) or None
        self.samples: list[ResourceSample] = []
        self.database_error = ""
        self.redis = redis  # a redis-py client (from crosscheck.services.redis) or None
        self.redis_error = ""
        for proc in self.api + self.generator:
            self._cpu(proc)

    @staticmethod
    def _process(pid: int) -> psutil.Process | None:
        try:
            return psutil.Process(pid)
        except psutil.NoSuchProcess:
            return None

    @staticmethod
    def _cpu(proc: psutil.Process) -> float | None:
        try:
            return proc.cpu_percent(None)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return None

    def sample(self) -> ResourceSample:
        now = ResourceSample(time.time())
        if self.api:
            cpu, rss, alive = 0.0, 0.0, 0
            for proc in self.api:
                try:
                    with proc.oneshot():
                        cpu += proc.cpu_percent(None)
                        rss += proc.memory_info().rss / 2**20
                    alive += 1
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
            if alive:
                now.api_cpu, now.api_rss_mb = cpu, rss
        busiest = [c for c in (self._cpu(p) for p in self.generator) if c is not None]
        now.generator_cpu = max(busiest, default=0.0)
        if self.database is not None and not self.database_error:
            try:
                with self.database.cursor() as cur:
                    cur.execute(_PG_QUERY)
                    now.db = {(str(app), str(state)): int(n) for app, state, n in cur.fetchall()}
            except Exception as exc:  # noqa: BLE001 - a lost monitor connection ends DB sampling, not the run
                self.database_error = " ".join(str(exc).split())[:200] or type(exc).__name__
        if self.redis is not None and not self.redis_error:
            try:
                now.redis_clients = int(self.redis.info("clients")["connected_clients"])
            except Exception as exc:  # noqa: BLE001 - a lost monitor connection ends Redis sampling, not the run
                self.redis_error = " ".join(str(exc).split())[:200] or type(exc).__name__
        self.samples.append(now)
        return now

    def close(self) -> None:
        if self.database is not None:
            try:
                self.database.close()
            except Exception:  # noqa: BLE001, S110 - closing a monitor connection that is already gone
                pass
            self.database = None
        if self.redis is not None:
            try:
                self.redis.close()
            except Exception:  # noqa: BLE001, S110 - closing a monitor connection that is already gone
                pass
            self.redis = None
