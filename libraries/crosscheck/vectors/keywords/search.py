"""Keywords: similarity search (top k with scores, payload filters, expected ids, thresholds)."""

from __future__ import annotations

from typing import Any

from robotlibcore import keyword

from crosscheck.core import Component
from crosscheck.errors import CrosscheckError
from crosscheck.vectors.backend import as_id, run_search
from crosscheck.vectors.context import VectorsContext
from crosscheck.vectors.tables import log_hits


def _ids(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple, set)):
        return [as_id(v) for v in value]
    return [as_id(v) for v in str(value).split(",") if v.strip()] if "," in str(value) else [as_id(value)]


class SearchKeywords(Component[VectorsContext]):
    @keyword
    def search_vectors(
        self,
        vector: Any,
        top: int = 10,
        filter: dict | str | None = None,
        score_threshold: float | None = None,
        ef_search: int | None = None,
        collection: str | None = None,
    ) -> list:
        """Returns the ``top`` nearest points to ``vector`` as ``{id, score, payload}`` dictionaries, nearest first.

        ``score`` is the cosine similarity or inner product (higher is nearer) or,
        for ``euclidean`` collections, the distance (lower is nearer).
        ``filter`` keeps points whose payload contains all the given key/value pairs.
        ``score_threshold`` keeps hits scoring at least that (euclidean: at most).
        ``ef_search`` sets HNSW's search breadth for this search (pgvector ``hnsw.ef_search``,
        Qdrant ``hnsw_ef``, Milvus ``ef``; Chroma: the collection's ``ef_search``, set in its configuration and kept). The query is checked first (dimension, finite, not empty).
        The hits are logged as a table (built only when Robot writes it to log.html).

        | ${hits} = | `Search Vectors` | ${query} | top=5 |
        | ${hits} = | `Search Vectors` | ${query} | filter={"group": 2} | score_threshold=0.8 |
        | Should Be Equal | ${hits}[0][id] | doc-42 |
        """
        coll = self.ctx.resolve(collection)
        hits = run_search(coll, vector, top, filter, score_threshold, ef_search)
        log_hits(coll, hits, f"top {top} in {coll.name}")
        return [h.as_dict() for h in hits]

    @keyword
    def search_should_return(
        self,
        vector: Any,
        top: int = 5,
        contains: Any = None,
        first: str | None = None,
        excludes: Any = None,
        filter: dict | str | None = None,
        score_threshold: float | None = None,
        min_results: int | None = None,
        ef_search: int | None = None,
        collection: str | None = None,
    ) -> list:
        """Searches the ``top`` nearest points to ``vector`` and checks them.

        - ``contains``: id or list of ids that must all be among the hits;
        - ``first``: the id that must rank first;
        - ``excludes``: id or list of ids that must not be among the hits;
        - ``min_results``: at least this many hits (after ``filter`` and ``score_threshold``).

        On failure the message names the collection and lists the hits with their
        scores. Returns the hits, as `Search Vectors`.

        | `Search Should Return` | ${query} | top=5 | contains=doc-42 |
        | `Search Should Return` | ${query} | top=3 | first=doc-42 | score_threshold=0.9 |
        | `Search Should Return` | ${query} | filter={"group": 2} | excludes=doc-1 |
        """
        coll = self.ctx.resolve(collection)
        hits = run_search(coll, vector, top, filter, score_threshold, ef_search)
        log_hits(coll, hits, f"top {top} in {coll.name}")
        found = [h.id for h in hits]
        shown = ", ".join(f"{h.id} ({h.score:.4f})" for h in hits) or "no hits"
        where = (
            f"top {top} of {coll.where}"
            + (f" with filter {filter}" if filter else "")
            + (f" and score threshold {score_threshold}" if score_threshold is not None else "")
        )
        problems = []
        missing = [i for i in _ids(contains) if i not in found]
        if missing:
            problems.append(f"expected {', '.join(missing)} among the hits")
        if first is not None and (not found or found[0] != as_id(first)):
            problems.append(f"expected {first} first, got {found[0] if found else 'no hits'}")
        unwanted = [i for i in _ids(excludes) if i in found]
        if unwanted:
            problems.append(f"expected {', '.join(unwanted)} not among the hits")
        if min_results is not None and len(hits) < min_results:
            problems.append(f"expected at least {min_results} hits, got {len(hits)}")
        if problems:
            raise CrosscheckError(f"search in {where}: {'; '.join(problems)}; hits: {shown}")
        return [h.as_dict() for h in hits]
