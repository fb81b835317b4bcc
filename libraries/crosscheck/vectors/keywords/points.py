"""Keywords: points (upsert in batches, count, get, delete, update payload)."""

from __future__ import annotations

from typing import Any

from robot.api import logger
from robotlibcore import keyword

from crosscheck.assertions import AssertionOperator, check
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.reporting import html_table, log_html
from crosscheck.vectors import data
from crosscheck.vectors.backend import as_id, as_payload
from crosscheck.vectors.context import VectorsContext
from crosscheck.vectors.tables import log_throughput


class PointKeywords(Component[VectorsContext]):
    @keyword
    def upsert_points(self, points: list, batch_size: int = 500, collection: str | None = None) -> int:
        """Writes ``points`` (dictionaries with ``id``, ``vector`` and optional ``payload``) in batches.

        All points are checked first: a missing id, a duplicate id, a vector of the
        wrong dimension, with NaN or infinite components, or empty, fails the keyword
        before anything is written. Existing ids are overwritten. Returns the number written.

        | ${points} = | Create List | ${{{"id": "doc-1", "vector": [0.1, 0.2], "payload": {"lang": "en"}}}} |
        | `Upsert Points` | ${points} |
        """
        coll = self.ctx.resolve(collection)
        if not isinstance(points, (list, tuple)):
            raise ConfigurationError(f"points must be a list of dictionaries, got {type(points).__name__}")
        for n, p in enumerate(points):
            if not isinstance(p, dict) or "vector" not in p or "id" not in p:
                raise ConfigurationError(f"point #{n} must be a dictionary with id and vector, got {str(p)[:60]}")
        timings = self.ctx.upsert(
            coll,
            [p["id"] for p in points],
            [p["vector"] for p in points],
            [p.get("payload") for p in points],
            batch_size,
        )
        written = sum(n for n, _ in timings)
        logger.info(f"upserted {written} points into {coll.where} in {len(timings)} batches")
        return written

    @keyword
    def upsert_vectors(
        self,
        ids: list,
        vectors: Any,
        payloads: list | None = None,
        batch_size: int = 500,
        collection: str | None = None,
    ) -> int:
        """Writes ``vectors`` under ``ids`` (same length) with optional ``payloads``, in batches.

        Checked in full before anything is written, as `Upsert Points`.

        | ${vectors} = | `Generate Seeded Vectors` | 100 | 384 |
        | ${ids} = | Evaluate | [f"doc-{i}" for i in range(100)] |
        | `Upsert Vectors` | ${ids} | ${vectors} |
        """
        coll = self.ctx.resolve(collection)
        timings = self.ctx.upsert(coll, list(ids), vectors, payloads, batch_size)
        written = sum(n for n, _ in timings)
        logger.info(f"upserted {written} points into {coll.where} in {len(timings)} batches")
        return written

    @keyword
    def upsert_point(
        self, id: str, vector: Any, payload: dict | str | None = None, collection: str | None = None
    ) -> None:
        """Writes one point ``id`` with ``vector`` and optional ``payload`` (a dictionary).

        | `Upsert Point` | doc-1 | [0.1, 0.2, 0.3] | {"lang": "en"} |
        """
        coll = self.ctx.resolve(collection)
        self.ctx.upsert(coll, [id], [vector], [payload], 1)

    @keyword
    def upsert_seeded_vectors(
        self,
        count: int,
        seed: int = 1,
        id_prefix: str = "doc-",
        batch_size: int = 500,
        payload_groups: int = 0,
        collection: str | None = None,
    ) -> list[str]:
        """Writes ``count`` deterministic vectors (see `Generate Seeded Vectors`) with ids ``<id_prefix><i>``.

        With ``payload_groups`` > 0 each point gets the payload ``{"group": i % payload_groups}``
        (for filter checks). Returns the ids. Logs the upsert throughput.

        | `Upsert Seeded Vectors` | 1000 |
        | `Upsert Seeded Vectors` | 500 | seed=7 | id_prefix=a- | payload_groups=4 | collection=docs |
        """
        coll = self.ctx.resolve(collection)
        vectors = data.seeded_vectors(count, coll.dimension, seed)
        ids = [f"{id_prefix}{i}" for i in range(count)]
        payloads = [{"group": i % payload_groups} for i in range(count)] if payload_groups > 0 else None
        timings = self.ctx.upsert(coll, ids, vectors, payloads, batch_size)
        log_throughput(coll, timings)
        return ids

    @keyword
    def get_point_count(
        self,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        collection: str | None = None,
    ) -> int:
        """Returns the number of points in the collection; with an operator, checks it.

        | `Get Point Count` | == | 1000 |
        | ${n} = | `Get Point Count` | collection=docs |
        """
        coll = self.ctx.resolve(collection)
        n = coll.backend.count(coll)
        return check(
            n, assertion_operator, assertion_expected, f"point count of {coll.where}", convert=lambda x: int(x)
        )

    @keyword
    def get_point(self, id: str, collection: str | None = None) -> dict:
        """Returns point ``id`` as ``{id, vector, payload}``; fails if it is not there."""
        coll = self.ctx.resolve(collection)
        point = coll.backend.get(coll, as_id(id))
        if point is None:
            raise CrosscheckError(f"no point {id!r} in {coll.where}")
        return point

    @keyword
    def get_point_vector(self, id: str, collection: str | None = None) -> list:
        """Returns the stored vector of point ``id`` (Qdrant with cosine stores it normalised)."""
        return self.get_point(id, collection)["vector"]

    @keyword
    def get_point_payload(
        self,
        id: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        collection: str | None = None,
    ) -> dict:
        """Returns the payload of point ``id``; with an operator, checks it.

        | `Get Point Payload` | doc-1 | == | {"lang": "en"} |
        | `Get Point Payload` | doc-1 | validate | value['lang'] == 'en' |
        """
        payload = self.get_point(id, collection)["payload"]
        if isinstance(assertion_expected, str) and assertion_expected.strip().startswith("{"):
            assertion_expected = as_payload(assertion_expected, "expected payload")
        return check(payload, assertion_operator, assertion_expected, f"payload of point {id!r}")

    @keyword
    def point_should_exist(self, id: str, collection: str | None = None) -> None:
        """Fails unless point ``id`` is in the collection."""
        self.get_point(id, collection)

    @keyword
    def point_should_not_exist(self, id: str, collection: str | None = None) -> None:
        """Fails if point ``id`` is in the collection."""
        coll = self.ctx.resolve(collection)
        if coll.backend.get(coll, as_id(id)) is not None:
            raise CrosscheckError(f"point {id!r} should not be in {coll.where}, but it is")

    @keyword
    def delete_points(self, *ids: str, collection: str | None = None) -> int:
        """Deletes the points ``ids``; returns how many were there.

        | `Delete Points` | doc-1 | doc-2 |
        """
        coll = self.ctx.resolve(collection)
        if not ids:
            raise ConfigurationError("Delete Points needs at least one id")
        if not coll.owned:
            foreign = [i for i in ids if not str(i).startswith("TEST_")]
            if foreign:
                raise ConfigurationError(
                    f"{coll.where} belongs to the system under test: only points with "
                    f"TEST_ ids may be deleted (got {foreign[0]!r})"
                )
        n = coll.backend.delete(coll, [as_id(i) for i in ids])
        logger.info(f"deleted {n} of {len(ids)} points from {coll.where}")
        return n

    @keyword
    def update_payload(self, id: str, payload: dict | str, collection: str | None = None) -> None:
        """Merges ``payload`` into the payload of point ``id`` (keys given are replaced).

        | `Update Payload` | doc-1 | {"lang": "de", "reviewed": true} |
        """
        coll = self.ctx.resolve(collection)
        coll.backend.set_payload(coll, as_id(id), as_payload(payload, f"payload for point {id!r}"))

    @keyword
    def log_points(self, *ids: str, collection: str | None = None) -> None:
        """Logs the given points (id, first components, payload) as a table in log.html."""
        coll = self.ctx.resolve(collection)
        rows = []
        for i in ids:
            p = coll.backend.get(coll, as_id(i))
            rows.append(
                [
                    i,
                    "-" if p is None else str([round(x, 4) for x in p["vector"][:4]])[:-1] + ", ...]",
                    "-" if p is None else str(p["payload"]),
                ]
            )
        log_html(html_table(rows, ["id", "vector", "payload"], f"points of {coll.name}"))
