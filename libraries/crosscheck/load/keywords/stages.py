"""Running the stages: Locust in child processes, figures per stage, the report in log.html."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from robot.api import logger
from robot.api.deco import keyword
from robot.utils import timestr_to_secs

from crosscheck import figures
from crosscheck.config import mask_url, results_dir
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError
from crosscheck.load.context import LoadContext
from crosscheck.load.engine import run_directory, run_load
from crosscheck.load.monitor import GENERATOR_CPU_WARNING
from crosscheck.load.report import run_report
from crosscheck.load.result import LoadResult
from crosscheck.load.stages import parse_seconds, plan, total_seconds
from crosscheck.reporting import log_html
from crosscheck.variables.targets import LOAD_RAMP, LOAD_STAGE_HOLD, LOAD_STAGES_USERS, LOAD_THINK_TIME

MAX_WORKERS = 32


def _time(value: Any, what: str) -> Any:
    """A Robot time string (``3 s``, a default from the variable file) in seconds; others unchanged."""
    if isinstance(value, str):
        try:
            return timestr_to_secs(value, round_to=None)
        except ValueError:
            raise ConfigurationError(f"{what} must be a duration such as '30 s', got {value!r}.") from None
    return value


class StageKeywords(Component[LoadContext]):
    @keyword
    def run_load_stages(
        self,
        users: Any = LOAD_STAGES_USERS,
        hold: timedelta | str = LOAD_STAGE_HOLD,
        ramp: str = LOAD_RAMP,
        think: timedelta | str = LOAD_THINK_TIME,
        workers: int = 0,
        database: bool = False,
        redis: bool = False,
        timeout: timedelta | str = timedelta(seconds=10),
    ) -> LoadResult:
        """Runs the users in stages of ``users`` (``10, 50, 100``), each held for ``hold``, and returns the result.

        Each stage starts (or stops) users at ``ramp`` users per second (``10/s``; ``instant``
        starts them at once), then holds its count for ``hold``; figures of a stage are taken
        over its hold. After the last stage the run stops by itself; it is stopped in any case
        20 s after its planned end. ``think`` is each user's pause between two requests (a
        random time between half and one and a half times it; ``0 s`` for none). ``workers=N``
        runs a Locust master and N worker processes on 127.0.0.1 instead of one process.
        ``database=True`` samples ``pg_stat_activity`` of the Postgres under test each second,
        ``redis=True`` the connected clients of the Redis under test (see `Get Load Resource Usage`). ``timeout`` bounds each request.

        Refused before any load starts: an unknown stage format, zero or negative users, a
        zero or negative hold, no request and no locustfile, an unreachable target (named,
        password masked, within seconds).

        The figures go to log.html: a table per stage and per request, the failures, RPS and
        p95 over time, the response-time distribution and resource use over time.

        | Run Load Stages    users=10, 50, 100    hold=${LOAD_STAGE_HOLD}    ramp=10/s
        | Run Load Stages    users=${LOAD_STAGES_USERS}    hold=${LOAD_STAGE_HOLD}    workers=2
        """
        stages = plan(users, _time(hold, "hold"), ramp)
        think_s = parse_seconds(_time(think, "think"), "think", allow_zero=True)
        timeout_s = parse_seconds(_time(timeout, "timeout"), "timeout")
        if workers < 0 or workers > MAX_WORKERS:
            raise ConfigurationError(f"workers must be from 0 (one local process) to {MAX_WORKERS}, got {workers}.")
        if not self.ctx.requests and not self.ctx.locustfile:
            raise ConfigurationError(
                "No users to run: add requests with `Add Load Request`, or give a locustfile with `Use Locustfile`."
            )
        host = self.ctx.url
        database_connect = None
        if database:
            from crosscheck.services import postgres

            def database_connect() -> Any:
                return postgres.connect(application_name="crosscheck-load-monitor")

        redis_connect = None
        if redis:
            from crosscheck.services import redis as redis_service

            def redis_connect() -> Any:
                return redis_service.connect()

        label = "-".join(str(s.users) for s in stages)
        logger.info(
            f"Load stages {', '.join(str(s.users) for s in stages)} users against {mask_url(host)}: "
            f"about {total_seconds(stages):.0f} s" + (f", {workers} workers" if workers else "")
        )
        result = run_load(
            host,
            stages,
            [] if self.ctx.locustfile else list(self.ctx.requests),
            run_directory(results_dir(), label),
            self.ctx.cleanup.add,
            locustfile=self.ctx.locustfile,
            workers=workers,
            think=(think_s * 0.5, think_s * 1.5),
            timeout=timeout_s,
            database=database_connect,
            redis=redis_connect,
        )
        self.ctx.last = result
        log_html(run_report(result))
        for f in result.recorded(mask_url(host)):
            figures.record(f.name, f.value, f.unit, f.better, where=f.where, samples=f.samples)
        for warning in result.overloaded_generator():
            logger.warn(
                f"The load generator used more than {GENERATOR_CPU_WARNING:.0f} % of a core during {warning}: "
                "its figures are not trustworthy there; add workers=N or lower the users."
            )
        if result.database_error:
            logger.warn(f"Sampling pg_stat_activity stopped: {result.database_error}")
        if result.redis_error:
            logger.warn(f"Sampling Redis's connected clients stopped: {result.redis_error}")
        overall = result.figures(None)
        logger.info(
            f"{overall.requests} requests, {overall.failures} failed ({overall.error_rate:.3f} %), "
            f"p95 {overall.statistic('p95'):.1f} ms over the run"
            if overall.requests and not math.isnan(overall.statistic("p95"))
            else "no request completed"
        )
        return result
