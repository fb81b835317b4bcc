"""Outages: a service cut off and restored, connections reset, a server crashed, sessions terminated."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from crosscheck import config, figures
from crosscheck.assertions import AssertionOperator, check, time_target, to_seconds
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.faults.context import FaultsContext, figure_name

RESTARTABLE = ("redis", "postgres")
RESTART_MODES = ("kill", "immediate")


class OutageKeywords(Component[FaultsContext]):
    @keyword
    def cut_service(self, proxy: str, duration: str | None = None) -> None:
        """Cuts the service behind ``proxy`` off: the proxy closes every connection and refuses new ones.

        Without ``duration`` the service stays cut until `Restore Service`, or the end of the test
        (or suite) that cut it. With ``duration`` (a time with a unit, ``3 s``) the keyword
        restores it itself after that long and returns then.

        | Cut Service    redis    duration=3 s
        | Cut Service    postgres
        | Restore Service    postgres
        """
        seconds = None if duration is None else to_seconds(duration, f"duration of the cut of proxy {proxy}")
        client = self.ctx.client()
        key = (proxy, "cut")
        if key in self.ctx.faults_on:
            raise CrosscheckError(f"proxy {proxy!r} is already cut: `Restore Service    {proxy}` first")
        self.ctx.undo_later(
            key, f"cut of proxy {proxy!r} (enabled again)", lambda: client.update_proxy(proxy, enabled=True)
        )
        client.update_proxy(proxy, enabled=False)
        self.ctx.mark_on(key, f"cut of proxy {proxy!r}", proxy)
        logger.info(f"proxy {proxy} cut: connections closed, new ones refused")
        if seconds is not None:
            time.sleep(seconds)
            self.restore_service(proxy)

    @keyword
    def restore_service(self, proxy: str) -> None:
        """Restores the service behind ``proxy`` after `Cut Service`: the proxy accepts connections again.

        The moment it returns is the start of every recovery time measured afterwards.
        """
        self.ctx.client().update_proxy(proxy, enabled=True)
        if self.ctx.mark_off((proxy, "cut")) is None:
            logger.warn(f"proxy {proxy!r} was not cut by this run; it is enabled now")
        else:
            logger.info(f"proxy {proxy} restored")

    @keyword
    def reset_connections(self, proxy: str) -> None:
        """Closes every connection through ``proxy`` at once, as a network blip would; new ones are accepted
        straight away. The system under test must reconnect."""
        client = self.ctx.client()
        key = (proxy, "reset")
        self.ctx.undo_later(
            key, f"reset of proxy {proxy!r} (enabled again)", lambda: client.update_proxy(proxy, enabled=True)
        )
        client.update_proxy(proxy, enabled=False)
        self.ctx.mark_on(key, f"connections of proxy {proxy!r} reset", proxy)
        client.update_proxy(proxy, enabled=True)
        self.ctx.mark_off(key)

    @keyword
    def restart_service(
        self,
        service: str = "redis",
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        down_for: str = "0 s",
        mode: str = "kill",
        timeout: timedelta = timedelta(seconds=30),
    ) -> float:
        """Crashes an embedded server and lets the stack start it again on the same port; returns the
        seconds it was down (until it accepted connections again).

        ``service`` is ``redis`` or ``postgres``. ``mode=kill`` kills the server (SIGKILL) as a
        crash would; ``mode=immediate`` stops Postgres with ``pg_ctl stop -m immediate`` (no
        shutdown checkpoint: crash recovery at the next start). ``down_for`` (a time with a unit)
        keeps it down that long before the restart. Redis keeps no data across a restart;
        Postgres keeps every committed row. Only servers of the embedded stack are restarted;
        for a configured database use `Terminate Database Sessions`. ``assertion_expected`` is a
        time with a unit; ``timeout`` follows Robot's time format.

        | Restart Service    postgres    mode=immediate    down_for=2 s
        | Restart Service    redis    <=    ${REDIS_RECOVERY_TARGET}
        """
        name = service.strip().lower()
        if name not in RESTARTABLE:
            raise ConfigurationError(f"cannot restart {service!r}: use one of {', '.join(RESTARTABLE)}")
        if mode not in RESTART_MODES or (mode == "immediate" and name != "postgres"):
            raise ConfigurationError(
                f"cannot restart {name} with mode={mode!r}: use kill (either server) or immediate (postgres only)"
            )
        what = f"Downtime (s) of the restarted {name}"
        target = time_target(assertion_operator, assertion_expected, what, unit="s")
        hold = to_seconds(down_for, f"down_for of the restart of {name}")
        from crosscheck.stack import api

        key = (name, "restart")
        fault = self.ctx.mark_on(key, f"{name} {'stopped (immediate)' if mode == 'immediate' else 'killed'}", name)
        try:
            down = api.restart(name, timeout.total_seconds(), down_for=hold, mode=mode)
        finally:
            self.ctx.mark_off(key)
        fault.off = fault.on + down  # back when it accepted connections again
        logger.info(f"{name} restarted ({mode}); down for {down * 1000:.0f} ms")
        figures.record(figure_name(name, f"restart_{mode}_downtime_s"), round(down, 4), "s", "lower", where=what)
        return check(round(down, 4), assertion_operator, assertion_expected if target is None else target, what)

    @keyword
    def terminate_database_sessions(self, application: str, url: str | None = None) -> int:
        """Terminates (``pg_terminate_backend``) every session of ``application`` (its ``application_name``)
        in the database under test (or at ``url``); returns how many.

        The outage a configured database allows without stopping it: the application's
        connections break and it must reconnect. Fails, terminating nothing, when no session
        of that name is found: the check would otherwise prove nothing.

        | ${n} =    Terminate Database Sessions    crosscheck-demo-api
        """
        from crosscheck.services import postgres

        target = url or postgres.url()
        conn = postgres.connect(target, application_name="crosscheck-faults")
        key = (application, "terminate")
        try:
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND pid <> pg_backend_pid()"
                    " AND datname = current_database()",
                    (application,),
                )
                pids = [row[0] for row in cur.fetchall()]
                if not pids:
                    cur.execute(
                        "SELECT DISTINCT application_name FROM pg_stat_activity "
                        "WHERE datname = current_database() AND application_name <> ''"
                    )
                    seen = ", ".join(sorted(r[0] for r in cur.fetchall())) or "none"
                    raise CrosscheckError(
                        f"no session of application {application!r} in {config.mask_url(target)}: nothing terminated "
                        f"(applications connected: {seen}); check the application_name the system sets"
                    )
                self.ctx.mark_on(key, f"sessions of {application!r} terminated", "postgres")
                cur.execute("SELECT count(*) FROM unnest(%s::int[]) AS p WHERE pg_terminate_backend(p)", (pids,))
                count = cur.fetchone()[0]
        finally:
            conn.close()
            self.ctx.mark_off(key)
        logger.info(f"terminated {count} session(s) of {application}")
        return count
