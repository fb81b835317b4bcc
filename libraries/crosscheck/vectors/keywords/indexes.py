"""Keywords: indexes (HNSW, IVFFlat), their existence, and proof that a search uses one."""

from __future__ import annotations

from robot.api import SkipExecution, logger
from robotlibcore import keyword

from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.reporting import html_table, log_html
from crosscheck.vectors import data
from crosscheck.vectors.backend import PAYLOAD_TYPES, Collection, as_vector
from crosscheck.vectors.context import VectorsContext


def _honest(coll: Collection, what: str) -> None:
    """Skips, saying why, where the store cannot make ``what`` an honest check."""
    reason = coll.backend.approximate_unsupported
    if reason:
        raise SkipExecution(f"{what} on {coll.where}: {reason}")


class IndexKeywords(Component[VectorsContext]):
    @keyword("Create HNSW Index")
    def create_hnsw_index(
        self,
        m: int = 16,
        ef_construction: int = 64,
        maintenance_work_mem: str | None = None,
        full_scan_threshold: int = 0,
        collection: str | None = None,
    ) -> str:
        """Builds an HNSW index with ``m`` links per node and ``ef_construction`` build breadth.

        pgvector: ``CREATE INDEX ... USING hnsw (embedding <opclass>) WITH (m, ef_construction)``,
        with the operator class of the collection's distance; ``maintenance_work_mem``
        (e.g. ``1GB``) speeds up large builds. Qdrant (Edge or server): sets the
        collection's HNSW configuration (``m``, ``ef_construct``) and indexes from the
        first kilobyte of vectors; Qdrant Edge builds the graph before the keyword
        returns, a server in the background (`Search Should Use Index` waits for it).
        ``full_scan_threshold`` (Qdrant only, in KB of vectors) is the segment size
        below which Qdrant searches by full scan instead of the graph; crosscheck's
        default 0 makes every search of an indexed segment use the graph, so recall
        measures the index even on a small test collection (Qdrant's own default is
        10000). qdrant-client's local mode has no HNSW index: the keyword skips,
        saying so. Returns the index name.

        | `Create HNSW Index` | m=16 | ef_construction=64 |
        """
        coll = self.ctx.resolve(collection)
        _honest(coll, "an HNSW index")
        if full_scan_threshold < 0:
            raise ConfigurationError(f"full_scan_threshold must be 0 or more (KB), got {full_scan_threshold}")
        if m < 2 or ef_construction < 2 * m:
            raise ConfigurationError(
                f"HNSW needs m >= 2 and ef_construction >= 2 * m, got m={m}, ef_construction={ef_construction}"
            )
        name = coll.backend.create_index(
            coll,
            "hnsw",
            {
                "m": m,
                "ef_construction": ef_construction,
                "maintenance_work_mem": maintenance_work_mem,
                "full_scan_threshold": full_scan_threshold,
            },
        )
        logger.info(f"created HNSW index {name} (m={m}, ef_construction={ef_construction}) on {coll.where}")
        return name

    @keyword("Create IVFFlat Index")
    def create_ivfflat_index(self, lists: int = 100, probes: int | None = None, collection: str | None = None) -> str:
        """Builds a pgvector IVFFlat index with ``lists`` lists; searches then probe ``probes`` lists.

        Build it after the data is loaded: IVFFlat learns its lists from the rows
        present. Qdrant has no IVFFlat index (fails); local mode skips.

        | `Create IVFFlat Index` | lists=100 | probes=10 |
        """
        coll = self.ctx.resolve(collection)
        _honest(coll, "an IVFFlat index")
        if lists < 1:
            raise ConfigurationError(f"lists must be at least 1, got {lists}")
        name = coll.backend.create_index(coll, "ivfflat", {"lists": lists, "probes": probes})
        logger.info(f"created IVFFlat index {name} (lists={lists}) on {coll.where}")
        return name

    @keyword
    def create_payload_index(self, field: str, type: str = "keyword", collection: str | None = None) -> str:
        """Indexes payload ``field`` of type ``type`` so that filtered searches use it; returns the index name.

        ``type`` is one of keyword, integer, float, bool, text, uuid, datetime.
        Qdrant (Edge or server): a payload field index of that type (Qdrant then
        also links the HNSW graph per value). pgvector: one GIN index
        (``jsonb_path_ops``) on the payload column, which serves every
        ``filter=`` (``payload @> ...``) whatever the field. qdrant-client's local
        mode keeps no payload index: the keyword skips, saying so.

        | `Create Payload Index` | group | integer |
        | `Create Payload Index` | lang |
        """
        coll = self.ctx.resolve(collection)
        _honest(coll, "a payload index")
        kind = str(type).strip().lower()
        if kind not in PAYLOAD_TYPES:
            raise ConfigurationError(f"unknown payload index type {type!r}: use one of {', '.join(PAYLOAD_TYPES)}")
        if not str(field).strip():
            raise ConfigurationError("the payload field to index is empty")
        name = coll.backend.create_index(coll, "payload", {"field": str(field).strip(), "type": kind})
        logger.info(f"created payload index {name} ({kind}) on {coll.where}")
        return name

    @keyword
    def get_indexes(self, collection: str | None = None) -> list:
        """Returns the collection's indexes as ``{name, kind, definition, options}``, logged as a table."""
        coll = self.ctx.resolve(collection)
        found = coll.backend.indexes(coll)
        log_html(
            html_table(
                [[i["name"], i["kind"], i.get("definition", "")] for i in found],
                ["name", "kind", "definition"],
                f"indexes of {coll.name}",
            )
        )
        return found

    @keyword
    def vector_index_should_exist(
        self,
        kind: str = "hnsw",
        m: int | None = None,
        ef_construction: int | None = None,
        collection: str | None = None,
    ) -> dict:
        """Fails unless the collection has an index of ``kind`` (``hnsw`` or ``ivfflat``),
        with the given ``m`` and ``ef_construction`` when those are given. Returns the index.

        | `Vector Index Should Exist` | hnsw | m=16 |
        """
        coll = self.ctx.resolve(collection)
        _honest(coll, "an index check")
        found = coll.backend.indexes(coll)
        kind = kind.lower()
        for index in found:
            opts = index.get("options", {})
            if index["kind"] != kind:
                continue
            if m is not None and str(opts.get("m")) != str(m):
                continue
            if ef_construction is not None and str(opts.get("ef_construction")) != str(ef_construction):
                continue
            if coll.backend.kind == "qdrant" and not index.get("indexed_vectors"):
                continue
            return index
        want = (
            kind
            + (f" m={m}" if m is not None else "")
            + (f" ef_construction={ef_construction}" if ef_construction is not None else "")
        )
        seen = (
            "; ".join(
                i.get("definition", i["name"])
                + (
                    f" ({i.get('indexed_vectors')} of {i.get('points')} vectors indexed)"
                    if "indexed_vectors" in i
                    else ""
                )
                for i in found
            )
            or "no indexes"
        )
        raise CrosscheckError(f"expected a {want} index on {coll.where}; found: {seen}")

    @keyword
    def search_should_use_index(
        self, vector=None, top: int = 10, force: bool = False, collection: str | None = None
    ) -> str:
        """Fails unless a top-``top`` search for ``vector`` uses a vector index; returns its name.

        pgvector: reads the plan of the search (``EXPLAIN``) and looks for an index
        scan. On small tables the planner rightly prefers a sequential scan; with
        ``force=True`` the check sets ``enable_seqscan = off`` for that one plan, and
        says so in the log (it then proves the index *can* serve the search). Qdrant
        (Edge or server): checks that vectors are indexed by the graph and, on Edge, that
        the collection is above the index's ``full_scan_threshold`` (below it Qdrant
        scans). qdrant-client's local mode skips.
        Without ``vector``, a seeded query of the right dimension is used.
        The plan is logged.

        | `Search Should Use Index` | ${query} | force=True |
        | `Search Should Use Index` | force=True |
        """
        coll = self.ctx.resolve(collection)
        _honest(coll, "index use")
        query = (
            data.seeded_vectors(1, coll.dimension, seed=99)[0].tolist()
            if vector in (None, "")
            else as_vector(vector, coll.dimension, f"query vector for {coll.name}")
        )
        use = coll.backend.index_use(coll, query, top, force)
        note = " (with enable_seqscan = off, as asked)" if use.get("forced") else ""
        logger.info(f"plan of a top-{top} search in {coll.where}{note}:\n{use['detail']}")
        if not use["used"]:
            hint = "" if force else "; on a small table pass force=True to check the index can serve it"
            lines = [line.strip(" ->") for line in use["detail"].splitlines()]
            scans = [line for line in lines if "Scan" in line] or lines[:1] or ["no plan"]
            raise CrosscheckError(
                f"a top-{top} search in {coll.where} does not use a vector index{note}: "
                f"the plan has {'; '.join(scans)}{hint}"
            )
        return use["index"]
