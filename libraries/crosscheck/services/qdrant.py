"""Qdrant: ``CROSSCHECK_QDRANT_URL`` for a server; unset, the vector library runs Qdrant Edge in process.

Qdrant Edge (the ``qdrant-edge-py`` wheel) is Qdrant's own storage, HNSW and payload
index engine as a library: each collection is a *shard*, a directory this process
opens (:func:`edge_shard`). Where the engine cannot load, qdrant-client's local mode
(:func:`client` with ``location``) is the fallback.
"""

from __future__ import annotations

from typing import Any

import httpx

from crosscheck.services.base import PROBE_TIMEOUT, Service

EDGE_PACKAGE = "qdrant-edge-py"


class QdrantService(Service):
    name, title, env, embedded = "qdrant", "Qdrant", "CROSSCHECK_QDRANT_URL", False
    unset_address, unset_mode = "Qdrant Edge (in process)", "in process"

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

    def edge_missing(self) -> str | None:
        """None when the Qdrant Edge engine loads in this process, else why it does not."""
        try:
            import qdrant_edge  # noqa: F401
        except ImportError as exc:
            return f"the Qdrant Edge engine ({EDGE_PACKAGE}) cannot load: {exc}"
        return None

    def edge_shard(self, path: str, config: Any = None, create: bool = False) -> Any:
        """A Qdrant Edge shard at ``path``: created with ``config``, or opened (``config`` then updates it)."""
        from qdrant_edge import EdgeShard

        if create:
            return EdgeShard.create(path, config)
        return EdgeShard.load(path, config)

    def version(self, url: str) -> str:
        try:
            resp = httpx.get(url.rstrip("/") + "/", timeout=PROBE_TIMEOUT)
            return resp.json().get("version", f"HTTP {resp.status_code}")
        except Exception as exc:  # noqa: BLE001
            raise self.unreachable(url, exc) from None


SERVICE = QdrantService()
url = SERVICE.url
client = SERVICE.client
edge_shard = SERVICE.edge_shard
edge_missing = SERVICE.edge_missing
