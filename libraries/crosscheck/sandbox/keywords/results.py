"""Getters over a run's result (the last run unless ``result=`` is given)."""

from __future__ import annotations

from typing import Any

from robotlibcore import keyword

from crosscheck import figures
from crosscheck.assertions import AssertionOperator, check, to_millis
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError
from crosscheck.sandbox.context import Context
from crosscheck.sandbox.result import Result


class ResultKeywords(Component[Context]):
    def _where(self, res: Result) -> str:
        return f"in sandbox container {res.container}" if res.container else "(no container started)"

    def _configured(self, res: Result) -> str:
        """The limits the run was under, so a limit loosened by configuration is named in the failure."""
        return f" under configured limits: {res.limits.summary()}" if res.limits is not None else ""

    @keyword
    def get_run_status(
        self,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        result: Result | None = None,
    ) -> str:
        """Returns the run's status: ``ok``, ``error``, ``timeout``, ``oom``, ``output capped``, ``refused`` or ``syntax error``.

        Example:
        | Execute Python | 1/0 |
        | Get Run Status | == | error |
        """
        res = self.ctx.result(result)
        return check(
            res.status,
            assertion_operator,
            assertion_expected,
            f"Run status {self._where(res)} (limit: {res.limit}){self._configured(res)}",
        )

    @keyword
    def get_limit_fired(
        self,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        result: Result | None = None,
    ) -> str:
        """Returns which layer stopped the run, in words (``none`` when nothing did).

        Values include ``memory limit (OOM-killed)``, ``wall-clock timeout (killed)``,
        ``output cap (killed)``, ``pids limit (EAGAIN)``, ``tmpfs full (ENOSPC)``,
        ``read-only file system (EROFS)``, ``network none``,
        ``seccomp or no capabilities (EPERM)``, ``signal 11 (SIGSEGV)``,
        ``code validation (risk score 60)``, ``code validation (cannot score)``.
        A run that reported a resource error (``can't start new thread``,
        ``MemoryError``, ``No space left on device`` ...) before it was killed at
        the timeout is reported with that limit, not the timeout. A failure
        names the limits the run was configured with.

        Example:
        | Get Limit Fired | contains | pids limit |
        """
        res = self.ctx.result(result)
        return check(
            res.limit, assertion_operator, assertion_expected, f"Limit fired {self._where(res)}{self._configured(res)}"
        )

    @keyword
    def get_exit_code(
        self,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        result: Result | None = None,
    ) -> int | None:
        """Returns the exit code (``None`` when refused).

        A signal ends a warm run with a negative code (``-11``) and a fresh run
        with 128 + the signal (``139``); `Get Limit Fired` names it in both
        modes (``signal 11 (SIGSEGV)``).
        """
        res = self.ctx.result(result)
        return check(
            res.exit_code,
            assertion_operator,
            assertion_expected,
            f"Exit code {self._where(res)}",
            convert=lambda v: None if v is None else int(v),
        )

    @keyword
    def get_stdout(
        self,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        result: Result | None = None,
    ) -> str:
        """Returns standard output (at most the output cap).

        Example:
        | Get Stdout | contains | hello |
        """
        res = self.ctx.result(result)
        return check(res.stdout, assertion_operator, assertion_expected, f"Stdout {self._where(res)}")

    @keyword
    def get_stderr(
        self,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        result: Result | None = None,
    ) -> str:
        """Returns standard error (tracebacks; the refusal reason for refused code).

        Example:
        | Get Stderr | contains | ZeroDivisionError |
        """
        res = self.ctx.result(result)
        return check(res.stderr, assertion_operator, assertion_expected, f"Stderr {self._where(res)}")

    @keyword
    def get_run_duration(
        self,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        result: Result | None = None,
    ) -> float:
        """Returns how long the code ran, in milliseconds.

        Time targets need a unit (``100 ms``, ``2 s``); a bare number is refused.
        A failure names the timeout the run was configured with.

        Example:
        | Get Run Duration | < | 4 s |
        """
        res = self.ctx.result(result)
        timeout = f" (configured timeout {res.limits.timeout:g} s)" if res.limits is not None else ""
        if res.limits is not None:  # a container ran (a refused run measured nothing)
            figures.record(
                f"sandbox.{res.mode}.run_duration_ms", res.duration * 1000, "ms", "lower", where=self._where(res)
            )
        return check(
            round(res.duration * 1000, 3),
            assertion_operator,
            assertion_expected,
            f"Run duration (ms) {self._where(res)}{timeout}",
            convert=to_millis,
        )

    @keyword
    def get_run_field(
        self,
        field: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        result: Result | None = None,
    ) -> Any:
        """Returns one field of the result: ``timed_out``, ``oom_killed``, ``truncated``, ``refused``,
        ``risk_score``, ``findings``, ``output_bytes``, ``container``, ``mode``, ``recycled``,
        ``limits`` (the configured limits the run was under, as readable values) ...

        Example:
        | Get Run Field | truncated | == | ${True} |
        """
        res = self.ctx.result(result)
        data = res.as_dict()
        if field not in data:
            raise ConfigurationError(f"Result has no field {field!r}; fields: {', '.join(sorted(data))}.")
        return check(data[field], assertion_operator, assertion_expected, f"Result field {field} {self._where(res)}")
