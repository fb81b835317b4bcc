"""Qdrant: a server at ``http(s)://host:6333``, or qdrant-client's local mode (``qdrant:local``).

Without a server the library runs Qdrant Edge in process (:mod:`crosscheck.vectors.qdrant_edge`);
local mode is the fallback where that engine cannot load.

Point ids are the test's own strings (``doc-42``); Qdrant only takes unsigned
integers and UUIDs, so each point is stored under ``uuid5(id)`` with the
original id in the payload field ``_cc_id``, hidden again on the way out.

Local mode keeps everything in this process's memory and searches by brute
force: it has no HNSW index, no payload indexes and no approximate search, so
recall and index checks skip there, saying why. The client comes from
:func:`crosscheck.services.qdrant.client`.
"""

from __future__ import annotations

import time
import uuid

import numpy as np

from crosscheck.config import mask_url, scrub
from crosscheck.errors import ConfigurationError, CrosscheckError, ServiceUnavailable
from crosscheck.services import qdrant
from crosscheck.vectors.backend import Backend, Hit

ID_FIELD = "_cc_id"
_ID_NS = uuid.UUID("6f1c1f7e-5d0b-4b8e-9a59-6a2f0c1d2e3f")
LOCAL_LIMITS = (
    "qdrant-client local mode searches by brute force: it has no HNSW index, "
    "no payload indexes and no approximate search, so this check cannot be honest "
    "there; use qdrant:edge (Qdrant's engine in process) or set CROSSCHECK_QDRANT_URL to a Qdrant server"
)


def point_uuid(point_id: str) -> str:
    return str(uuid.uuid5(_ID_NS, point_id))


def split_id(payload: dict | None) -> tuple[str | None, dict]:
    """The test's own id hidden in a stored payload, and a copy of the payload without it."""
    payload = dict(payload or {})
    return payload.pop(ID_FIELD, None), payload


def payload_index(field: str, type_: str, points: int) -> dict:
    """A payload index as `indexes` lists it, on the server and on Qdrant Edge alike."""
    return {
        "name": f"payload:{field}",
        "kind": "payload",
        "definition": f"{type_} index on payload field {field} ({points} points)",
        "options": {"field": field, "type": type_},
    }


