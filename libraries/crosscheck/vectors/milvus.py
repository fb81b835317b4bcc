"""Milvus: Milvus Lite in process on a local file (``milvus-lite:///path.db``), or a server (``milvus://host:19530``).

A collection is a Milvus collection ``<ns>_<name>`` with three fields: ``id`` (VARCHAR
primary key, the test's own id), ``vector`` (FLOAT_VECTOR of the dimension) and
``payload`` (JSON). Filters become Milvus expressions on the payload
(``payload["group"] == 1``). Indexes are Milvus's own: HNSW (``M``, ``efConstruction``;
searched with ``ef``) and IVF_FLAT (``nlist``; searched with ``nprobe``). Without an
index Milvus searches by brute force, and so it does rows still in its memtable: creating
an index, and every upsert into an indexed collection, flushes the collection first, so
the index covers every row (outside the timed batches).

Milvus has no switch for an exact search of an indexed collection, so the exact search
that recall is measured against is a brute-force scan in numpy of the vectors read back
from the collection (kept until the next write). Milvus reports squared L2 distance; the
score here is the L2 distance, as on the other stores. Clients come from
:func:`crosscheck.services.milvus.client`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time

import numpy as np

from crosscheck.config import mask_url, scrub
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.services import milvus
from crosscheck.vectors.backend import Backend, Hit
from crosscheck.vectors.exact import exact_search

_METRIC = {"cosine": "COSINE", "dot": "IP", "euclidean": "L2"}


class MilvusBackend(Backend):
    kind = "milvus"
    ef_name = "ef"

    def __init__(self, uri: str | None):
        self._tmp = None
        if uri is None:
            self._tmp = tempfile.mkdtemp(prefix="crosscheck-milvus-lite-")
            uri = os.path.join(self._tmp, "milvus.db")
        self.uri = uri
        self.lite = not uri.startswith(("http://", "https://", "tcp://"))
        self.label = "milvus lite" if self.lite else "milvus"
        self.client = milvus.client(uri)
        #: the rows of each collection as last read, for exact search; dropped by every write
        self._rows: dict[str, tuple[list[str], np.ndarray, list[dict]]] = {}

    def describe(self) -> str:
        return f"milvus lite (in process, {self.uri})" if self.lite else f"milvus at {mask_url(self.uri)}"

    def _call(self, what: str, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ConfigurationError, CrosscheckError):
            raise
        except Exception as exc:  # noqa: BLE001 - pymilvus raises its own and grpc's types
            text = str(getattr(exc, "message", "") or exc).strip()
            raise CrosscheckError(f"{what} failed on {self.describe()}: {scrub(text, self.uri)}") from None

    # -- collections ------------------------------------------------------------
    def create(self, physical, dimension, distance, scope_ns):
        from pymilvus import DataType, MilvusClient

        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=512)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=int(dimension))
        schema.add_field("payload", DataType.JSON)
        self._call(
            "create collection",
            self.client.create_collection,
            physical,
            schema=schema,
            properties={"crosscheck.distance": distance},
        )
        return {"metric": _METRIC[distance]}

    def exists(self, physical):
        return bool(self._call("has collection", self.client.has_collection, physical))

    def lookup(self, physical):
        if not self.exists(physical):
            return None
        info = self._call("describe collection", self.client.describe_collection, physical)
        dimension = next(int(f["params"]["dim"]) for f in info["fields"] if f["name"] == "vector")
        distance = (info.get("properties") or {}).get("crosscheck.distance", "cosine")
        return dimension, distance

    def drop(self, coll):
        self._rows.pop(coll.physical, None)
        self._call("drop collection", self.client.drop_collection, coll.physical)

    def drop_namespace(self, ns):
        pass

    # -- points -----------------------------------------------------------------
    def upsert(self, coll, ids, vectors, payloads, batch_size):
        self._rows.pop(coll.physical, None)
        timings = []
        for start in range(0, len(ids), batch_size):
            stop = min(start + batch_size, len(ids))
            rows = vectors[start:stop].tolist()
            data = [{"id": ids[i], "vector": rows[i - start], "payload": payloads[i]} for i in range(start, stop)]
            t0 = time.perf_counter()
            self._call(f"upsert into {coll.where}", self.client.upsert, coll.physical, data)
            timings.append((stop - start, time.perf_counter() - t0))
        if coll.extra.get("index"):
            self._call("flush", self.client.flush, coll.physical)  # seal the new rows so the index covers them
        return timings

    def count(self, coll):
        rows = self._call("count", self.client.query, coll.physical, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def get(self, coll, point_id):
        rows = self._call("get", self.client.get, coll.physical, ids=[point_id], output_fields=["vector", "payload"])
        if not rows:
            return None
        return {"id": point_id, "vector": [float(x) for x in rows[0]["vector"]], "payload": rows[0]["payload"] or {}}

    def delete(self, coll, ids):
        present = self._call("get", self.client.get, coll.physical, ids=list(ids), output_fields=["id"])
        if present:
            self._rows.pop(coll.physical, None)
            self._call("delete", self.client.delete, coll.physical, ids=[r["id"] for r in present])
        return len(present)

    def set_payload(self, coll, point_id, payload):
        point = self.get(coll, point_id)
        if point is None:
            raise CrosscheckError(f"no point {point_id!r} in {coll.where}")
        self._rows.pop(coll.physical, None)
        merged = {**point["payload"], **payload}
        row = {"id": point_id, "vector": point["vector"], "payload": merged}
        self._call("set payload", self.client.upsert, coll.physical, [row])

    # -- search -----------------------------------------------------------------
    @staticmethod
    def _expression(where: dict | None) -> str:
        if not where:
            return ""
        return " and ".join(f"payload[{json.dumps(k)}] == {json.dumps(v)}" for k, v in where.items())

    def _score(self, coll, distance: float) -> float:
        return float(np.sqrt(max(distance, 0.0))) if coll.distance == "euclidean" else float(distance)

    def _all(self, coll) -> tuple[list[str], np.ndarray, list[dict]]:
        cached = self._rows.get(coll.physical)
        if cached is not None:
            return cached
        found = self._call(
            "scan", self.client.query, coll.physical, filter='id != ""', output_fields=["id", "vector", "payload"]
        )
        ids = [r["id"] for r in found]
        vectors = [r["vector"] for r in found]
        payloads = [r["payload"] or {} for r in found]
        rows = (ids, np.asarray(vectors, dtype=np.float64).reshape(len(ids), coll.dimension), payloads)
        self._rows[coll.physical] = rows
        return rows

    def search(self, coll, vector, top, where=None, exact=False, ef_search=None):
        if exact:
            return exact_search(coll.distance, self._all(coll), vector, top, where)
        params: dict = {"metric_type": coll.extra["metric"], "params": {}}
        index = coll.extra.get("index")
        if ef_search and index == "hnsw":
            params["params"]["ef"] = max(int(ef_search), top)
        if index == "ivfflat" and coll.extra.get("probes"):
            params["params"]["nprobe"] = int(coll.extra["probes"])
        result = self._call(
            f"search in {coll.where}",
            self.client.search,
            coll.physical,
            data=[list(vector)],
            limit=top,
            filter=self._expression(where),
            output_fields=["payload"],
            search_params=params,
        )
        return [
            Hit(str(h["id"]), self._score(coll, h["distance"]), h["entity"].get("payload") or {}) for h in result[0]
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
                f"{coll.where}: Milvus Lite indexes no JSON payload path; filters scan the payload (no index needed)"
            )
        # rows still in the memtable are searched by brute force: seal them so the index covers them
        self._call("flush", self.client.flush, coll.physical)
        if coll.extra.get("index"):
            self._call("release", self.client.release_collection, coll.physical)
            self._call("drop index", self.client.drop_index, coll.physical, "vector")
        index_params = self.client.prepare_index_params()
        if kind == "hnsw":
            built = {"M": int(params["m"]), "efConstruction": int(params["ef_construction"])}
            index_params.add_index(
                field_name="vector", index_type="HNSW", metric_type=coll.extra["metric"], params=built
            )
        elif kind == "ivfflat":
            built = {"nlist": int(params["lists"])}
            index_params.add_index(
                field_name="vector", index_type="IVF_FLAT", metric_type=coll.extra["metric"], params=built
            )
            if params.get("probes"):
                coll.extra["probes"] = int(params["probes"])
        else:
            raise ConfigurationError(f"unknown index kind {kind!r}: use hnsw or ivfflat")
        self._call(f"create {kind} index on {coll.where}", self.client.create_index, coll.physical, index_params)
        coll.extra["index_params"] = built
        self._call("load", self.client.load_collection, coll.physical)
        coll.extra["index"] = kind
        return "vector"

    def indexes(self, coll):
        names = self._call("list indexes", self.client.list_indexes, coll.physical)
        out = []
        for name in names:
            d = self._call("describe index", self.client.describe_index, coll.physical, name)
            kind = {"HNSW": "hnsw", "IVF_FLAT": "ivfflat"}.get(
                str(d.get("index_type")), str(d.get("index_type")).lower()
            )
            built = coll.extra.get("index_params", {})
            options = {"m": str(built.get("M", "")), "ef_construction": str(built.get("efConstruction", ""))}
            if kind == "ivfflat":
                options = {"lists": str(built.get("nlist", ""))}
            out.append(
                {
                    "name": name,
                    "kind": kind,
                    "definition": f"{d.get('index_type')} {d.get('metric_type')} on {d.get('field_name')} "
                    + " ".join(f"{k}={v}" for k, v in options.items()),
                    "options": options,
                    "indexed_vectors": int(d.get("indexed_rows", 0) or 0),
                    "points": int(d.get("total_rows", 0) or 0),
                }
            )
        return out

    def index_use(self, coll, vector, top, force):
        found = self.indexes(coll)
        if not found:
            return {
                "used": False,
                "index": None,
                "forced": False,
                "detail": "no vector index: Milvus searches by brute force",
            }
        i = found[0]
        used = i["indexed_vectors"] > 0
        detail = f"{i['definition']}: {i['indexed_vectors']} of {i['points']} vectors indexed"
        return {"used": used, "index": i["kind"] if used else None, "forced": False, "detail": detail}

    def close(self):
        try:
            self.client.close()
        except Exception:  # noqa: BLE001 - closing what is left
            pass
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
