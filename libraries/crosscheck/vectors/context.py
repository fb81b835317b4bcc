"""What the keyword components of crosscheck.Vectors share.

:class:`VectorsContext` holds the connected stores (one backend per address, the
*active* one used by keywords), the collections the running tests and suites created
or attached (the newest first when a name is looked up), the *current collection*,
the figures of the last measurements, and ``cleanup``, the library's undo stack
(given by :class:`crosscheck.core.CrosscheckLibrary`).

Every namespace, collection and row a keyword creates registers its undo with
``cleanup`` right away, so it is removed when the test (or the suite, if created in a
suite setup) ends, also after a failure. Connections come from
:mod:`crosscheck.services` (``postgres.connect`` for pgvector, ``qdrant.client``).
"""

from __future__ import annotations

import re
from functools import partial
from typing import TYPE_CHECKING, Any

from robot.api import SkipExecution, logger

from crosscheck import config, namespace
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.services import chroma as chroma_service
from crosscheck.services import milvus as milvus_service
from crosscheck.services import postgres as postgres_service
from crosscheck.services import qdrant as qdrant_service
from crosscheck.vectors.backend import Backend, Collection, normalize_distance, validate_points

if TYPE_CHECKING:
    from crosscheck.core.cleanup import Cleanup

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,23}$")


