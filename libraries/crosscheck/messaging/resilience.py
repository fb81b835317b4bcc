"""Faults and recovery, the logic: cut listeners off Redis (restart the embedded server, or
``CLIENT KILL`` this library's own listener connections), then time until each receives again."""

from __future__ import annotations

import time

from crosscheck.errors import CrosscheckError
from crosscheck.messaging.connection import ERRORS, Connection
from crosscheck.messaging.context import Context
from crosscheck.services import redis as redis_service

PROBE_EVERY = 0.05
MODES = ("auto", "restart", "kill")


def resolve_mode(mode: str) -> str:
    """``auto`` is ``restart`` for the embedded server, ``kill`` for a configured one."""
    if mode == "auto":
        return "kill" if redis_service.SERVICE.configured() else "restart"
    return mode


def interrupt(ctx: Context, conn: Connection, mode: str, offline: float) -> str:
    """Cut every running listener off (``restart`` or ``kill``); returns what was done, for the log."""
    listeners = [lst for lst in ctx.listeners.values() if lst.running]
    start = time.monotonic()
    for lst in listeners:
        lst.hold_until = start + offline
    if mode == "restart":
        from crosscheck.stack import api as stack

        down = stack.restart("redis", timeout=20.0)
        done = f"Embedded Redis at {conn.where} restarted; it was down {down:.3f} s."
    else:
        killed = 0
        for lst in listeners:
            killed += conn.run(lst.kill_connection, conn.client)
        done = f"Killed {killed} listener connections at {conn.where}."
    ctx.fault = {"mono": start, "mode": mode, "listeners": [lst.name for lst in listeners]}
    return done


def recovery_times(ctx: Context, conn: Connection, fault: dict, names: list[str], timeout: float) -> dict[str, float]:
    """Seconds from ``fault`` (what :func:`interrupt` recorded) until each listener of ``names`` received a probe again.

    Probes go to each listener's private probe channel every 50 ms. Fails naming the
    listeners that did not receive again within ``timeout`` and their last connection error.
    """
    deadline = time.monotonic() + timeout
    times: dict[str, float] = {}
    while len(times) < len(names):
        for name in names:
            if name in times:
                continue
            lst = ctx.listener(name)
            arrived = [t for t in lst.probes if t > fault["mono"]]
            if arrived:
                times[name] = arrived[0] - fault["mono"]
                continue
            try:
                conn.client.publish(lst.probe_channel, '{"cc_probe": true}')
            except ERRORS:
                pass
        if len(times) == len(names):
            break
        if time.monotonic() >= deadline:
            late = [n for n in names if n not in times]
            errors = "; ".join(
                f"{n}: {ctx.listener(n).drops[-1][1] if ctx.listener(n).drops else 'no drop seen'}" for n in late
            )
            raise CrosscheckError(
                f"Listeners {', '.join(repr(n) for n in late)} did not receive again within "
                f"{timeout:g} s after the Redis {fault['mode']} (last errors: {errors})."
            )
        time.sleep(PROBE_EVERY)
    return times
