"""Qdrant Edge: Qdrant's own engine in this process (``qdrant:edge``), one shard per collection.

Each collection is a Qdrant Edge *shard*, a directory under a temporary root made for
this library instance (or under the directory named by ``qdrant:edge:/path``), with
Qdrant's segments, write-ahead log, payload indexes and HNSW graphs. Points are kept as
on a Qdrant server: under ``uuid5(id)`` with the test's own id in the payload field
``_cc_id`` (see :mod:`crosscheck.vectors.qdrant`).

A new collection has indexing switched off (``indexing_threshold`` 0), so its search is
a plain scan, as a Qdrant server's is below its indexing threshold. `Create HNSW Index`
reopens the shard with the HNSW configuration (``m``, ``ef_construct``,
``full_scan_threshold``) and an indexing threshold of 1 KB, and runs Qdrant's optimiser
until every segment is built: the index is then reported as indexed, with Qdrant's own
count of indexed vectors. Points written to an indexed collection are optimised into
the index after the write (outside the timed batches). Searches take ``hnsw_ef`` and
``exact`` as on a server. Shards come from :func:`crosscheck.services.qdrant.edge_shard`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from typing import Any

import numpy as np

from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.services import qdrant
from crosscheck.vectors.backend import Backend, Collection, Hit
from crosscheck.vectors.qdrant import ID_FIELD, payload_index, point_uuid, split_id

_CONFIG_FILE = "edge_config.json"


class QdrantEdgeBackend(Backend):
    kind = "qdrant"
    engine = "edge"
    label = "qdrant edge"
    ef_name = "hnsw_ef"

    def __init__(self, path: str | None = None):
        import qdrant_edge

        self.q = qdrant_edge
        self._own_root = path is None
        self.root = path or tempfile.mkdtemp(prefix="crosscheck-qdrant-edge-")
        if not self._own_root:
            os.makedirs(self.root, exist_ok=True)
        self.url = f"qdrant:edge:{self.root}"
        self.shards: dict[str, Any] = {}
        self.configs: dict[str, dict] = {}
        self._params: dict[tuple, Any] = {}  # SearchParams by (hnsw_ef, exact), made once

    def describe(self) -> str:
        return f"qdrant edge (in process, {self.root})"

    # -- plumbing ---------------------------------------------------------------
    def _path(self, physical: str) -> str:
        return physical if os.path.isabs(physical) else os.path.join(self.root, physical)

    def _call(self, what: str, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ConfigurationError, CrosscheckError):
            raise
        except Exception as exc:  # noqa: BLE001 - the engine raises its own error types
            raise CrosscheckError(f"{what} failed on {self.describe()}: {str(exc).strip()}") from None

    def _distance(self, distance: str):
        d = self.q.Distance
        return {"cosine": d.Cosine, "dot": d.Dot, "euclidean": d.Euclid}[distance]

    def _config(self, physical: str) -> Any:
        """The shard's EdgeConfig as this library keeps it (vectors, HNSW, optimiser)."""
        c = self.configs[physical]
        q = self.q
        hnsw = c.get("hnsw")
        return q.EdgeConfig(
            vectors=q.EdgeVectorParams(size=c["dimension"], distance=self._distance(c["distance"])),
            hnsw_config=(
                q.HnswIndexConfig(
                    m=hnsw["m"], ef_construct=hnsw["ef_construct"], full_scan_threshold=hnsw["full_scan_threshold"]
                )
                if hnsw
                else None
            ),
            optimizers=q.EdgeOptimizersConfig(indexing_threshold=1 if hnsw else 0),
        )

    def _shard(self, coll: Collection | str) -> Any:
        physical = coll if isinstance(coll, str) else coll.physical
        shard = self.shards.get(physical)
        if shard is None:
            if physical not in self.configs and self.lookup(physical) is None:
                raise CrosscheckError(f"no Qdrant Edge shard {physical} in {self.describe()}")
            shard = self._call(f"open shard {physical}", qdrant.edge_shard, self._path(physical))
            self.shards[physical] = shard
        return shard

    # -- collections ------------------------------------------------------------
    def create(self, physical, dimension, distance, scope_ns):
        path = self._path(physical)
        if os.path.exists(os.path.join(path, _CONFIG_FILE)):
            raise CrosscheckError(f"a Qdrant Edge shard already exists at {path}")
        self.configs[physical] = {"dimension": int(dimension), "distance": distance, "hnsw": None, "payload": {}}
        try:
            self.shards[physical] = self._call(
                f"create shard {physical}", qdrant.edge_shard, path, self._config(physical), create=True
            )
        except CrosscheckError:
            self.configs.pop(physical, None)
            raise
        return {"path": path}

    def exists(self, physical):
        return os.path.exists(os.path.join(self._path(physical), _CONFIG_FILE))

    def lookup(self, physical):
        if physical in self.configs:
            c = self.configs[physical]
            return c["dimension"], c["distance"]
        config_file = os.path.join(self._path(physical), _CONFIG_FILE)
        if not os.path.exists(config_file):
            return None
        with open(config_file, encoding="utf-8") as handle:
            vectors = json.load(handle).get("vectors", {}).get("")
        if not vectors:
            return None
        back = {"Cosine": "cosine", "Dot": "dot", "Euclid": "euclidean"}
        dimension, distance = int(vectors["size"]), back.get(str(vectors.get("distance")), "cosine")
        self.configs[physical] = {"dimension": dimension, "distance": distance, "hnsw": None, "payload": {}}
        return dimension, distance

    def drop(self, coll):
        shard = self.shards.pop(coll.physical, None)
        if shard is not None:
            self._call(f"close shard {coll.physical}", shard.close)
        self.configs.pop(coll.physical, None)
        path = self._path(coll.physical)
        if os.path.exists(path):
            try:
                shutil.rmtree(path)
            except OSError as exc:
                raise CrosscheckError(f"could not remove the shard directory {path}: {exc}") from None

    def drop_namespace(self, ns):
        pass

    # -- points -----------------------------------------------------------------
    def upsert(self, coll, ids, vectors, payloads, batch_size):
        shard = self._shard(coll)
        Point, upsert = self.q.Point, self.q.UpdateOperation.upsert_points
        timings = []
        for start in range(0, len(ids), batch_size):
            stop = min(start + batch_size, len(ids))
            rows = vectors[start:stop].tolist()
            points = [
                Point(point_uuid(ids[i]), rows[i - start], {**payloads[i], ID_FIELD: ids[i]})
                for i in range(start, stop)
            ]
            t0 = time.perf_counter()
            self._call(f"upsert into {coll.where}", shard.update, upsert(points))
            timings.append((stop - start, time.perf_counter() - t0))
        if self.configs.get(coll.physical, {}).get("hnsw"):
            self._call(f"optimise {coll.where}", shard.optimize)  # the new points join the index
        return timings

    def count(self, coll):
        return int(self._call("count", self._shard(coll).count, self.q.CountRequest(exact=True)))

    def _retrieve(self, coll, ids, with_vector):
        return self._call(
            "retrieve",
            self._shard(coll).retrieve,
            [point_uuid(i) for i in ids],
            with_payload=True,
            with_vector=with_vector,
        )

    def get(self, coll, point_id):
        found = self._retrieve(coll, [point_id], True)
        if not found:
            return None
        original, payload = split_id(found[0].payload)
        return {"id": original or point_id, "vector": list(found[0].vector), "payload": payload}

    def delete(self, coll, ids):
        present = self._retrieve(coll, list(ids), False)
        if present:
            op = self.q.UpdateOperation.delete_points([p.id for p in present])
            self._call("delete", self._shard(coll).update, op)
        return len(present)

    def set_payload(self, coll, point_id, payload):
        if self.get(coll, point_id) is None:
            raise CrosscheckError(f"no point {point_id!r} in {coll.where}")
        op = self.q.UpdateOperation.set_payload([point_uuid(point_id)], payload)
        self._call("set payload", self._shard(coll).update, op)

    # -- search -----------------------------------------------------------------
    def _filter(self, where):
        if not where:
            return None
        q = self.q
        return q.Filter(must=[q.FieldCondition(key=k, match=q.MatchValue(value=v)) for k, v in where.items()])

    def search(self, coll, vector, top, where=None, exact=False, ef_search=None):
        q = self.q
        params = None
        if exact or ef_search:
            params = self._params.get((ef_search, bool(exact)))
            if params is None:
                params = self._params[ef_search, bool(exact)] = q.SearchParams(hnsw_ef=ef_search, exact=bool(exact))
        request = q.QueryRequest(
            limit=top, query=q.Query.Nearest(vector), filter=self._filter(where), params=params, with_payload=True
        )
        shard = self._shard(coll)
        try:
            result = shard.query(request)
        except Exception as exc:  # noqa: BLE001 - the engine raises its own error types
            raise CrosscheckError(f"search in {coll.where} failed on {self.describe()}: {str(exc).strip()}") from None
        hits = []
        for p in result:
            payload = p.payload  # a new dict on every access: the hidden id field is popped from it
            original = payload.pop(ID_FIELD, None) if payload else None
            hits.append(Hit(original or str(p.id), float(p.score), payload or {}))
        return hits

    def sample(self, coll, count, seed):
        request = self.q.ScrollRequest(limit=max(count * 3, count), with_vector=True, with_payload=False)
        points, _ = self._call("scroll", self._shard(coll).scroll, request)
        rng = np.random.default_rng(seed)
        chosen = rng.permutation(len(points))[:count]
        return np.asarray([points[i].vector for i in chosen], dtype=np.float64)

    # -- indexes ----------------------------------------------------------------
    def create_index(self, coll, kind, params):
        if kind == "payload":
            return self._payload_index(coll, params["field"], params["type"])
        if kind != "hnsw":
            raise ConfigurationError(f"Qdrant has no {kind} index; it indexes with HNSW only")
        config = self.configs[coll.physical]
        config["hnsw"] = {
            "m": int(params["m"]),
            "ef_construct": int(params["ef_construction"]),
            "full_scan_threshold": int(params.get("full_scan_threshold") or 0),
        }
        shard = self.shards.pop(coll.physical, None)
        if shard is not None:
            self._call(f"close shard {coll.physical}", shard.close)
        self.shards[coll.physical] = self._call(
            f"reconfigure {coll.where}", qdrant.edge_shard, self._path(coll.physical), self._config(coll.physical)
        )
        self._call(f"optimise {coll.where}", self.shards[coll.physical].optimize)
        return "hnsw"

    def _payload_index(self, coll, field: str, type_: str) -> str:
        kinds = self.q.PayloadSchemaType
        schema = getattr(kinds, type_.capitalize())
        self._call(
            f"payload index on {field!r} of {coll.where}",
            self._shard(coll).update,
            self.q.UpdateOperation.create_field_index(field, schema),
        )
        self.configs[coll.physical]["payload"][field] = type_
        return f"payload:{field}"

    def indexes(self, coll):
        info = self._call("shard info", self._shard(coll).info)
        out = []
        hnsw = self.configs.get(coll.physical, {}).get("hnsw")
        if hnsw:
            out.append(
                {
                    "name": "hnsw",
                    "kind": "hnsw",
                    "definition": (
                        f"hnsw m={hnsw['m']} ef_construct={hnsw['ef_construct']} "
                        f"full_scan_threshold={hnsw['full_scan_threshold']} KB"
                    ),
                    "options": {"m": str(hnsw["m"]), "ef_construction": str(hnsw["ef_construct"])},
                    "indexed_vectors": int(info.indexed_vectors_count),
                    "points": int(info.points_count),
                }
            )
        for field, index in sorted(info.payload_schema.items()):
            type_ = str(getattr(index.data_type, "name", index.data_type)).split(".")[-1].lower()
            out.append(payload_index(field, type_, index.points))
        return out

    def index_use(self, coll, vector, top, force):
        info = self._call("shard info", self._shard(coll).info)
        indexed, points = int(info.indexed_vectors_count), int(info.points_count)
        hnsw = self.configs.get(coll.physical, {}).get("hnsw")
        kb = points * coll.dimension * 4 / 1024
        threshold = hnsw["full_scan_threshold"] if hnsw else None
        used = bool(hnsw) and indexed > 0 and kb >= (threshold or 0)
        if not hnsw:
            detail = f"no HNSW index configured: {points} vectors searched by a plain scan"
        else:
            detail = (
                f"{indexed} of {points} vectors indexed in {info.segments_count} segments "
                f"(hnsw m={hnsw['m']} ef_construct={hnsw['ef_construct']}); {kb:,.0f} KB of vectors, "
                f"full scan below {threshold} KB"
            )
        return {"used": used, "index": "hnsw" if used else None, "forced": False, "detail": detail}

    def close(self):
        for shard in self.shards.values():
            try:
                shard.close()
            except Exception:  # noqa: BLE001 - closing what is left; nothing to report to
                pass
        self.shards.clear()
        self.configs.clear()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)
