"""Running code: ``Execute Python`` and the limits it runs under."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from robot.api import logger
from robotlibcore import keyword

from crosscheck import namespace, reporting
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError
from crosscheck.sandbox import risk as risk_mod
from crosscheck.sandbox import runner
from crosscheck.sandbox.context import Context
from crosscheck.sandbox.logs import log_result, log_risk
from crosscheck.sandbox.policy import parse_size
from crosscheck.sandbox.result import Result


class ExecutionKeywords(Component[Context]):
    @keyword
    def execute_python(
        self,
        code: str,
        mode: Literal["fresh", "warm"] = "fresh",
        timeout: timedelta | None = None,
        memory: str | None = None,
        output_limit: str | None = None,
        enforce_risk: bool = True,
    ) -> Result:
        """Runs ``code`` in a sandbox container and returns the result; never fails on the code's own failure.

        Code over 100 KB is refused first, before it is parsed and before any
        container or pool starts (status ``refused``, limit ``code validation
        (cannot score)``, the size in stderr). The code is then scored (see
        `Get Risk Score`): at or above the risk threshold, or with a syntax
        error, it is refused without starting a container (status ``refused`` /
        ``syntax error``) and the breakdown is logged; so is code the parser
        cannot handle (limit ``code validation (cannot score)``).
        ``enforce_risk=False`` skips the refusal by score (the score is still
        recorded) so containment itself can be tested.

        ``mode=fresh`` (default) uses a new container per run; ``mode=warm`` uses
        the warm pool (`Start Warm Pool`, started with 2 containers if absent).
        ``timeout``, ``memory`` and ``output_limit`` override the library limits
        for this run (in warm mode only ``timeout`` and ``output_limit``, lowered).

        Check the result with `Get Run Status`, `Get Exit Code`, `Get Stdout`,
        `Get Limit Fired` and the other getters.

        Example:
        | ${result} =   | Execute Python | print(6 * 7) |
        | Get Stdout    | ==             | 42\\n         |
        | Execute Python | while True: pass | timeout=1 s | enforce_risk=False |
        | Get Run Status | == | timeout |
        """
        too_large = risk_mod.size_problem(code)  # before parsing, before any container or pool
        if too_large:
            report = risk_mod.RiskReport(unscored=too_large, threshold=self.ctx.risk_threshold)
        else:
            report = risk_mod.score(code, self.ctx.risk_threshold)
        if report.findings or report.refused:
            log_risk(report)
        if report.syntax_error or report.unscored or (enforce_risk and report.refused):
            res = Result.from_risk(report, mode)
            logger.info(f"Refused without starting a container: {res.stderr}")
            self.ctx.last = res
            log_result(res)
            return res
        changes = {}
        if timeout is not None:
            changes["timeout"] = timeout.total_seconds()
        if memory is not None:
            changes["memory"] = parse_size(memory)
        if output_limit is not None:
            changes["output"] = parse_size(output_limit)
        limits = self.ctx.limits.with_changes(**changes)
        client = self.ctx.client
        if mode == "warm":
            if memory is not None:
                raise ConfigurationError(
                    "memory= cannot change per run in warm mode; give it to 'Start Warm Pool' or use mode=fresh."
                )
            pool = self.ctx.pool or self.ctx.start_pool()
            res = pool.run(code, limits)
        else:
            res = runner.run_fresh(
                client,
                code,
                limits,
                self.ctx.image,
                namespace.new("sandbox"),
                on_create=self.ctx.track,
                on_remove=self.ctx.untrack,
            )
        res.risk_score = report.score
        res.findings = [f.as_dict() for f in report.findings]
        self.ctx.last = res
        log_result(res)
        return res

    @keyword
    def set_sandbox_limits(
        self,
        timeout: timedelta | None = None,
        memory: str | None = None,
        cpus: float | None = None,
        pids: int | None = None,
        tmpfs: str | None = None,
        open_files: int | None = None,
        file_size: str | None = None,
        output_limit: str | None = None,
    ) -> dict:
        """Changes the library's default limits for later runs; returns the previous ones.

        Sizes take units (``128 MB``, ``64 KB``). A running warm pool keeps its
        limits until it is restarted.

        Example:
        | Set Sandbox Limits | timeout=5 s | memory=256 MB | pids=32 |
        """
        previous = self.get_sandbox_limits()
        self.ctx.limits = self.ctx.limits.with_changes(
            timeout=timeout.total_seconds() if timeout is not None else None,
            memory=parse_size(memory) if memory is not None else None,
            cpus=cpus,
            pids=pids,
            tmpfs=parse_size(tmpfs) if tmpfs is not None else None,
            nofile=open_files,
            fsize=parse_size(file_size) if file_size is not None else None,
            output=parse_size(output_limit) if output_limit is not None else None,
        )
        reporting.log_html(reporting.html_table(self.ctx.limits.table(), ["limit", "value"], "Sandbox limits"))
        return previous

    @keyword
    def get_sandbox_limits(self) -> dict:
        """Returns the current limits as a dictionary of readable values (``timeout``: ``3 s`` ...)."""
        return dict(self.ctx.limits.table())
