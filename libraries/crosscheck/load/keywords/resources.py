"""Resource use of the system under load: the API's processes, database connections, the generator."""

from __future__ import annotations

import math
from typing import Any

from robot.api import SkipExecution
from robot.api.deco import keyword

from crosscheck.assertions import AssertionOperator, check
from crosscheck.config import mask_url
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.load.context import LoadContext
from crosscheck.load.report import db_table, resource_chart
from crosscheck.load.result import RESOURCE_FIGURES, stage_name
from crosscheck.load.stages import select
from crosscheck.reporting import html_table, log_html


def _number(value: Any) -> float:
    try:
        return float(str(value).strip().removesuffix("%").removesuffix("MB").strip())
    except ValueError:
        raise ConfigurationError(f"Expected value {str(value)!r} is not a number.") from None


class ResourceKeywords(Component[LoadContext]):
    @keyword
    def get_load_resource_usage(
        self,
        figure: str = "api_cpu_percent",
        at: str = "stage=all",
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        application: str | None = None,
    ) -> float:
        """Returns a resource figure sampled each second during a stage's hold (or the whole run).

        ``figure`` is one of ``api_cpu_percent`` (mean CPU of the processes listening on the
        target's port and their children, percent of one core), ``api_rss_mb`` (their highest
        resident memory), ``api_rss_increase_mb`` (that highest memory minus the memory before
        the first stage), ``generator_cpu_percent`` (the busiest Locust process) or
        ``db_connections`` (the most connections seen in ``pg_stat_activity``; with
        ``application=`` only that ``application_name``'s; needs ``database=True`` on
        `Run Load Stages`) or ``redis_clients`` (the most clients connected to the Redis under
        test; needs ``redis=True``). Expected values are plain numbers in the figure's unit.

        The ``api_`` figures are read with psutil, so only for a target on this machine: for a
        remote target the test is skipped, saying so.

        | Get Load Resource Usage    db_connections    stage=100    <=    30    application=crosscheck-demo-api
        | Get Load Resource Usage    api_rss_increase_mb    stage=all    <    ${MEMORY_INCREASE_LIMIT_MB}
        """
        if figure not in RESOURCE_FIGURES:
            raise ConfigurationError(f"figure must be one of {', '.join(RESOURCE_FIGURES)}, got {figure!r}.")
        result = self.ctx.result()
        stage = select(result.stages, at)
        figures = result.resource_figures(stage, application)
        value = figures[figure]
        log_html(
            html_table(
                [[k, v] for k, v in figures.items()], ["figure", "value"], f"Resource use during {stage_name(stage)}"
            )
            + db_table(result)
            + resource_chart(result)
        )
        if math.isnan(value):
            if figure == "db_connections":
                why = result.database_error or "the run sampled no database (run it with database=True)"
            elif figure == "redis_clients":
                why = result.redis_error or "the run sampled no Redis (run it with redis=True)"
            elif figure.startswith("api_") and not result.api_port:
                raise SkipExecution(
                    f"No {figure}: the load target {mask_url(result.host)} is not on this machine, "
                    "so its processes cannot be read."
                )
            elif figure.startswith("api_"):
                why = f"no process listens on port {result.api_port} on this machine"
            else:
                why = "no sample was taken during that stage"
            raise CrosscheckError(f"No {figure} for {stage_name(stage)}: {why}.")
        what = f"{figure} during {stage_name(stage)}" + (f" (application {application!r})" if application else "")
        return check(value, assertion_operator, assertion_expected, what, convert=_number)
