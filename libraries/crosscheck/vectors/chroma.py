"""Chroma: a Chroma server over HTTP (``chroma://host:8000``), or one this library starts (``chroma``).

Each collection is a Chroma collection ``<ns>_<name>`` made without an embedding function
(the test gives the vectors), with its HNSW configuration (``space``, ``ef_construction``,
``max_neighbors``, ``ef_search``) and the dimension and distance in its metadata. Points are
Chroma records: the test's id, the embedding, the payload as the record's metadata (values:
strings, numbers, booleans or lists of them; an empty payload is stored as no metadata).
Filters become Chroma ``where`` clauses (``{"group": 1}``; several keys under ``$and``).

Chroma indexes every collection with HNSW from its creation and fixes ``space``,
``ef_construction`` and ``max_neighbors`` then: `Create HNSW Index` builds a new collection
with the given configuration, copies every point into it and puts it in the old one's place.
``ef_search`` can change later: a search with ``ef_search`` modifies the collection's
configuration first when it differs (so `Measure Recall Curve` sweeps it). Chroma has no
exact-search switch, so the exact search recall is measured against is a brute-force scan in
numpy of the vectors read back (kept until the next write), as on Milvus. Chroma reports
cosine and inner-product *distances* (1 - similarity) and squared L2; scores here are the
similarity, the inner product and the L2 distance, as on the other stores. Clients come from
:func:`crosscheck.services.chroma.client`.
"""

from __future__ import annotations

import time

import numpy as np

from crosscheck.config import mask_url
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.services import chroma
from crosscheck.vectors.backend import Backend, Hit
from crosscheck.vectors.exact import exact_search

_SPACE = {"cosine": "cosine", "dot": "ip", "euclidean": "l2"}
_DISTANCE = {v: k for k, v in _SPACE.items()}
_SCALARS = (str, int, float, bool)
#: Chroma's HNSW defaults (its own), reported by Get Indexes until Create HNSW Index sets others
DEFAULT_HNSW = {"max_neighbors": 16, "ef_construction": 100, "ef_search": 100}


def check_metadata(point_id: str, payload: dict) -> None:
    """A payload Chroma can store as metadata, or a ConfigurationError naming the point (before any write)."""
    for key, value in payload.items():
        if not isinstance(key, str) or not key or key.startswith(("#", "$")):
            raise ConfigurationError(
                f"payload of point {point_id!r}: key {key!r} is not valid on Chroma "
                "(a non-empty string not starting with # or $)"
            )
        if value is None or isinstance(value, _SCALARS):
            continue
        if isinstance(value, list) and value and all(isinstance(v, _SCALARS) for v in value):
            continue
        raise ConfigurationError(
            f"payload of point {point_id!r}: value of {key!r} is a {type(value).__name__} ({value!r:.60}); "
            "Chroma metadata takes strings, numbers, booleans and non-empty lists of them"
        )


