"""Toxiproxy: ``CROSSCHECK_TOXIPROXY_URL`` for a Toxiproxy server, else the embedded stack's fault proxy.

The embedded stack runs crosscheck's own proxy server (:mod:`crosscheck.faults.proxy`, the
subset of Toxiproxy 2.x's HTTP API crosscheck uses) and records it as ``toxiproxy``. The client
here drives either one:

    from crosscheck.services import toxiproxy
    client = toxiproxy.client()
    proxy = client.create_proxy("redis", "127.0.0.1:6379")          # listen 127.0.0.1:0: a free port
    client.add_toxic("redis", "latency", attributes={"latency": 200})
    client.update_proxy("redis", enabled=False)                      # the service looks down
    client.reset()                                                   # every proxy enabled, no toxic
"""

from __future__ import annotations

import json
import socket
from typing import Any
from urllib.parse import quote

import httpx

from crosscheck import config
from crosscheck.errors import CrosscheckError, ServiceUnavailable
from crosscheck.services.base import PROBE_TIMEOUT, Service

TIMEOUT = 5.0


class ToxiproxyError(CrosscheckError):
    """The Toxiproxy server refused a request: ``status`` is the HTTP status, ``message`` its own words."""

    def __init__(self, url: str, status: int, message: str, proxy: str | None = None):
        self.url, self.status, self.message, self.proxy = url, status, message, proxy
        where = f"Toxiproxy at {config.mask_url(url)}"
        if proxy is not None and f"proxy {proxy!r}" not in message:
            where += f": proxy {proxy!r}"
        super().__init__(f"{where}: {message}")


class ToxiproxyService(Service):
    name, title, env, embedded = "toxiproxy", "Toxiproxy", "CROSSCHECK_TOXIPROXY_URL", True

    def client(self, url: str | None = None) -> Toxiproxy:
        """A client for the server at ``url`` (default: the configured one, else the embedded stack's)."""
        return Toxiproxy(url or self.url())

    def version(self, url: str) -> str:
        return Toxiproxy(url, timeout=PROBE_TIMEOUT).version()


SERVICE = ToxiproxyService()
url = SERVICE.url
client = SERVICE.client


def _path(*parts: str) -> str:
    return "/" + "/".join(quote(part, safe="") for part in parts)


class Toxiproxy:
    """A client of Toxiproxy's HTTP API (a real Toxiproxy 2.x server, or crosscheck's fault proxy).

    Proxies and toxics are the server's JSON objects: a proxy is ``{"name", "listen",
    "upstream", "enabled", "toxics"}``, a toxic ``{"name", "type", "stream", "toxicity",
    "attributes"}``. A refused request raises :class:`ToxiproxyError`; a server that does not
    answer raises :class:`crosscheck.errors.ServiceUnavailable`.
    """

    def __init__(self, url: str, timeout: float = TIMEOUT):
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=timeout, headers={"User-Agent": "crosscheck"})

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Toxiproxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Toxiproxy({config.mask_url(self.url)!r})"

    def _request(self, method: str, path: str, proxy: str | None = None, body: Any = None) -> Any:
        try:
            resp = self._http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise SERVICE.unreachable(self.url, exc) from None
        if resp.status_code >= 400:
            try:
                message = str(resp.json().get("error") or resp.text)
            except (ValueError, AttributeError):
                message = resp.text.strip() or resp.reason_phrase
            raise ToxiproxyError(self.url, resp.status_code, f"{message} (HTTP {resp.status_code})", proxy)
        if resp.status_code == 204 or not resp.content:
            return None
        try:
            return resp.json()
        except ValueError:
            return resp.text

    # --- the server ---

    def version(self) -> str:
        """The server's version: ``2.12.0`` for Toxiproxy, ``2.12.0+crosscheck.<version>`` for crosscheck's proxy."""
        found = self._request("GET", "/version")
        if isinstance(found, dict):
            return str(found.get("version", ""))
        text = str(found or "").strip()  # Toxiproxy before 2.7 answers the bare version
        try:
            return str(json.loads(text).get("version", text))
        except (ValueError, AttributeError):
            return text

    def reset(self) -> None:
        """Enable every proxy and remove every toxic."""
        self._request("POST", "/reset")

    # --- proxies ---

    def proxies(self) -> dict[str, dict[str, Any]]:
        """Every proxy, by name."""
        return self._request("GET", "/proxies") or {}

    def proxy(self, name: str) -> dict[str, Any]:
        return self._request("GET", _path("proxies", name), proxy=name)

    def create_proxy(self, name: str, upstream: str, listen: str = "127.0.0.1:0", enabled: bool = True) -> dict:
        """A new proxy from ``listen`` to ``upstream`` (``host:port``); the answer's ``listen`` has the real port.

        An upstream that does not answer is accepted (each client connection is then closed);
        :meth:`check_upstream` says whether it answers.
        """
        body = {"name": name, "listen": listen, "upstream": upstream, "enabled": enabled}
        return self._request("POST", "/proxies", proxy=name, body=body)

    def update_proxy(self, name: str, **fields: Any) -> dict[str, Any]:
        """Change ``enabled``, ``listen`` or ``upstream``; a new address drops the open connections."""
        return self._request("POST", _path("proxies", name), proxy=name, body=fields)

    def delete_proxy(self, name: str) -> None:
        self._request("DELETE", _path("proxies", name), proxy=name)

    # --- toxics ---

    def toxics(self, proxy: str) -> list[dict[str, Any]]:
        return self._request("GET", _path("proxies", proxy, "toxics"), proxy=proxy) or []

    def add_toxic(
        self,
        proxy: str,
        type: str,
        stream: str = "downstream",
        toxicity: float = 1.0,
        attributes: dict[str, Any] | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        """Add a toxic (its ``name`` defaults to ``<type>_<stream>``); it acts on open connections too."""
        body: dict[str, Any] = {"type": type, "stream": stream, "toxicity": toxicity, "attributes": attributes or {}}
        if name:
            body["name"] = name
        return self._request("POST", _path("proxies", proxy, "toxics"), proxy=proxy, body=body)

    def update_toxic(
        self, proxy: str, name: str, toxicity: float | None = None, attributes: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Change a toxic's toxicity and/or some of its attributes (the others are kept)."""
        body: dict[str, Any] = {"attributes": attributes or {}}
        if toxicity is not None:
            body["toxicity"] = toxicity
        return self._request("POST", _path("proxies", proxy, "toxics", name), proxy=proxy, body=body)

    def remove_toxic(self, proxy: str, name: str) -> None:
        self._request("DELETE", _path("proxies", proxy, "toxics", name), proxy=proxy)

    # --- the upstream ---

    @staticmethod
    def check_upstream(upstream: str, timeout: float = 2.0) -> None:
        """Raise :class:`ServiceUnavailable` naming ``upstream`` (``host:port``) when nothing accepts a TCP connection there.

        A proxy whose upstream does not answer still accepts connections, then closes each one:
        this says why.
        """
        host, sep, port = upstream.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ServiceUnavailable(f"upstream {upstream!r} is not 'host:port' (for example 127.0.0.1:6379)")
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
                pass
        except OSError as exc:
            cause = "no answer in time" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
            raise ServiceUnavailable(
                f"upstream {upstream} does not answer ({cause}): a proxy to it closes every connection; "
                "start the service there, or give the proxy the right upstream"
            ) from None
