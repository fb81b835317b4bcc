"""Keywords about the services: start, address, reachability, versions, a private stack."""

from __future__ import annotations

from typing import Any

from robot.api import logger
from robotlibcore import keyword

from crosscheck import config, reporting, services
from crosscheck.assertions import AssertionOperator, check
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError
from crosscheck.ports import free_port
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
        ``qdrant`` returns ``${None}`` when no server is configured (the Vectors library then runs
        Qdrant Edge, Qdrant's engine, in process).
        """
        name = _name(service)
        if name == "qdrant":
            return services.get(name).configured()  # None: Qdrant Edge in process
        return services.get(name).url()

    @keyword
    def use_service_url(self, service: str, url: str | None = None) -> str:
        """Points crosscheck at ``url`` for ``service`` for the rest of the run, unless the environment
        already names one; returns the address used (password masked).

        It sets the service's environment variable (``CROSSCHECK_REDIS_URL``, ...), so every library
        and every process started from here on uses it. Where that variable is already set, it wins:
        it may carry the password that ``url`` (from an arguments file, say) leaves out. An empty
        ``url`` changes nothing. Call it in ``Suite Setup``, before the first keyword that connects.

        | ${given} = | Get Variable Value | ${CROSSCHECK_REDIS_URL} | ${EMPTY} | # --variable, or an arguments file |
        | `Use Service Url` | redis | ${given} |
        """
        name = _name(service)
        env = config.ENV[name]
        present = config.configured(name)
        if present:
            if url and present != url:
                logger.info(f"{name}: {env} from the environment is used ({config.mask_url(present)}), not {url!r}")
            return config.mask_url(present)
        if not url:
            logger.info(f"{name}: no address given, {env} unset: crosscheck's default is used")
            return ""
        import os

        os.environ[env] = url.strip()
        masked = config.mask_url(url)
        logger.info(f"{name}: {env} set to {masked}")
        return masked

    @keyword
    def get_free_port(self) -> int:
        """Returns a TCP port of 127.0.0.1 that nothing listens on now, for a service a test starts.

        | ${port} =    Get Free Port
        """
        return free_port()

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
            version = _in_process_qdrant()
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
    def use_a_private_stack(self, system_under_test: bool = True) -> str:
        """Starts a stack of this suite's own (or this test's) and uses it until the suite (or test) ends.

        For a suite that breaks its services (``Restart Service``, ``Cut Service`` of
        crosscheck.Faults): under pabot, suites running at the same time share one stack, and
        would be hit too. The private stack has its own Redis, Postgres, proxy server and
        system under test (``system_under_test=False``: without one); every library, and every
        process started from here on (``Run Process``), uses it. Connections opened before to
        the shared stack's default addresses move to the private one on their next use, and
        environment variables holding one of its URLs (``Export Redis Url``) are pointed at
        the private one, and back when it stops.
        Configured services stay as configured. Called in ``Suite Setup`` it lasts for the
        suite; when the suite ends it is stopped, after the other libraries' cleanup, and the
        shared stack is used again. Starting it takes a few seconds.

        Returns the private stack's key.

        | `Use A Private Stack` | # in Suite Setup: for the suite |
        | `Use A Private Stack` | system_under_test=${False} | # Redis, Postgres and the proxy server only |
        """
        state = api.start_private(system_under_test)
        key = state["key"]
        self.ctx.cleanup.add(f"private stack {key}", lambda: api.stop_private(key))
        logger.info(f"private stack {key} in use")
        self.log_service_versions()
        return key


def _in_process_qdrant() -> str:
    """What stands in for a Qdrant server: Qdrant Edge, or qdrant-client's local mode where it cannot load."""
    from importlib.metadata import PackageNotFoundError, version

    from crosscheck.services import qdrant

    if qdrant.edge_missing() is None:
        try:
            return f"Qdrant Edge {version(qdrant.EDGE_PACKAGE)} (in process)"
        except PackageNotFoundError:
            return "Qdrant Edge (in process)"
    return f"qdrant-client {version('qdrant-client')} local mode (Qdrant Edge cannot load)"
