"""crosscheck.Vectors: vector database checks on pgvector and Qdrant."""

from __future__ import annotations

from robotlibcore import DynamicCore

from crosscheck import __version__
from crosscheck.vectors.collections import CollectionKeywords
from crosscheck.vectors.context import Context, Listener
from crosscheck.vectors.indexes import IndexKeywords
from crosscheck.vectors.points import PointKeywords
from crosscheck.vectors.quality import QualityKeywords
from crosscheck.vectors.search import SearchKeywords
from crosscheck.vectors.testdata import TestDataKeywords

__all__ = ["Vectors"]


class Vectors(DynamicCore):
    """Vector database checks: collections, points, similarity search, indexes, recall and latency.

    One keyword set over two stores, chosen by URL (see `Connect To Vector Store`):

    | *Store* | *URL* | *What is honest there* |
    | pgvector in Postgres (default) | ``postgresql://...``; default ``CROSSCHECK_POSTGRES_URL`` or the embedded Postgres | everything: real HNSW and IVFFlat indexes, plans, recall |
    | Qdrant server | ``http(s)://host:6333`` (``CROSSCHECK_QDRANT_URL``) | everything but IVFFlat (Qdrant only has HNSW) |
    | qdrant-client local mode | ``qdrant:local``, or ``qdrant`` with ``CROSSCHECK_QDRANT_URL`` unset | collections, points, search; brute-force only, so index and recall keywords skip |

    = Collections and the current collection =

    `Create Collection` creates a collection in the test's namespace and makes it
    the *current collection*; keywords with a ``collection=`` argument use it when
    that is not given. A collection created in a test is removed when the test ends,
    one created in a suite setup when the suite ends, also after a failure.
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

    ROBOT_LIBRARY_SCOPE = "GLOBAL"
    ROBOT_LIBRARY_VERSION = __version__
    ROBOT_LIBRARY_DOC_FORMAT = "ROBOT"

    def __init__(self, url: str | None = None):
        """``url`` picks the store, as in `Connect To Vector Store`; default pgvector.

        | Library | crosscheck.Vectors | |
        | Library | crosscheck.Vectors | qdrant:local |
        """
        self.ctx = Context(url)
        self.ROBOT_LIBRARY_LISTENER = Listener(self.ctx)
        super().__init__([
            CollectionKeywords(self.ctx),
            PointKeywords(self.ctx),
            SearchKeywords(self.ctx),
            IndexKeywords(self.ctx),
            QualityKeywords(self.ctx),
            TestDataKeywords(self.ctx),
        ])

    def cleanup(self) -> None:
        """Removes everything this library instance created and closes its connections (for Python use)."""
        self.ctx.close()