class ChromaBackend(Backend):
    kind = "chroma"
    label = "chroma"
    ef_name = "ef_search"

    def __init__(self, url: str | None):
        self.server = None
        if url is None:
            self.server = chroma.ChromaServer()
            url = self.server.start()
        try:
            self.url = url
            self.address = chroma.http_url(url)
            self.client = chroma.client(url)
        except BaseException:
            if self.server is not None:
                self.server.stop()
            raise
        #: the Collection objects of the client, by physical name
        self._handles: dict = {}
        #: the rows of each collection as last read, for exact search; dropped by every write
        self._rows: dict[str, tuple[list[str], np.ndarray, list[dict]]] = {}

    def describe(self) -> str:
        started = f", started by crosscheck in {self.server.dir}" if self.server else ""
        return f"chroma at {mask_url(self.address)}{started}"

    def _call(self, what: str, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ConfigurationError, CrosscheckError):
            raise
        except Exception as exc:  # noqa: BLE001 - chromadb raises ValueError, httpx's and its own types
            text = str(exc).strip() or type(exc).__name__
            raise CrosscheckError(f"{what} failed on {self.describe()}: {text}") from None

    def _handle(self, physical: str):
        handle = self._handles.get(physical)
        if handle is None:
            handle = self._call(f"open collection {physical}", self.client.get_collection, physical)
            self._handles[physical] = handle
        return handle

    # -- collections ------------------------------------------------------------
    def _new(self, physical, dimension, distance, hnsw: dict):
        return self._call(
            f"create collection {physical}",
            self.client.create_collection,
            physical,
            configuration={"hnsw": {"space": _SPACE[distance], **hnsw}},
            metadata={"crosscheck_dimension": int(dimension), "crosscheck_distance": distance},
            embedding_function=None,
        )

    def create(self, physical, dimension, distance, scope_ns):
        self._handles[physical] = self._new(physical, dimension, distance, {})
        return {"hnsw": dict(DEFAULT_HNSW), "index": None}

    def exists(self, physical):
        names = self._call("list collections", self.client.list_collections)
        return any(getattr(c, "name", c) == physical for c in names)

    def lookup(self, physical):
        if not self.exists(physical):
            return None
        handle = self._handle(physical)
        meta = handle.metadata or {}
        space = ((handle.configuration or {}).get("hnsw") or {}).get("space", "cosine")
        distance = meta.get("crosscheck_distance") or _DISTANCE.get(space, "cosine")
        dimension = meta.get("crosscheck_dimension")
        if dimension is None:
            first = self._call("peek", handle.get, limit=1, include=["embeddings"])
            if not len(first["ids"]):
                raise ConfigurationError(
                    f"collection {physical!r} on {self.describe()} is empty: its dimension is unknown"
                )
            dimension = len(first["embeddings"][0])
        return int(dimension), distance

    def drop(self, coll):
        self._rows.pop(coll.physical, None)
        self._handles.pop(coll.physical, None)
        self._call("drop collection", self.client.delete_collection, coll.physical)

    def drop_namespace(self, ns):
        pass

    # -- points -----------------------------------------------------------------
    def upsert(self, coll, ids, vectors, payloads, batch_size):
        for point_id, payload in zip(ids, payloads):
            check_metadata(point_id, payload)
        handle = self._handle(coll.physical)
        self._rows.pop(coll.physical, None)
        timings = []
        for start in range(0, len(ids), batch_size):
            stop = min(start + batch_size, len(ids))
            rows = vectors[start:stop].tolist()
            metas = [payloads[i] or None for i in range(start, stop)]
            t0 = time.perf_counter()
            self._call(
                f"upsert into {coll.where}", handle.upsert, ids=list(ids[start:stop]), embeddings=rows, metadatas=metas
            )
            timings.append((stop - start, time.perf_counter() - t0))
        return timings

    def count(self, coll):
        return int(self._call("count", self._handle(coll.physical).count))

    def get(self, coll, point_id):
        found = self._call("get", self._handle(coll.physical).get, ids=[point_id], include=["embeddings", "metadatas"])
        if not found["ids"]:
            return None
        return {
            "id": point_id,
            "vector": [float(x) for x in found["embeddings"][0]],
            "payload": dict(found["metadatas"][0] or {}),
        }

    def delete(self, coll, ids):
        handle = self._handle(coll.physical)
        present = self._call("get", handle.get, ids=list(ids), include=[])["ids"]
        if present:
            self._rows.pop(coll.physical, None)
            self._call("delete", handle.delete, ids=list(present))
        return len(present)

    def set_payload(self, coll, point_id, payload):
        point = self.get(coll, point_id)
        if point is None:
            raise CrosscheckError(f"no point {point_id!r} in {coll.where}")
        merged = {**point["payload"], **payload}
        check_metadata(point_id, merged)
        self._rows.pop(coll.physical, None)
        self._call("set payload", self._handle(coll.physical).update, ids=[point_id], metadatas=[merged])

    # -- search -----------------------------------------------------------------
    @staticmethod
    def _where(where: dict | None):
        if not where:
            return None
        clauses = [{k: v} for k, v in where.items()]
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def _score(self, coll, distance: float) -> float:
        if coll.distance == "euclidean":
            return float(np.sqrt(max(distance, 0.0)))
        return 1.0 - float(distance)

    def _all(self, coll) -> tuple[list[str], np.ndarray, list[dict]]:
        cached = self._rows.get(coll.physical)
        if cached is not None:
            return cached
        found = self._call("scan", self._handle(coll.physical).get, include=["embeddings", "metadatas"])
        ids = list(found["ids"])
        matrix = np.asarray(found["embeddings"] if ids else [], dtype=np.float64).reshape(len(ids), coll.dimension)
        rows = (ids, matrix, [dict(m or {}) for m in found["metadatas"]])
        self._rows[coll.physical] = rows
        return rows

    def set_ef_search(self, coll, value: int) -> None:
        """Sets the collection's HNSW ``ef_search`` (a change of its configuration on the server)."""
        if coll.extra["hnsw"].get("ef_search") == int(value):
            return
        handle = self._handle(coll.physical)
        self._call(
            f"set ef_search={value} on {coll.where}", handle.modify, configuration={"hnsw": {"ef_search": int(value)}}
        )
        coll.extra["hnsw"]["ef_search"] = int(value)

    def search(self, coll, vector, top, where=None, exact=False, ef_search=None):
        if exact:
            return exact_search(coll.distance, self._all(coll), vector, top, where)
        if ef_search:
            self.set_ef_search(coll, max(int(ef_search), top))
        result = self._call(
            f"search in {coll.where}",
            self._handle(coll.physical).query,
            query_embeddings=[vector],
            n_results=top,
            where=self._where(where),
            include=["metadatas", "distances"],
        )
        return [
            Hit(i, self._score(coll, d), dict(m or {}))
            for i, d, m in zip(result["ids"][0], result["distances"][0], result["metadatas"][0])
        ]

    def sample(self, coll, count, seed):
        ids, matrix, _ = self._all(coll)
        order = np.argsort(ids, kind="stable")  # the same points for the same data, whatever the read order
        rng = np.random.default_rng(seed)
        chosen = order[rng.permutation(len(ids))[:count]] if len(ids) else []
        return matrix[chosen] if len(ids) else np.zeros((0, coll.dimension))

    # -- indexes ----------------------------------------------------------------
    def create_index(self, coll, kind, params):
        if kind == "payload":
            raise ConfigurationError(
                f"{coll.where}: Chroma indexes every metadata field itself; there is no payload index to create"
            )
        if kind != "hnsw":
            raise ConfigurationError(f"Chroma has no {kind} index; it indexes with HNSW only")
        hnsw = {
            "max_neighbors": int(params["m"]),
            "ef_construction": int(params["ef_construction"]),
            "ef_search": int(coll.extra["hnsw"].get("ef_search") or DEFAULT_HNSW["ef_search"]),
        }
        # space, ef_construction and max_neighbors are fixed when a Chroma collection is made:
        # a new collection with them gets every point, then takes the old one's name
        ids, matrix, payloads = self._all(coll)
        staging = f"{coll.physical[:50]}_hnsw"
        new = self._new(staging, coll.dimension, coll.distance, hnsw)
        try:
            for start in range(0, len(ids), 1000):
                stop = min(start + 1000, len(ids))
                self._call(
                    f"copy into {staging}",
                    new.add,
                    ids=ids[start:stop],
                    embeddings=matrix[start:stop].tolist(),
                    metadatas=[p or None for p in payloads[start:stop]],
                )
            self._call(f"drop {coll.physical}", self.client.delete_collection, coll.physical)
            self._handles.pop(coll.physical, None)
            self._call(f"rename {staging}", new.modify, name=coll.physical)
        except BaseException:
            try:
                self.client.delete_collection(staging)
            except Exception:  # noqa: BLE001 - the first error is the one to report
                pass
            raise
        self._handles[coll.physical] = new
        coll.extra["hnsw"] = hnsw
        coll.extra["index"] = "hnsw"
        return "hnsw"

    def _configuration(self, coll) -> dict:
        handle = self._call("describe", self.client.get_collection, coll.physical)
        self._handles[coll.physical] = handle
        return (handle.configuration or {}).get("hnsw") or {}

    def indexes(self, coll):
        hnsw = self._configuration(coll)
        count = self.count(coll)
        options = {
            "m": str(hnsw.get("max_neighbors", "")),
            "ef_construction": str(hnsw.get("ef_construction", "")),
            "ef_search": str(hnsw.get("ef_search", "")),
        }
        return [
            {
                "name": "hnsw",
                "kind": "hnsw",
                "definition": f"HNSW {hnsw.get('space')} " + " ".join(f"{k}={v}" for k, v in options.items()),
                "options": options,
                "indexed_vectors": count,
                "points": count,
            }
        ]

    def index_use(self, coll, vector, top, force):
        i = self.indexes(coll)[0]
        detail = (
            f"{i['definition']}: Chroma searches every collection with its HNSW graph "
            "(the newest points from its brute-force buffer until they are synced into it)"
        )
        return {"used": True, "index": "hnsw", "forced": False, "detail": detail}

    def close(self):
        self._handles.clear()
        self._rows.clear()
        if self.server is not None:
            self.server.stop()
