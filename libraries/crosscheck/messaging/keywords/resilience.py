"""Faults and recovery keywords: Redis restarted (embedded) or our connections killed (configured)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from robot.api import logger
from robotlibcore import keyword

from crosscheck import figures, reporting
from crosscheck.assertions import AssertionOperator, check, time_target
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.messaging.context import Context
from crosscheck.messaging.resilience import MODES, interrupt, recovery_times, resolve_mode


class ResilienceKeywords(Component[Context]):
    @keyword
    def interrupt_redis(self, mode: str = "auto", offline: timedelta = timedelta(0), alias: str | None = None) -> str:
        """Cuts the listeners off Redis, as a server crash would; returns the mode used.

        ``mode``:
        - ``restart``: the embedded Redis server is killed and started again on the same
          port (it keeps no data: streams are emptied too);
        - ``kill``: ``CLIENT KILL`` of this library's own listener connections (the only
          fault crosscheck causes on a server it did not start);
        - ``auto`` (default): ``restart`` for the embedded server, ``kill`` for a configured one.

        ``offline`` keeps the listeners from reconnecting for that long, like a consumer
        that is away: pub-sub messages published meanwhile are lost (and reported so by
        `Get Lost Count`), stream entries are not (`Catch Up As Consumer`).

        Follow with `Get Recovery Time`.

        | `Interrupt Redis` | mode=kill | offline=1 s |
        | `Get Recovery Time` | <= | ${REDIS_RECOVERY_TARGET} |
        """
        mode = mode.lower()
        if mode not in MODES:
            raise ConfigurationError(f"Unknown mode {mode!r}; use one of {', '.join(MODES)}.")
        conn = self.ctx.connection(alias)
        mode = resolve_mode(mode)
        logger.info(interrupt(self.ctx, conn, mode, offline.total_seconds()))
        return mode

    @keyword
    def get_recovery_time(
        self,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        listener: str | None = None,
        timeout: timedelta = timedelta(seconds=30),
        alias: str | None = None,
    ) -> float:
        """Seconds from the last `Interrupt Redis` until every listener (or ``listener``) has
        re-subscribed and receives again.

        Probes are published every 50 ms on each listener's private probe channel (never
        on the channels under test) until one arrives. ``assertion_expected`` is a time
        with a unit (``5 s``, ``500 ms``); a bare number is refused. ``timeout`` follows
        Robot's time format (a bare number is seconds). Fails naming the listener and
        its last connection error if it does not receive again within ``timeout``.

        | `Get Recovery Time` | <= | ${REDIS_RECOVERY_TARGET} |
        """
        fault = self.ctx.fault
        if fault is None:
            raise CrosscheckError("No fault to recover from: use 'Interrupt Redis' first.")
        names = [listener] if listener else fault["listeners"]
        what = f"Recovery time (s) after Redis {fault['mode']} of {', '.join(names)}"
        target = time_target(assertion_operator, assertion_expected, what, unit="s")
        if not names:
            raise CrosscheckError("No listener was running when Redis was interrupted; start one first.")
        conn = self.ctx.connection(alias)
        times = recovery_times(self.ctx, conn, fault, names, timeout.total_seconds())
        worst = max(times.values())
        reporting.log_html(
            reporting.html_table(
                [(n, f"{t:.3f}", len(self.ctx.listener(n).drops)) for n, t in times.items()],
                ["listener", "recovery (s)", "drops"],
                caption=f"Recovery after Redis {fault['mode']}",
            )
        )
        figures.record(f"messaging.redis_{fault['mode']}.recovery_s", round(worst, 4), "s", "lower", where=what)
        return check(round(worst, 4), assertion_operator, assertion_expected if target is None else target, what)
