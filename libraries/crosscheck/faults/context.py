"""State shared by the Faults keyword components: the proxy server, the timeline, running probes.

Every fault a keyword switches on is undone through ``cleanup`` in the scope that switched it
on (a toxic removed, a proxy enabled again, a proxy deleted), also after a failure; the
registration happens before the fault goes on, so no failure in between can leave it on.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from crosscheck.core import Cleanup
from crosscheck.errors import ConfigurationError
from crosscheck.faults.probes import ProbeRunner
from crosscheck.faults.recovery import Fault, Timeline


def figure_name(service: str, what: str) -> str:
    """``faults.<service>.<what>``: the stable name of a figure measured on ``service`` (a proxy or
    server name, without a test's namespace prefix ``cc_<pid>_<n>_``), for the verdict."""
    part = re.sub(r"[^a-z0-9_]+", "_", service.lower()).strip("_")
    return f"faults.{re.sub(r'^cc_[0-9]+_[0-9]+_?', '', part) or 'service'}.{what}"


def proxied_url(url: str, listen: str) -> str:
    """``url`` with its host and port replaced by the proxy's ``listen`` address (credentials, path kept)."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise ConfigurationError(f"cannot route {url.split('@')[-1]!r} through a proxy: it names no host and port")
    netloc = listen
    if parts.username or parts.password:
        auth = parts.netloc.rsplit("@", 1)[0]
        netloc = f"{auth}@{listen}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def upstream_of(url: str, default_port: int | None = None) -> str:
    """``host:port`` of a service URL (``redis://:pw@h:6379/0`` -> ``h:6379``)."""
    parts = urlsplit(url)
    port = parts.port or default_port
    if not parts.hostname or not port:
        raise ConfigurationError(
            f"cannot proxy {url.split('@')[-1]!r}: a TCP proxy needs a host and a port (a Unix socket cannot be proxied)"
        )
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{host}:{port}"


class FaultsContext:
    cleanup: Cleanup  # given by CrosscheckLibrary

    def __init__(self, url: str | None = None) -> None:
        self._url = url
        self.timeline = Timeline()
        self.probes: dict[str, ProbeRunner] = {}
        self.faults_on: dict[tuple[str, str], Fault] = {}

    def mark_on(self, key: tuple[str, str], what: str, service: str) -> Fault:
        """Put a fault that just went on on the timeline (``key``: proxy and toxic, or service and kind)."""
        fault = self.timeline.fault_on(what, service)
        self.faults_on[key] = fault
        return fault

    def mark_off(self, key: tuple[str, str]) -> Fault | None:
        """Put the end of fault ``key`` on the timeline; None if it was not on."""
        fault = self.faults_on.pop(key, None)
        if fault is not None:
            self.timeline.fault_off(fault)
        return fault

    def undo_later(self, key: tuple[str, str], what: str, undo) -> None:
        """Register ``undo`` of fault ``key`` with the current scope's cleanup, before it goes on."""

        def action() -> None:
            undo()
            self.mark_off(key)

        self.cleanup.add(what, action)

    def client(self):
        """The Toxiproxy API this library drives: the import argument, ``CROSSCHECK_TOXIPROXY_URL``,
        else the embedded stack's own proxy server."""
        from crosscheck.services import toxiproxy

        return toxiproxy.client(self._url)

    def probe(self, name: str) -> ProbeRunner:
        try:
            return self.probes[name]
        except KeyError:
            known = ", ".join(sorted(self.probes)) or "none is running"
            raise ConfigurationError(f"no probe named {name!r} ({known}): start one with `Start Probe`") from None

    def close(self) -> None:
        for runner in list(self.probes.values()):
            runner.stop()
        self.probes.clear()
