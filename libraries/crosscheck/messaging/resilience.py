"""Faults and recovery: Redis restarted (embedded) or our connections killed (configured)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import redis
from robot.api import logger
from robotlibcore import keyword

from crosscheck import config, reporting
from crosscheck.assertions import AssertionOperator, check, time_target
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.messaging.core import Context, unreachable

# seed 001's target (variables/targets.py holds the same value for suites)
REDIS_RECOVERY_TARGET = "5 s"
PROBE_EVERY = 0.05
MODES = ("auto", "restart", "kill")


class ResilienceKeywords:
    def __init__(self, ctx: Context):
        self.ctx = ctx

    @keyword
    def interrupt_redis(self, mode: str = "auto", offline: timedelta = timedelta(0),
                        alias: str | None = None) -> str:
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
        if mode == "auto":
            mode = "kill" if config.configured("redis") else "restart"
        listeners = [lst for lst in self.ctx.listeners.values() if lst.running]
        start = time.monotonic()
        for lst in listeners:
            lst.hold_until = start + offline.total_seconds()
        if mode == "restart":
            from crosscheck import stack

            down = stack.restart("redis", timeout=20.0)
            logger.info(f"Embedded Redis at {conn.where} restarted; it was down {down:.3f} s.")
        else:
            killed = 0
            try:
                for lst in listeners:
                    killed += lst.kill_connection(conn.client)
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                raise unreachable(conn.url, exc) from None
            logger.info(f"Killed {killed} listener connections at {conn.where}.")
        self.ctx.fault = {"mono": start, "mode": mode, "listeners": [lst.name for lst in listeners]}
        return mode

    @keyword
    def get_recovery_time(self, assertion_operator: AssertionOperator | None = None,
                          assertion_expected: Any = None, listener: str | None = None,
                          timeout: timedelta = timedelta(seconds=30), alias: str | None = None) -> float:
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
        deadline = time.monotonic() + timeout.total_seconds()
        times: dict[str, float] = {}
        while len(times) < len(names):
            for name in names:
                if name in times:
                    continue
                lst = self.ctx.listener(name)
                arrived = [t for t in lst.probes if t > fault["mono"]]
                if arrived:
                    times[name] = arrived[0] - fault["mono"]
                    continue
                try:
                    conn.client.publish(lst.probe_channel, '{"cc_probe": true}')
                except (redis.ConnectionError, redis.TimeoutError, OSError):
                    pass
            if len(times) == len(names):
                break
            if time.monotonic() >= deadline:
                late = [n for n in names if n not in times]
                errors = "; ".join(f"{n}: {self.ctx.listener(n).drops[-1][1] if self.ctx.listener(n).drops else 'no drop seen'}"
                                   for n in late)
                raise CrosscheckError(
                    f"Listeners {', '.join(repr(n) for n in late)} did not receive again within "
                    f"{timeout.total_seconds():g} s after the Redis {fault['mode']} (last errors: {errors}).")
            time.sleep(PROBE_EVERY)
        worst = max(times.values())
        reporting.log_html(reporting.html_table(
            [(n, f"{t:.3f}", len(self.ctx.listener(n).drops)) for n, t in times.items()],
            ["listener", "recovery (s)", "drops"], caption=f"Recovery after Redis {fault['mode']}"))
        return check(round(worst, 4), assertion_operator, assertion_expected if target is None else target, what)
