"""Proxies: create one in front of a service, read it, list them, delete the ones this run made."""

from __future__ import annotations

import uuid

from robot.api.deco import keyword

from crosscheck import config, services
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError
from crosscheck.faults.context import FaultsContext, proxied_url, upstream_of
from crosscheck.reporting import html_table, log_html

PROXYABLE = ("redis", "postgres", "api", "qdrant")
DEFAULT_PORTS = {"redis": 6379, "postgres": 5432, "api": 80, "qdrant": 6333}


class ProxyKeywords(Component[FaultsContext]):
    @keyword
    def create_proxy(self, name: str, upstream: str, listen: str = "127.0.0.1:0") -> str:
        """Creates a proxy ``name`` that forwards ``listen`` to ``upstream`` (``host:port``); returns
        the address it listens on (``127.0.0.1:41234``).

        Fails before creating anything when ``upstream`` does not answer, naming it. The proxy
        is deleted when the test (or suite) that created it ends.

        | ${listen} =    Create Proxy    orders-cache    ${upstream}

        (``${upstream}`` is ``host:port``, for example ``cache.internal:6379``.)
        """
        client = self.ctx.client()
        client.check_upstream(upstream)
        created = client.create_proxy(name, upstream, listen=listen)
        self.ctx.cleanup.add(f"proxy {name!r} at {client.url}", lambda: _delete_if_present(client, name))
        return created["listen"]

    @keyword
    def create_proxy_for_service(self, service: str, name: str | None = None) -> str:
        """Creates a proxy in front of ``service`` (``redis``, ``postgres``, ``api``, ``qdrant``, as crosscheck
        reaches it) and returns the service's URL through the proxy, credentials and database kept.

        Point the system under test at that URL (its configuration, its environment), then
        inject faults on the proxy: the suite's own connections stay direct. ``name``
        defaults to ``<service>-<random>``. Deleted when the test (or suite) that created it ends.

        | ${url} =    Create Proxy For Service    postgres    name=app-db
        | # start the system under test with DATABASE_URL=${url}
        | Add Latency    app-db    200 ms
        """
        kind = service.strip().lower()
        if kind not in PROXYABLE:
            raise ConfigurationError(f"cannot proxy {service!r}: use one of {', '.join(PROXYABLE)}")
        url = services.get(kind).url()
        if kind == "qdrant" and not url:
            raise ConfigurationError("Qdrant runs in process (local mode): set CROSSCHECK_QDRANT_URL to proxy a server")
        name = name or f"{kind}-{uuid.uuid4().hex[:6]}"
        listen = self.create_proxy(name, upstream_of(url, DEFAULT_PORTS[kind]))
        through = proxied_url(url, listen)
        log_html(html_table([[name, config.mask_url(url), config.mask_url(through)]], ["proxy", "service", "through"]))
        return through

    @keyword
    def get_proxy(self, name: str) -> dict:
        """Returns proxy ``name`` as the server describes it: ``listen``, ``upstream``, ``enabled``, ``toxics``."""
        return self.ctx.client().proxy(name)

    @keyword
    def get_proxy_url(self, name: str, service: str | None = None) -> str:
        """Returns ``service``'s URL (default: the service named like the proxy) through proxy ``name``.

        The embedded stack routes the system under test through proxies named ``redis`` and
        ``postgres``; ``Get Proxy Url    redis`` is the address the system under test uses.
        """
        kind = (service or name).strip().lower()
        if kind not in PROXYABLE:
            raise ConfigurationError(f"proxy {name!r}: say which service it fronts with service= ({PROXYABLE})")
        return proxied_url(services.get(kind).url(), self.get_proxy(name)["listen"])

    @keyword
    def delete_proxy(self, name: str) -> None:
        """Deletes proxy ``name``: its listener and every connection through it are closed."""
        self.ctx.client().delete_proxy(name)

    @keyword
    def log_proxies(self) -> dict:
        """Logs a table of every proxy (address, upstream, enabled, toxics) and returns them by name."""
        proxies = self.ctx.client().proxies()
        rows = [
            [
                name,
                p.get("listen", ""),
                p.get("upstream", ""),
                "yes" if p.get("enabled", True) else "no (cut)",
                ", ".join(t.get("name", "") for t in p.get("toxics") or []) or "-",
            ]
            for name, p in sorted(proxies.items())
        ]
        log_html(html_table(rows, ["proxy", "listen", "upstream", "enabled", "toxics"], "Proxies"))
        return proxies


def _delete_if_present(client, name: str) -> None:
    if name in client.proxies():
        client.delete_proxy(name)
