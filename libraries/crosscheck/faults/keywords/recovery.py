"""Recovery: probes that repeat an end-to-end operation, and the time from a fault cleared to success."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from robot.api import logger
from robot.api.deco import keyword
from robot.libraries.BuiltIn import BuiltIn

from crosscheck import config, figures, services
from crosscheck.assertions import AssertionOperator, check, time_target, to_seconds
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.faults import probes
from crosscheck.faults.context import FaultsContext, figure_name, proxied_url
from crosscheck.faults.recovery import Attempt, Fault, Recovery
from crosscheck.faults.report import events_table, timeline_chart
from crosscheck.reporting import log_html

KINDS = ("http", "redis", "postgres", "pubsub")


class RecoveryKeywords(Component[FaultsContext]):
    @keyword
    def start_probe(
        self,
        kind: str,
        target: str | None = None,
        name: str | None = None,
        interval: timedelta = timedelta(milliseconds=50),
        method: str = "GET",
        expect: int = 200,
        headers: dict | None = None,
        json: Any = None,
        timeout: timedelta = timedelta(seconds=2),
    ) -> str:
        """Starts repeating one end-to-end operation in the background, every ``interval``, recording
        each attempt on the recovery timeline; returns the probe's name (default: ``kind``).

        ``kind``:
        - ``http``: ``method target`` answered with status ``expect`` (default 200); ``target``
          is a path on the API under test (``/health``) or a full URL; ``headers``, ``json``.
        - ``redis``: ``PING`` on a new connection; ``postgres``: ``SELECT 1`` on a new
          connection; ``pubsub``: a message published on a private channel and received.
          ``target`` is a URL, or the name of a proxy to go through it (the path the system
          under test takes); default: the service as crosscheck reaches it, directly.

        The probe runs until the test (or suite) that started it ends, or `Stop Probe`.
        ``interval`` and ``timeout`` (of each attempt) follow Robot's time format.

        | Start Probe    http    /health
        | Start Probe    http    /v1/universes/${name}    name=read    headers=${auth}
        | Start Probe    postgres    postgres    name=database via proxy
        """
        kind = kind.strip().lower()
        if kind not in KINDS:
            raise ConfigurationError(f"unknown probe kind {kind!r}: use one of {', '.join(KINDS)}")
        name = name or kind
        if name in self.ctx.probes and self.ctx.probes[name].running:
            raise ConfigurationError(f"a probe named {name!r} is already running: give this one another name=")
        seconds = timeout.total_seconds()
        if kind == "http":
            url = target or "/health"
            if url.startswith("/"):
                url = services.get("api").url().rstrip("/") + url
            operation = probes.http_operation(
                url, method=method.upper(), expect=int(expect), timeout=seconds, headers=headers, json=json
            )
        else:
            service = "redis" if kind == "pubsub" else kind
            url = self._service_url(service, target)
            factory = {
                "redis": probes.redis_operation,
                "postgres": probes.postgres_operation,
                "pubsub": probes.pubsub_operation,
            }[kind]
            operation = factory(url, timeout=seconds)
        runner = probes.ProbeRunner(name, operation, self.ctx.timeline, interval.total_seconds())
        self.ctx.cleanup.add(f"probe {name!r}", runner.stop)
        self.ctx.probes[name] = runner.start()
        logger.info(f"probe {name}: {kind} {config.mask_url(url)} every {interval.total_seconds() * 1000:.0f} ms")
        return name

    def _service_url(self, service: str, target: str | None) -> str:
        if target and "://" in target:
            return target
        url = services.get(service).url()
        if not target:
            return url
        return proxied_url(url, self.ctx.client().proxy(target)["listen"])

    @keyword
    def stop_probe(self, name: str) -> None:
        """Stops probe ``name``; its attempts stay on the timeline."""
        self.ctx.probe(name).stop()

    @keyword
    def wait_for_recovery(
        self,
        keyword_name: str,
        *args: Any,
        within: str | None = None,
        timeout: timedelta = timedelta(seconds=30),
        interval: timedelta = timedelta(milliseconds=100),
    ) -> float:
        """Runs ``keyword_name`` with ``args`` until it passes, each run an attempt on the timeline under
        the keyword's name; returns the seconds from the last fault cleared to the end of that pass.

        For an end-to-end check that only a suite can express (the system's consumer received a
        message, a row appeared). ``within`` (a time with a unit, ``${REDIS_RECOVERY_TARGET}``) is
        the recovery target: a later pass fails, naming the service, the fault, the target and the
        time measured. Without a pass within ``timeout`` it fails with the keyword's last error.
        `Get Time To Recover` with the keyword's name reads the same figure later.

        | Restore Service    redis
        | Wait For Recovery    The Consumer Receives A Message    within=${REDIS_RECOVERY_TARGET}
        """
        fault = self._cleared_fault(None)
        target = None if within is None else to_seconds(within, f"recovery target of {fault.service}")
        bound = "" if target is None else f" (target {target:g} s)"
        builtin = BuiltIn()
        deadline = time.monotonic() + timeout.total_seconds()
        while True:
            started = time.monotonic()
            status, message = builtin.run_keyword_and_ignore_error(keyword_name, *args)
            ended = time.monotonic()
            ok = status == "PASS"
            self.ctx.timeline.record(Attempt(keyword_name, started, ended, ok, "" if ok else str(message)))
            if ok or ended > deadline:
                break
            time.sleep(max(0.0, interval.total_seconds() - (ended - started)))
        recovery = self.ctx.timeline.recovery(keyword_name, fault)
        self._log(recovery, f"Recovery of {fault.service} after {fault.what}")
        if recovery.seconds is None:
            raise CrosscheckError(
                f"{fault.service} did not recover{bound}: {keyword_name!r} still failed "
                f"{timeout.total_seconds():g} s after {fault.what} was cleared: {message}"
            )
        seconds = round(recovery.seconds, 4)
        figures.record(
            figure_name(fault.service, "recovery_s"), seconds, "s", "lower", where=f"{fault.what}, {keyword_name!r}"
        )
        if target is not None and seconds > target:
            raise CrosscheckError(
                f"{fault.service} recovered {seconds:.3f} s after {fault.what} was cleared, over its target "
                f"of {target:g} s ({keyword_name!r} passed only then)"
            )
        return seconds

    @keyword
    def get_time_to_recover(
        self,
        probe: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        fault: str | None = None,
        timeout: timedelta = timedelta(seconds=30),
    ) -> float:
        """Returns the seconds from the moment the last fault was cleared (or the last one whose
        description contains ``fault``) to the first operation ``probe`` completed successfully after it.

        Waits for that success up to ``timeout``; fails naming the service, the fault, the
        target and the probe's last error when none comes. ``assertion_expected`` is a time with
        a unit (``5 s``); a bare number is refused. Logs the timeline: when the fault went on and
        off, the probe's first failure and first success. Warns when the probe never failed
        during the fault (it may not go through what the fault broke).

        | Start Probe    http    /health
        | Cut Service    redis    duration=3 s
        | Get Time To Recover    http    <=    ${REDIS_RECOVERY_TARGET}
        """
        cleared = self._cleared_fault(fault)
        what = f"Time to recover (s) of {cleared.service} after {cleared.what}, probe {probe!r}"
        target = time_target(assertion_operator, assertion_expected, what, unit="s")
        runner = self.ctx.probes.get(probe)
        if runner is None and not self.ctx.timeline.probe_attempts(probe):
            raise ConfigurationError(
                f"no probe named {probe!r}: start one with `Start Probe` before the fault, or run `Wait For Recovery`"
            )
        deadline = time.monotonic() + timeout.total_seconds()
        recovery = self.ctx.timeline.recovery(probe, cleared)
        while recovery.first_success is None and runner is not None and runner.running and time.monotonic() < deadline:
            time.sleep(0.02)
            recovery = self.ctx.timeline.recovery(probe, cleared)
        self._log(recovery, f"Recovery of {cleared.service} after {cleared.what}")
        bound = (
            "" if target is None else f", target {assertion_operator.value if assertion_operator else ''} {target:g} s"
        )
        if recovery.seconds is None:
            raise CrosscheckError(
                f"{cleared.service} did not recover within {timeout.total_seconds():g} s after {cleared.what} was "
                f"cleared{bound}: probe {probe!r} never succeeded after it"
                + (f"; last error: {recovery.last_error}" if recovery.last_error else "")
            )
        if recovery.first_failure is None:
            logger.warn(
                f"probe {probe!r} never failed during {cleared.what}: it may not go through what the fault broke, "
                "so its recovery time says little"
            )
        seconds = round(recovery.seconds, 4)
        figures.record(figure_name(cleared.service, "recovery_s"), seconds, "s", "lower", where=what)
        message = (
            f"{cleared.service} recovered {seconds:.3f} s after {cleared.what} was cleared (probe {probe!r}), "
            f"expected {assertion_operator.value if assertion_operator else ''} {{expected}} s"
        )
        return check(
            seconds, assertion_operator, assertion_expected if target is None else target, what, message=message
        )

    @keyword
    def log_recovery_timeline(self) -> None:
        """Logs the whole timeline of this run so far: faults, every probe's attempts."""
        recoveries = [
            self.ctx.timeline.recovery(p, f)
            for f in self.ctx.timeline.faults
            for p in sorted({a.probe for a in self.ctx.timeline.attempts})
        ]
        log_html(
            timeline_chart(self.ctx.timeline, recoveries, "Faults and probes")
            + events_table(self.ctx.timeline, recoveries)
        )

    def _cleared_fault(self, contains: str | None) -> Fault:
        faults = [f for f in self.ctx.timeline.faults if f.off is not None and (not contains or contains in f.what)]
        if not faults:
            active = ", ".join(f.what for f in self.ctx.timeline.active()) or "none"
            raise CrosscheckError(
                "no fault has been cleared yet"
                + (f" matching {contains!r}" if contains else "")
                + f" (on now: {active}): recovery is measured from the moment a fault is cleared"
            )
        return max(faults, key=lambda f: f.off or 0.0)

    def _log(self, recovery: Recovery, title: str) -> None:
        since = recovery.fault.on - 1.0
        log_html(
            timeline_chart(self.ctx.timeline, [recovery], title, since=since)
            + events_table(self.ctx.timeline, [recovery], since=since)
        )
