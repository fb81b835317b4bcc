"""Keywords about the services: start, address, reachability, versions, restart."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from robot.api import logger
from robotlibcore import keyword

from crosscheck import config, reporting, services
from crosscheck.assertions import AssertionOperator, check, time_target
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError
from crosscheck.stack import api, status
from crosscheck.stack.context import StackContext


def _name(service: str) -> str:
    name = service.strip().lower()
    if name not in services.NAMES:
        raise ConfigurationError(f"unknown service {service!r}: use one of {', '.join(services.NAMES)}")
    return name


class ServiceKeywords(Component[StackContext]):
    @keyword
    def start_stack(self) -> None:
        """Starts the embedded services that are not configured, or attaches to running ones.

        Logs each service's address (password masked), version and mode. Libraries start
        the stack on first use anyway; calling this in ``Suite Setup`` makes the start
        (about two seconds) show up there rather than inside the first test.
        """
        api.ensure()
        self.log_service_versions()

    @keyword
    def stop_stack(self) -> None:
        """Stops the embedded stack started by this run now, rather than when the run ends.

        Configured services are never touched. A stack started with ``crosscheck up`` is left
        running: stop it with ``crosscheck down``.
        """
        key = api.stop_run_stack()
        if key:
            logger.info(f"stopped embedded stack {key}")

    @keyword
    def get_service_url(self, service: str) -> str:
        """Returns the address of ``service`` (``redis``, ``postgres``, ``api``, ``qdrant``, ``docker``).

        The URL keeps its password, for handing to other libraries; it is not logged.
        ``qdrant`` returns ``${None}`` when no server is configured (local mode).
        """
        name = _name(service)
        if name == "qdrant":
            return services.get(name).configured()  # None: qdrant-client's local mode
        return services.get(name).url()

    @keyword
    def service_should_be_reachable(self, service: str) -> str:
        """Fails within seconds, naming the address and the fix, when ``service`` does not answer.

        Returns the version the service reports.
        """
        return self.get_service_version(service)

    @keyword
    def get_service_version(
        self, service: str, assertion_operator: AssertionOperator | None = None, assertion_expected: Any = None
    ) -> str:
        """Returns the version ``service`` reports, optionally asserting on it.

        | ${v} =    Get Service Version    redis
        | Get Service Version    postgres    starts    18
        """
        name = _name(service)
        url = self.get_service_url(name)
        if name == "qdrant" and url is None:
            import qdrant_client

            version = f"qdrant-client {getattr(qdrant_client, '__version__', '')} local mode".replace("  ", " ")
        else:
            version = services.get(name).version(url)
        logger.info(f"{name} at {config.mask_url(url)}: {version}")
        return check(version, assertion_operator, assertion_expected, f"{name} version")

    @keyword
    def log_service_versions(self) -> list[dict]:
        """Logs a table of every service: address (password masked), mode, version, state."""
        rows = status.rows()
        reporting.log_html(
            reporting.html_table(
                [[r["service"], r["address"], r["mode"], r["version"], r.get("state", "")] for r in rows],
                ["service", "address", "mode", "version", "state"],
                "Services under test",
            )
        )
        return rows

    @keyword
    def restart_service(
        self,
        service: str = "redis",
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        timeout: timedelta = timedelta(seconds=30),
    ) -> float:
        """Restarts an embedded server on the same port and returns how long it was down, in seconds.

        For recovery tests (seed 001: ``REDIS_RECOVERY_TARGET``). The server is killed, as a
        crash would, and the stack starts it again. Configured services are not restarted:
        the keyword fails saying so. ``assertion_expected`` is a time with a unit
        (``5 s``, ``500 ms``); a bare number is refused before anything is restarted.
        ``timeout`` follows Robot's time format (a bare number is seconds).

        | `Restart Service` | redis | <= | ${REDIS_RECOVERY_TARGET} |
        """
        name = _name(service)
        what = f"Downtime (s) of the restarted {name}"
        target = time_target(assertion_operator, assertion_expected, what, unit="s")
        down = api.restart(name, timeout.total_seconds())
        logger.info(f"{service} restarted; down for {down * 1000:.0f} ms")
        return check(round(down, 4), assertion_operator, assertion_expected if target is None else target, what)