class VectorsContext:
    """State shared by the keyword components of one library instance."""

    cleanup: Cleanup

    def __init__(self, url: str | None = None) -> None:
        self.default_url = url
        self.backends: dict[str, Backend] = {}
        self.active: str | None = None
        #: collections created or attached by the running tests and suites, oldest first
        self.collections: list[Collection] = []
        self.current: str | None = None
        #: figures of the last measurement, for reuse by getters
        self.last: dict[str, dict] = {}
        #: recall curves measured in the running test: (label, k, parameter name, points)
        self.curves: list[tuple[str, int, str, list]] = []
        #: (cleanup scope, backend) -> the namespace collections of that scope live in
        self._namespaces: dict[tuple[int, int], str] = {}
        self._follows_default = False  # the active store is the default Postgres

    # -- stores -----------------------------------------------------------------
    @staticmethod
    def _resolve_url(url: str | None) -> tuple[str, str | None]:
        """(kind, address) for ``url``: pgvector / qdrant, address None = default.

        ``qdrant`` is the server at ``CROSSCHECK_QDRANT_URL`` when set, else Qdrant Edge in
        this process; qdrant-client's local mode only where the Edge engine cannot load.
        ``milvus`` and ``chroma`` are the stores ``CROSSCHECK_MILVUS_URL`` and
        ``CROSSCHECK_CHROMA_URL`` name when set, else Milvus Lite in a temporary file and a Chroma
        server started here.
        """
        text = (url or "").strip()
        low = text.lower()
        if low in ("", "pgvector", "postgres", "postgresql"):
            return "pgvector", None
        if low.startswith(("postgresql://", "postgres://")):
            return "pgvector", text
        if low == "qdrant":
            configured = qdrant_service.SERVICE.configured()
            if configured:
                return "qdrant", configured
            missing = qdrant_service.edge_missing()
            if missing:
                logger.warn(f"{missing}; Qdrant runs in qdrant-client's local mode instead (brute force, no index)")
                return "qdrant", "qdrant:local"
            return "qdrant", "qdrant:edge"
        if low == "qdrant:edge" or low.startswith("qdrant:edge:"):
            return "qdrant", "qdrant:edge" + text[len("qdrant:edge") :]
        if low.startswith("qdrant:"):
            return "qdrant", text
        named = config.configured(low) if low in ("milvus", "chroma") else None
        if named and named.strip().lower() != low:  # the store the environment names
            if named.lower().startswith(("http://", "https://")):
                return low, named
            kind, address = VectorsContext._resolve_url(named)
            if kind != low:
                raise ConfigurationError(
                    f"{config.ENV[low]}={config.mask_url(named)!r} names a {kind} store, not {low}: give a "
                    + ("milvus://host:19530 or milvus-lite:///path.db" if low == "milvus" else "chroma://host:8000")
                    + f" address, or unset {config.ENV[low]}"
                )
            return kind, address
        if low in ("milvus", "milvus-lite", "milvus-lite:", "milvus-lite://"):
            return "milvus", None
        if low.startswith("milvus-lite://"):
            return "milvus", text[len("milvus-lite://") :]
        if low.startswith("milvus://"):
            return "milvus", "http://" + text[len("milvus://") :]
        if low in ("chroma", "chroma:", "chroma://"):
            return "chroma", None
        if low.startswith("chroma://"):
            return "chroma", text
        if low.startswith(("http://", "https://")):
            return "qdrant", text
        raise ConfigurationError(
            f"cannot tell the vector store from {config.mask_url(text)!r}: use postgresql://... (pgvector), "
            "http(s)://host:6333 (a Qdrant server), qdrant:edge (Qdrant Edge in process), qdrant:local "
            "(qdrant-client local mode), qdrant, milvus-lite:///path.db (Milvus Lite), milvus://host:19530 "
            "(a Milvus server), milvus, chroma://host:8000 (a Chroma server) or chroma (a Chroma server started here)"
        )

    def connect(self, url: str | None = None) -> Backend:
        kind, address = self._resolve_url(url if url is not None else self.default_url)
        follows = kind == "pgvector" and address is None  # the default server's, as the service answers it
        if kind == "pgvector":
            address = address or self._default_postgres()
        key = f"{kind}|{address}"
        if key not in self.backends:
            self.backends[key] = self._open(kind, address)
        if self.active != key:
            self.current = None
        self.active = key
        self._follows_default = follows
        return self.backends[key]

    @staticmethod
    def _open(kind: str, address: str | None) -> Backend:
        if kind == "pgvector" and address:
            from crosscheck.vectors.pgvector import PgVectorBackend

            return PgVectorBackend(address)
        if kind == "milvus":
            missing = milvus_service.missing()
            if missing:
                raise SkipExecution(missing)
            from crosscheck.vectors.milvus import MilvusBackend

            return MilvusBackend(address)
        if kind == "chroma":
            missing = chroma_service.missing()
            if missing:
                raise SkipExecution(missing)
            from crosscheck.vectors.chroma import ChromaBackend

            return ChromaBackend(address)
        if address and address.startswith("qdrant:edge"):
            missing = qdrant_service.edge_missing()
            if missing:
                raise SkipExecution(f"{missing}; install {qdrant_service.EDGE_PACKAGE} or use qdrant:local")
            from crosscheck.vectors.qdrant_edge import QdrantEdgeBackend

            return QdrantEdgeBackend(address[len("qdrant:edge:") :] or None)
        from crosscheck.vectors.qdrant import QdrantBackend

        return QdrantBackend(None if address == "qdrant:local" else address)

    @staticmethod
    def _default_postgres() -> str:
        try:
            return postgres_service.url()
        except SkipExecution:
            raise
        except CrosscheckError as exc:
            if postgres_service.SERVICE.configured():
                raise
            raise SkipExecution(
                f"no Postgres for pgvector: CROSSCHECK_POSTGRES_URL is unset and the "
                f"embedded server could not start ({exc})"
            ) from None

    @property
    def backend(self) -> Backend:
        """The active store. One chosen as the default Postgres follows ``services.postgres.url()``
        (a private stack in use, or no longer): when it answers another address, the store
        there becomes the active one."""
        if self.active is None:
            return self.connect()
        if self._follows_default and self.active != f"pgvector|{self._default_postgres()}":
            return self.connect("pgvector")
        return self.backends[self.active]

    # -- collections --------------------------------------------------------------
    def _visible(self):
        """Collections of the active store, newest first."""
        backend = self.backend
        for coll in reversed(self.collections):
            if coll.backend is backend:
                yield coll

    def find(self, name: str) -> Collection | None:
        for coll in self._visible():
            if coll.name == name:
                return coll
        return None

    def resolve(self, name: str | None = None) -> Collection:
        """The collection called ``name`` (default: the current one), or a clear error."""
        name = name or self.current
        if not name:
            raise ConfigurationError(
                "no collection selected: create one with Create Collection, or name one with collection=<name>"
            )
        coll = self.find(name)
        if coll is None:
            known = sorted({c.name for c in self._visible()})
            raise ConfigurationError(
                f"unknown collection '{name}' on {self.backend.describe()}: it was not created (or was "
                f"dropped) in this test or suite; known: {', '.join(known) or 'none'}"
            )
        return coll

    @staticmethod
    def check_name(name: str) -> str:
        if not _NAME.match(str(name)):
            raise ConfigurationError(
                f"collection name {name!r} is not valid: use a letter, then up to 23 letters, digits or underscores"
            )
        return str(name).lower()

    def _scope_label(self) -> str:
        scope = self.cleanup.current
        return f"{scope.kind}:{scope.name}"

    def namespace(self, backend: Backend) -> str:
        """The namespace of the running test (or suite) on ``backend``, made on first use.

        Its removal (pgvector: the schema, with whatever is left in it) is registered
        before the first collection in it, so it runs after the collections' own.
        """
        key = (id(self.cleanup.current), id(backend))
        ns = self._namespaces.get(key)
        if ns is None:
            ns = namespace.new("vec")
            self._namespaces[key] = ns
            self.cleanup.add(f"namespace {ns} on {backend.describe()}", partial(self._drop_namespace, key, backend, ns))
        return ns

    def _drop_namespace(self, key: tuple[int, int], backend: Backend, ns: str) -> None:
        try:
            backend.drop_namespace(ns)
        finally:
            self._namespaces.pop(key, None)

    def create(self, name: str, dimension: int, distance: str) -> Collection:
        """Creates collection ``name`` in the namespace of the running test or suite; makes it current.

        The caller registers its removal (:meth:`discard`) with ``cleanup``.
        """
        name = self.check_name(name)
        distance = normalize_distance(distance)
        if dimension < 1:
            raise ConfigurationError(f"dimension must be at least 1, got {dimension}")
        backend = self.backend
        existing = self.find(name)
        if existing is not None and backend.exists(existing.physical):
            raise ConfigurationError(
                f"collection '{name}' already exists in this test or suite "
                f"({existing.physical}); drop it first or use another name"
            )
        ns = self.namespace(backend)
        table = f"{ns}_{name}"
        physical = f"{ns}.{table}" if backend.kind == "pgvector" else table
        extra = backend.create(physical, dimension, distance, ns)
        coll = Collection(name, physical, dimension, distance, backend, self._scope_label(), True, extra)
        self.collections.append(coll)
        self.current = name
        return coll

    def attach(self, name: str, existing: str, distance: str, id_column: str, vector_column: str | None) -> Collection:
        """Names a table or collection of the system under test; makes it current.

        It is never dropped; the caller registers :meth:`forget` with ``cleanup``.
        """
        name = self.check_name(name)
        distance = normalize_distance(distance)
        backend = self.backend
        if backend.kind == "pgvector":
            physical = existing if "." in existing else f"public.{existing}"
            extra = backend.attach(physical, id_column, vector_column)  # type: ignore[attr-defined]
            dimension = extra.pop("dimension")
        else:
            physical = existing
            found = backend.lookup(physical)
            if found is None:
                raise ConfigurationError(f"unknown collection: {existing!r} does not exist on {backend.describe()}")
            dimension, distance = found
            extra = {}
        coll = Collection(name, physical, dimension, distance, backend, self._scope_label(), False, extra)
        self.collections.append(coll)
        self.current = name
        return coll

    def forget(self, coll: Collection) -> None:
        """``coll`` is no longer known (its test or suite ended, or it was dropped)."""
        self.collections = [c for c in self.collections if c is not coll]
        if self.current == coll.name and self.find(coll.name) is None:
            self.current = None

    def known(self, coll: Collection) -> bool:
        return any(c is coll for c in self.collections)

    def discard(self, coll: Collection) -> None:
        """The undo of `Create Collection`: drops ``coll`` unless `Drop Collection` already did."""
        if not self.known(coll):
            return
        try:
            coll.backend.drop(coll)
        finally:
            self.forget(coll)

    def drop(self, coll: Collection) -> None:
        if not coll.owned:
            raise ConfigurationError(
                f"{coll.where} was not created by this run; crosscheck only drops collections it created"
            )
        coll.backend.drop(coll)
        self.forget(coll)

    # -- points -------------------------------------------------------------------
    def upsert(
        self, coll: Collection, ids: list[Any], vectors: Any, payloads: list[Any] | None, batch_size: int
    ) -> list[tuple[int, float]]:
        """Checks every point, then writes them in batches; returns (points, seconds) per batch.

        A point added to a table of the system under test registers its deletion as
        soon as it is checked, before the first write: a batch that fails part-way may
        already have written some rows, and those are removed too.
        """
        if batch_size < 1:
            raise ConfigurationError(f"batch_size must be at least 1, got {batch_size}")
        checked_ids, matrix, checked_payloads = validate_points(coll, ids, vectors, payloads)
        if not coll.owned:
            for point_id in checked_ids:
                self.cleanup.add(f"row {point_id!r} of {coll.where}", partial(coll.backend.delete, coll, [point_id]))
        return coll.backend.upsert(coll, checked_ids, matrix, checked_payloads, batch_size)

    # -- the end of the run ----------------------------------------------------------
    def close(self) -> None:
        """Closes the stores' connections (the cleanup listener calls this after the last undo)."""
        for backend in self.backends.values():
            backend.close()
        self.backends.clear()
        self.active = None
        self._follows_default = False
        self.current = None
        self.collections.clear()
        self.curves.clear()
        self._namespaces.clear()
