"""Warm pool keywords."""

from __future__ import annotations

from typing import Any

from robotlibcore import keyword

from crosscheck.assertions import AssertionOperator, check
from crosscheck.core import Component
from crosscheck.sandbox.context import Context


class PoolKeywords(Component[Context]):
    @keyword
    def start_warm_pool(self, size: int = 2) -> None:
        """Starts ``size`` pre-started containers under the current limits, for ``Execute Python    mode=warm``.

        The pool is stopped by `Stop Warm Pool` or at the end of the suite that
        started it. Each container's agent is its PID 1, not dumpable, so run
        code cannot reach the pipes that carry the next run's code and result;
        when a run's main process ends, every other process is killed before
        the exit is reported, and every writable place (``/tmp``, ``/dev/mqueue``,
        any other read-write mount) is wiped and checked against its state at
        start. The agent's messages are authenticated with a per-container
        secret. A run that fails, times out, is truncated, hits a limit or
        leaves a process or a file behind recycles its container.

        Example:
        | Start Warm Pool | size=3 |
        """
        self.ctx.start_pool(size)

    @keyword
    def stop_warm_pool(self) -> None:
        """Stops the warm pool and removes its containers (nothing happens when none is running)."""
        self.ctx.stop_pool()

    @keyword
    def get_warm_pool_size(
        self, assertion_operator: AssertionOperator | None = None, assertion_expected: Any = None
    ) -> int:
        """Returns how many pool containers are alive (0 without a pool).

        Example:
        | Get Warm Pool Size | == | 2 |
        """
        size = len(self.ctx.pool.members) if self.ctx.pool else 0
        return check(size, assertion_operator, assertion_expected, "Warm pool size", convert=int)
