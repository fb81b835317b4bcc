"""crosscheck.Vectors: vector database checks on pgvector and Qdrant (a server, or Qdrant Edge in process)."""

from __future__ import annotations

from crosscheck.core import CrosscheckLibrary
from crosscheck.errors import CrosscheckError
from crosscheck.vectors.context import VectorsContext
from crosscheck.vectors.keywords.collections import CollectionKeywords
from crosscheck.vectors.keywords.indexes import IndexKeywords
from crosscheck.vectors.keywords.points import PointKeywords
from crosscheck.vectors.keywords.quality import QualityKeywords
from crosscheck.vectors.keywords.search import SearchKeywords
from crosscheck.vectors.keywords.testdata import TestDataKeywords

__all__ = ["Vectors"]


class Vectors(CrosscheckLibrary):
    """Vector database checks: collections, points, similarity search, indexes, recall and latency.

    One keyword set over several stores, chosen by URL (see `Connect To Vector Store`):

    | *Store* | *URL* | *What is honest there* |
    | pgvector in Postgres (default) | ``postgresql://...``; default ``CROSSCHECK_POSTGRES_URL`` or the embedded Postgres | everything: real HNSW and IVFFlat indexes, plans, recall |
    | Qdrant server | ``http(s)://host:6333`` (``CROSSCHECK_QDRANT_URL``) | everything but IVFFlat (Qdrant only has HNSW) |
    | Qdrant Edge, Qdrant's engine in this process | ``qdrant:edge``, or ``qdrant`` with ``CROSSCHECK_QDRANT_URL`` unset | everything but IVFFlat: HNSW graph, payload indexes, ``hnsw_ef``, recall |
    | Milvus Lite, Milvus's engine in this process | ``milvus-lite`` or ``milvus-lite:///path.db``; a server ``milvus://host:19530`` | everything but payload indexes (optional extra ``milvus``; without it a skip naming the extra) |
    | Chroma server | ``chroma://host:8000``; ``chroma``: a server this library starts on 127.0.0.1 (data in a temporary directory) | HNSW (set at creation: `Create HNSW Index` rebuilds the collection), ``ef_search`` by configuration, filters, recall; no IVFFlat or payload index (optional extra ``chroma``; without it a skip naming the extra) |
    | qdrant-client local mode (fallback) | ``qdrant:local``; ``qdrant`` where Qdrant Edge cannot load | collections, points, search; brute-force only, so index and recall keywords skip |

    = Collections and the current collection =

    `Create Collection` creates a collection in the test's namespace and makes it
    the *current collection*; keywords with a ``collection=`` argument use it when
    that is not given. A collection created in a test is removed when the test ends,
    one created in a suite setup when the suite ends, also after a failure; a removal
    that fails fails that test, naming what was left behind.
    `Use Existing Collection` names a table of the system under test (never dropped;
    points added to it need ``TEST_`` ids and are deleted at teardown).

    = Scores =

    ``cosine`` collections score by cosine similarity and ``dot`` ones by inner
    product (higher is nearer); ``euclidean`` ones by L2 distance (lower is nearer).

    = Bad input =

    Every vector is checked before anything is written: a dimension mismatch, a
    NaN or infinite component, an empty vector, a duplicate id or an unknown
    collection fails the keyword with a message naming the point and the
    collection, and the store is left as it was.

    = Times =
    A time-valued assertion target (the expected value of a latency, duration or
    recovery-time getter) must carry a unit: ``100 ms``, ``0.2 s``, ``1 min``, or a
    ``timedelta``. A bare number such as ``0.2`` or ``50`` is refused, because it could
    mean seconds or milliseconds: the failure names the figure, the value given and
    the fix (``Expected value '0.2' for p95 delivery latency ... has no unit: write it
    as '0.2 ms' or '0.2 s'.``). Arguments that are not assertion targets
    (``timeout=``, ``block=``, ``hold=``, ``duration=``) follow Robot Framework's own
    time format, where a bare number means seconds.

    `Get Search Latency` returns milliseconds; its target may be written in any
    time unit (``0.05 s`` and ``50 ms`` are the same target).

    = Example =

    | ***** Settings *****
    | Library    crosscheck.Vectors
    |
    | ***** Test Cases *****
    | Similar Documents Are Found
    |     `Create Collection`    docs    384
    |     `Upsert Seeded Vectors`    1000
    |     `Create HNSW Index`    m=16    ef_construction=64
    |     ${vector} =    `Get Point Vector`    doc-42
    |     ${query} =    `Generate Query Near`    ${vector}
    |     `Search Should Return`    ${query}    top=5    contains=doc-42
    |     `Get Recall At K`    10    >=    0.95
    |     `Get Search Latency`    p95    <    50 ms
    """

    COMPONENTS = (
        CollectionKeywords,
        PointKeywords,
        SearchKeywords,
        IndexKeywords,
        QualityKeywords,
        TestDataKeywords,
    )

    def __init__(self, url: str | None = None):
        """``url`` picks the store, as in `Connect To Vector Store`; default pgvector.

        | Library | crosscheck.Vectors | |
        | Library | crosscheck.Vectors | qdrant |
        """
        self.ctx: VectorsContext = VectorsContext(url)
        super().__init__(self.ctx)

    def close(self) -> None:
        """Removes everything this library instance created and closes its connections (for Python use).

        Raises ``CrosscheckError`` naming what could not be removed.
        """
        errors = self.cleanup.close()
        self.ctx.close()
        if errors:
            raise CrosscheckError(f"{self.cleanup.owner} cleanup failed: " + "; ".join(errors))
