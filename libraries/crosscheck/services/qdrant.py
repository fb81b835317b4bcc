"""Qdrant: ``CROSSCHECK_QDRANT_URL`` for a server; unset, the vector library runs its engine in process."""

from __future__ import annotations

import httpx

from crosscheck.services.base import PROBE_TIMEOUT, Service


class QdrantService(Service):
    name, title, env, embedded = "qdrant", "Qdrant", "CROSSCHECK_QDRANT_URL", False
    unset_address, unset_mode = "qdrant-client local mode", "local"

    def url(self) -> str:
        """The configured server; raises a skip naming the variable when unset."""
        return super().url()

    def client(self, url: str | None = None, location: str | None = None, timeout: float = 10.0):
        """A qdrant-client for the server at ``url``, or for ``location`` (``local``, ``memory``, ``local:PATH``)."""
        from qdrant_client import QdrantClient

        if location is not None:
            if location in ("local", "memory", ""):
                return QdrantClient(location=":memory:")
            return QdrantClient(path=location.removeprefix("local:"))
        url = url or self.url()
        return QdrantClient(url=url, timeout=int(timeout), check_compatibility=False)

    def version(self, url: str) -> str:
        try:
            resp = httpx.get(url.rstrip("/") + "/", timeout=PROBE_TIMEOUT)
            return resp.json().get("version", f"HTTP {resp.status_code}")
        except Exception as exc:  # noqa: BLE001
            raise self.unreachable(url, exc) from None


SERVICE = QdrantService()
url = SERVICE.url
client = SERVICE.client