class QdrantBackend(Backend):
    kind = "qdrant"
    ef_name = "hnsw_ef"

    def __init__(self, url: str | None, timeout: int = 5):
        from qdrant_client import models

        self.models = models
        self.url = url
        self.local = url is None or url.startswith("qdrant:")
        self.label = "qdrant local mode" if self.local else "qdrant"
        if url is None or self.local:
            self.approximate_unsupported = LOCAL_LIMITS
            location = url.split(":", 1)[1] if url and url.count(":") else "local"
            self.client = qdrant.client(location=location)
        else:
            self.client = qdrant.client(url, timeout=timeout)
            try:
                self.client.get_collections()
            except Exception as exc:  # noqa: BLE001 - any transport error means unreachable
                unreachable = qdrant.SERVICE.unreachable(url, exc)
                raise ServiceUnavailable(
                    f"{unreachable}; or unset {qdrant.SERVICE.env} to use Qdrant Edge in process"
                ) from None

    def describe(self) -> str:
        return "qdrant local mode (in memory)" if self.local else f"qdrant at {mask_url(self.url)}"

    def _call(self, what: str, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ConfigurationError, CrosscheckError):
            raise
        except Exception as exc:  # noqa: BLE001 - the client raises many transport types
            raise CrosscheckError(f"{what} failed on {self.describe()}: {scrub(str(exc).strip(), self.url)}") from None

    _DIST = {"cosine": "COSINE", "dot": "DOT", "euclidean": "EUCLID"}

    def create(self, physical, dimension, distance, scope_ns):
        m = self.models
        self._call(
            "create collection",
            self.client.create_collection,
            physical,
            vectors_config=m.VectorParams(size=dimension, distance=getattr(m.Distance, self._DIST[distance])),
        )
        return {}

    def exists(self, physical):
        return bool(self._call("collection exists", self.client.collection_exists, physical))

    def lookup(self, physical):
        if not self.exists(physical):
            return None
        info = self._call("get collection", self.client.get_collection, physical)
        params = info.config.params.vectors
        back = {v: k for k, v in self._DIST.items()}
        dist = str(getattr(params.distance, "name", params.distance)).upper()
        return int(params.size), back.get(dist, "cosine")

    def drop(self, coll):
        self._call("delete collection", self.client.delete_collection, coll.physical)

    def drop_namespace(self, ns):
        pass

    def upsert(self, coll, ids, vectors, payloads, batch_size):
        m = self.models
        timings = []
        for start in range(0, len(ids), batch_size):
            stop = min(start + batch_size, len(ids))
            points = [
                m.PointStruct(
                    id=point_uuid(ids[i]), vector=vectors[i].tolist(), payload={**payloads[i], ID_FIELD: ids[i]}
                )
                for i in range(start, stop)
            ]
            t0 = time.perf_counter()
            self._call(f"upsert into {coll.where}", self.client.upsert, coll.physical, points=points, wait=True)
            timings.append((stop - start, time.perf_counter() - t0))
        return timings

    def count(self, coll):
        return int(self._call("count", self.client.count, coll.physical, exact=True).count)

    def get(self, coll, point_id):
        found = self._call(
            "retrieve",
            self.client.retrieve,
            coll.physical,
            [point_uuid(point_id)],
            with_payload=True,
            with_vectors=True,
        )
        if not found:
            return None
        original, payload = split_id(found[0].payload)
        return {"id": original or point_id, "vector": list(found[0].vector), "payload": payload}

    def delete(self, coll, ids):
        present = self._call(
            "retrieve",
            self.client.retrieve,
            coll.physical,
            [point_uuid(i) for i in ids],
            with_payload=False,
            with_vectors=False,
        )
        if present:
            self._call(
                "delete",
                self.client.delete,
                coll.physical,
                points_selector=self.models.PointIdsList(points=[p.id for p in present]),
                wait=True,
            )
        return len(present)

    def set_payload(self, coll, point_id, payload):
        if self.get(coll, point_id) is None:
            raise CrosscheckError(f"no point {point_id!r} in {coll.where}")
        self._call(
            "set payload",
            self.client.set_payload,
            coll.physical,
            payload=payload,
            points=[point_uuid(point_id)],
            wait=True,
        )

    def _filter(self, where):
        if not where:
            return None
        m = self.models
        return m.Filter(must=[m.FieldCondition(key=k, match=m.MatchValue(value=v)) for k, v in where.items()])

    def search(self, coll, vector, top, where=None, exact=False, ef_search=None):
        params = None
        if not self.local and (exact or ef_search):
            params = self.models.SearchParams(exact=bool(exact), hnsw_ef=ef_search)
        result = self._call(
            f"search in {coll.where}",
            self.client.query_points,
            coll.physical,
            query=list(vector),
            limit=top,
            query_filter=self._filter(where),
            search_params=params,
            with_payload=True,
        )
        hits = []
        for p in result.points:
            original, payload = split_id(p.payload)
            hits.append(Hit(original or str(p.id), float(p.score), payload))
        return hits

    def sample(self, coll, count, seed):
        points, _ = self._call(
            "scroll",
            self.client.scroll,
            coll.physical,
            limit=max(count * 3, count),
            with_vectors=True,
            with_payload=False,
        )
        rng = np.random.default_rng(seed)
        chosen = rng.permutation(len(points))[:count]
        return np.asarray([points[i].vector for i in chosen], dtype=np.float64)

    def create_index(self, coll, kind, params):
        m = self.models
        if kind == "payload":
            schema = getattr(m.PayloadSchemaType, params["type"].upper())
            self._call(
                f"payload index on {params['field']!r} of {coll.where}",
                self.client.create_payload_index,
                coll.physical,
                field_name=params["field"],
                field_schema=schema,
                wait=True,
            )
            return f"payload:{params['field']}"
        if kind != "hnsw":
            raise ConfigurationError(f"Qdrant has no {kind} index; it indexes with HNSW only")
        self._call(
            "update collection",
            self.client.update_collection,
            coll.physical,
            hnsw_config=m.HnswConfigDiff(
                m=int(params["m"]),
                ef_construct=int(params["ef_construction"]),
                full_scan_threshold=int(params.get("full_scan_threshold") or 0),
            ),
            optimizers_config=m.OptimizersConfigDiff(indexing_threshold=1),
        )
        return "hnsw"

    def _info(self, coll):
        return self._call("get collection", self.client.get_collection, coll.physical)

    def indexes(self, coll):
        if self.local:
            return []  # local mode keeps no index, whatever the configuration says
        info = self._info(coll)
        hnsw = info.config.hnsw_config
        out = [
            {
                "name": "hnsw",
                "kind": "hnsw",
                "definition": f"hnsw m={hnsw.m} ef_construct={hnsw.ef_construct}",
                "options": {"m": str(hnsw.m), "ef_construction": str(hnsw.ef_construct)},
                "indexed_vectors": int(info.indexed_vectors_count or 0),
                "points": int(info.points_count or 0),
            }
        ]
        for field, index in sorted((info.payload_schema or {}).items()):
            type_ = str(getattr(index.data_type, "value", index.data_type)).lower()
            out.append(payload_index(field, type_, index.points))
        return out

    def index_use(self, coll, vector, top, force):
        deadline = time.monotonic() + 30
        while True:
            info = self._info(coll)
            indexed, points = int(info.indexed_vectors_count or 0), int(info.points_count or 0)
            status = str(getattr(info.status, "value", info.status))
            if status == "green" or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        return {
            "used": indexed > 0,
            "index": "hnsw" if indexed else None,
            "forced": False,
            "detail": f"status {status}: {indexed} of {points} vectors indexed",
        }

    def close(self):
        try:
            self.client.close()
        except Exception:  # noqa: BLE001
            pass
