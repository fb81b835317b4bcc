"""Keywords: stores and collections (create, exists, info, drop)."""

from __future__ import annotations

from functools import partial
from typing import Any

from robot.api import logger
from robotlibcore import keyword

from crosscheck.assertions import AssertionOperator, check
from crosscheck.core import Component
from crosscheck.errors import CrosscheckError
from crosscheck.reporting import html_table, log_html
from crosscheck.vectors.context import VectorsContext


class CollectionKeywords(Component[VectorsContext]):
    @keyword
    def connect_to_vector_store(self, url: str | None = None) -> str:
        """Uses the vector store at ``url`` from now on; returns what it is.

        ``url`` is one of:
        - ``postgresql://user:pw@host:5432/db``: pgvector in that database;
        - empty, ``pgvector``: pgvector in ``CROSSCHECK_POSTGRES_URL`` or the embedded Postgres;
        - ``http(s)://host:6333``: a Qdrant server;
        - ``qdrant``: ``CROSSCHECK_QDRANT_URL`` if set, else Qdrant Edge (where that engine
          cannot load: qdrant-client's local mode, with a warning);
        - ``qdrant:edge``: Qdrant Edge, Qdrant's engine in this process, its shards in a
          temporary directory removed at the end; ``qdrant:edge:/dir`` keeps them in ``/dir``;
        - ``qdrant:local``: qdrant-client's local mode (in this process's memory, brute force);
        - ``milvus-lite``: Milvus Lite in this process, on a file in a temporary directory removed
          at the end; ``milvus-lite:///path/file.db`` keeps the file; ``milvus://host:19530``: a
          Milvus server; ``milvus``: the store ``CROSSCHECK_MILVUS_URL`` names, else Milvus Lite.
          They need the optional extra ``milvus`` (without it: a skip naming it).
        - ``chroma://host:8000``: a Chroma server (``http://`` stays Qdrant's); ``chroma``: the
          server ``CROSSCHECK_CHROMA_URL`` names, else a Chroma server this library starts on
          127.0.0.1 with its data in a temporary directory, stopped and removed when the library
          closes (it dies with this process). They need the optional extra ``chroma`` (without
          it: a skip naming it).

        Without this keyword the library uses the ``url`` it was imported with,
        else pgvector. An unreachable store fails within seconds naming its address
        (password masked); pgvector's embedded Postgres that cannot start is a skip.

        | `Connect To Vector Store` | qdrant |
        | ${store} = | `Connect To Vector Store` | ${POSTGRES_URL} |
        """
        backend = self.ctx.connect(url)
        logger.info(f"vector store: {backend.describe()}")
        return backend.describe()

    @keyword
    def create_collection(self, name: str, dimension: int, distance: str = "cosine") -> str:
        """Creates collection ``name`` of ``dimension`` and ``distance`` and makes it the current one.

        ``distance`` is ``cosine`` (score = cosine similarity), ``dot`` (score = inner
        product) or ``euclidean`` (score = L2 distance, lower is nearer).

        The collection lives in the test's namespace (pgvector: table
        ``<ns>_<name>`` in schema ``<ns>``; Qdrant: collection ``<ns>_<name>``) and is
        removed when the test ends, or the suite if created in a suite setup, also
        after a failure. Returns the physical name.

        Keywords that take ``collection=`` use the current collection when it is not given.

        | `Create Collection` | docs | 384 |
        | `Create Collection` | places | 8 | distance=euclidean |
        """
        coll = self.ctx.create(name, dimension, distance)
        self.ctx.cleanup.add(coll.where, partial(self.ctx.discard, coll))
        logger.info(f"created {coll.where}: {coll.dimension} dimensions, {coll.distance}")
        return coll.physical

    @keyword
    def use_existing_collection(
        self,
        name: str,
        existing: str,
        distance: str = "cosine",
        id_column: str = "id",
        vector_column: str | None = None,
    ) -> str:
        """Gives the existing table or collection ``existing`` the name ``name``, and makes it current.

        For the system under test's own data, such as the demo's ``documents``
        table. It is never dropped. On pgvector, ``existing`` is ``[schema.]table``
        with a ``vector(n)`` column (``vector_column``, default the first) and an id
        column; its other columns form each point's payload. Points upserted into it
        must have ids starting with ``TEST_``; they are deleted one by one at teardown.

        | `Use Existing Collection` | documents | public.documents |
        """
        coll = self.ctx.attach(name, existing, distance, id_column, vector_column)
        self.ctx.cleanup.add(f"the name '{coll.name}' for {coll.physical}", partial(self.ctx.forget, coll))
        logger.info(f"using {coll.where}: {coll.dimension} dimensions, {coll.distance}")
        return coll.physical

    @keyword
    def use_collection(self, name: str) -> None:
        """Makes ``name`` the current collection (one created or attached in this test or suite)."""
        self.ctx.current = self.ctx.resolve(name).name

    @keyword
    def collection_should_exist(self, name: str) -> None:
        """Fails unless collection ``name`` exists in the store.

        ``name`` is a collection of this test or suite, or a physical name.
        """
        coll = self.ctx.find(name)
        physical = coll.physical if coll else name
        if not self.ctx.backend.exists(physical):
            raise CrosscheckError(
                f"collection '{name}' should exist on {self.ctx.backend.describe()} but {physical} was not found"
            )

    @keyword
    def collection_should_not_exist(self, name: str) -> None:
        """Fails if collection ``name`` exists in the store (e.g. after `Drop Collection`)."""
        coll = self.ctx.find(name)
        physical = coll.physical if coll else name
        if self.ctx.backend.exists(physical):
            raise CrosscheckError(
                f"collection '{name}' should not exist on {self.ctx.backend.describe()} but {physical} is there"
            )

    @keyword
    def get_collection_info(
        self,
        collection: str | None = None,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
    ) -> dict:
        """Returns a dictionary describing the collection, logged as a table.

        Keys: ``name``, ``physical``, ``store``, ``dimension``, ``distance``,
        ``count`` (points) and ``indexes`` (list of ``{name, kind, options}``).

        | ${info} = | `Get Collection Info` | docs |
        | Should Be Equal As Integers | ${info}[dimension] | 384 |
        | `Get Collection Info` | docs | validate | value['count'] == 1000 |
        """
        coll = self.ctx.resolve(collection)
        info = {
            "name": coll.name,
            "physical": coll.physical,
            "store": coll.backend.describe(),
            "dimension": coll.dimension,
            "distance": coll.distance,
            "count": coll.backend.count(coll),
            "indexes": [{k: v for k, v in i.items() if k != "definition"} for i in coll.backend.indexes(coll)],
        }
        log_html(html_table([[k, str(v)] for k, v in info.items()], ["field", "value"], f"collection {coll.name}"))
        return check(info, assertion_operator, assertion_expected, f"info of {coll.where}")

    @keyword
    def drop_collection(self, name: str | None = None) -> None:
        """Drops collection ``name`` (default: the current one) now rather than at teardown."""
        coll = self.ctx.resolve(name)
        self.ctx.drop(coll)
        logger.info(f"dropped {coll.where}")

    @keyword
    def get_vector_store(self) -> str:
        """Returns the current store's kind and address (password masked), e.g. ``pgvector at postgresql://...``."""
        return self.ctx.backend.describe()
