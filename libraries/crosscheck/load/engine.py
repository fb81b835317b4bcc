"""One load run from start to figures: check, probe the target, run Locust, sample resources, analyse."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crosscheck.config import mask_url
from crosscheck.errors import ServiceUnavailable
from crosscheck.load.monitor import ResourceMonitor
from crosscheck.load.result import LoadResult
from crosscheck.load.runner import LocustRun, failed_to_run
from crosscheck.load.stages import Stage, total_seconds
from crosscheck.load.statistics import breakdown, timeline
from crosscheck.load.users import LoadRequest

PROBE_TIMEOUT = 3.0
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "0.0.0.0")


def probe(url: str, timeout: float = PROBE_TIMEOUT) -> None:
    """Fails within ``timeout`` when nothing answers HTTP at ``url`` (any status counts as an answer)."""
    from crosscheck.services import api

    try:
        with api.client(url, timeout=timeout) as client:
            client.get("/")
    except Exception as exc:  # noqa: BLE001 - every transport failure becomes one line
        message = str(api.SERVICE.unreachable(url, exc))
        message = message.replace(f"{api.SERVICE.title} at ", "Load target ", 1)
        raise ServiceUnavailable(f"{message}; no load was started") from None


def local_port(url: str) -> int | None:
    parts = urlsplit(url)
    if parts.hostname not in LOCAL_HOSTS:
        return None
    return parts.port or (443 if parts.scheme == "https" else 80)


def run_load(
    host: str,
    stages: list[Stage],
    requests: list[LoadRequest],
    directory: Path,
    register: Callable[[str, Callable[[], Any]], None],
    locustfile: str | None = None,
    workers: int = 0,
    think: tuple[float, float] = (0.0, 0.0),
    timeout: float = 10.0,
    database: Callable[[], Any] | None = None,
    redis: Callable[[], Any] | None = None,
    monitor_port: int | None = None,
) -> LoadResult:
    """Run ``stages`` against ``host``; ``register`` gets the kill of the Locust processes before any starts."""
    for origin in dict.fromkeys([host, *[o for o in (r.origin() for r in requests) if o]]):
        probe(origin)
    run = LocustRun(directory, stages, host, [r.spec() for r in requests], locustfile, workers, think, timeout)
    register(f"Locust processes of the load run against {mask_url(host)}", run.kill)
    port = monitor_port if monitor_port is not None else local_port(host)
    connection = database() if database is not None else None
    redis_client = redis() if redis is not None else None
    run.start()
    monitor = ResourceMonitor(port, run.pids, connection, redis_client)
    try:
        monitor.sample()
        run.wait(monitor.sample, interval=1.0)
    finally:
        run.kill()
        monitor.close()
    raw = run.collect()
    problem = failed_to_run(raw, host)
    if problem is not None:
        raise problem
    duration = max(total_seconds(stages), (raw.samples[-1].t - raw.t0) if raw.samples else 0.0)
    duration = min(duration, total_seconds(stages) + 1.0)
    table = breakdown(raw.samples, stages, raw.t0, duration)
    return LoadResult(
        host=host,
        stages=stages,
        breakdown=table,
        seconds=timeline(raw.samples, raw.t0, duration),
        users=raw.users,
        resources=monitor.samples,
        directory=directory,
        workers=workers,
        api_port=port,
        database_error=monitor.database_error,
        redis_error=monitor.redis_error,
    )


def run_directory(base: Path, label: str) -> Path:
    """A fresh folder for one run's files under ``<results>/load/`` (unique also under pabot)."""
    parent = base / "load"
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{time.strftime('%Y%m%d-%H%M%S')}-{label}-", dir=parent))
