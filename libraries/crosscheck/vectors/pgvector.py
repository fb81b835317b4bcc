"""pgvector in Postgres: a collection is a table ``<ns>.<ns>_<name>`` in the test's schema.

The table is ``(id text primary key, embedding vector(<dim>), payload jsonb)``; the
distance is kept in the table's comment, so :meth:`PgVectorBackend.lookup` can
read a collection back. Indexes are real pgvector HNSW and IVFFlat indexes, and
index use is proven from ``EXPLAIN``. The connection comes from
:func:`crosscheck.services.postgres.connect`.
"""

from __future__ import annotations

import io
import json
import struct
import time

import numpy as np
import psycopg2
import psycopg2.extras
from psycopg2 import sql

from crosscheck.config import mask_url, scrub
from crosscheck.errors import ConfigurationError, CrosscheckError, ServiceUnavailable
from crosscheck.services import postgres
from crosscheck.vectors.backend import Backend, Collection, Hit

# distance -> (operator, operator class, score from the operator's value)
OPS = {
    "cosine": ("<=>", "vector_cosine_ops", lambda d: 1.0 - d),
    "dot": ("<#>", "vector_ip_ops", lambda d: -d),
    "euclidean": ("<->", "vector_l2_ops", lambda d: d),
}
_COMMENT_PREFIX = "crosscheck vectors collection; distance="
APPLICATION_NAME = "crosscheck-vectors"


def vector_text(values) -> str:
    """The pgvector text form of a sequence of floats: ``[0.1,0.2]``.

    Nine significant digits: pgvector stores float4, and ``%.9g`` round-trips every float4.
    """
    return "[" + ",".join([f"{x:.9g}" for x in values]) + "]"


_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
_COPY_TRAILER = struct.pack("!h", -1)


def copy_rows(ids: list[str], vectors: np.ndarray, payloads: list[dict]) -> bytes:
    """Rows ``(id text, embedding vector, payload jsonb)`` in COPY BINARY format.

    A vector travels as pgvector's binary form (int16 dimension, int16 unused,
    float4 big-endian components), a jsonb as version byte 1 and the JSON text.
    """
    dim = vectors.shape[1]
    big = np.ascontiguousarray(vectors, dtype=">f4")
    vec_head = struct.pack("!ihh", 4 + 4 * dim, dim, 0)
    parts = [_COPY_HEADER]
    for i, point_id in enumerate(ids):
        ident = point_id.encode()
        payload = b"\x01" + json.dumps(payloads[i]).encode()
        parts.append(struct.pack("!hi", 3, len(ident)))
        parts.append(ident)
        parts.append(vec_head)
        parts.append(big[i].tobytes())
        parts.append(struct.pack("!i", len(payload)))
        parts.append(payload)
    parts.append(_COPY_TRAILER)
    return b"".join(parts)


def parse_vector(text: str) -> list[float]:
    return json.loads(text)


class PgVectorBackend(Backend):
    kind = "pgvector"
    label = "pgvector"
    ef_name = "hnsw.ef_search"

    def __init__(self, url: str, connect_timeout: int = 5):
        self.url = url
        self.conn = postgres.connect(url, application_name=APPLICATION_NAME, autocommit=True, timeout=connect_timeout)
        self._settings: dict[str, str] = {}
        self._sql_cache: dict[tuple, str] = {}
        self._ensure_extension()

    # -- plumbing ---------------------------------------------------------------
    def describe(self) -> str:
        return f"pgvector at {mask_url(self.url)}"

    def _cur(self):
        return self.conn.cursor()

    def _run(self, query, params=None, fetch: str | None = None):
        try:
            with self._cur() as cur:
                cur.execute(query, params)
                if fetch == "one":
                    return cur.fetchone()
                if fetch == "all":
                    return cur.fetchall()
                return cur.rowcount
        except psycopg2.OperationalError as exc:
            raise ServiceUnavailable(
                f"lost the connection to Postgres at {mask_url(self.url)}: {scrub(str(exc).strip(), self.url)}"
            ) from None
        except psycopg2.Error as exc:
            raise CrosscheckError(
                f"Postgres at {mask_url(self.url)} refused the statement: {scrub(str(exc).strip(), self.url)}"
            ) from None

    def _rollback(self) -> None:
        try:
            with self._cur() as cur:
                cur.execute("ROLLBACK")
        except psycopg2.Error:
            pass

    def _ensure_extension(self) -> None:
        if self._run("SELECT 1 FROM pg_extension WHERE extname = 'vector'", fetch="one"):
            return
        try:
            with self._cur() as cur:
                cur.execute("CREATE EXTENSION IF NOT EXISTS vector")
        except psycopg2.Error as exc:
            raise ConfigurationError(
                f"the pgvector extension is not available in {mask_url(self.url)} "
                f"({scrub(str(exc).strip(), self.url)}); install pgvector or run "
                "CREATE EXTENSION vector as a superuser"
            ) from None

    def _set(self, name: str, value) -> None:
        """A session setting, sent only when it changes (``None`` resets it)."""
        value = None if value is None else str(value)
        if self._settings.get(name) == value:
            return
        if value is None:
            self._run(sql.SQL("RESET {}").format(sql.SQL(name)))
            self._settings.pop(name, None)
        else:
            self._run(sql.SQL("SET {} = {}").format(sql.SQL(name), sql.Literal(value)))
            self._settings[name] = value

    @staticmethod
    def _split(physical: str) -> tuple[str, str]:
        schema, _, table = physical.rpartition(".")
        return schema or "public", table

    def _table(self, coll: Collection):
        return sql.Identifier(coll.extra["schema"], coll.extra["table"])

    def _cols(self, coll: Collection):
        e = coll.extra
        ident = sql.SQL("t.{}").format(sql.Identifier(e["id_col"]))
        vec = sql.SQL("t.{}").format(sql.Identifier(e["vector_col"]))
        if e.get("payload_col"):
            payload = sql.SQL("t.{}").format(sql.Identifier(e["payload_col"]))
        else:
            payload = sql.SQL("(to_jsonb(t) - {} - {})").format(sql.Literal(e["vector_col"]), sql.Literal(e["id_col"]))
        return ident, vec, payload

    # -- collections ------------------------------------------------------------
    def create(self, physical: str, dimension: int, distance: str, scope_ns: str) -> dict:
        schema, table = self._split(physical)
        if dimension > 16000:
            raise ConfigurationError(f"pgvector stores at most 16000 dimensions, {dimension} asked")
        self._run(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        ident = sql.Identifier(schema, table)
        self._run(
            sql.SQL(
                "CREATE TABLE {} (id text PRIMARY KEY, embedding vector({}) NOT NULL, "
                "payload jsonb NOT NULL DEFAULT '{{}}'::jsonb)"
            ).format(ident, sql.Literal(dimension))
        )
        self._run(sql.SQL("COMMENT ON TABLE {} IS {}").format(ident, sql.Literal(_COMMENT_PREFIX + distance)))
        return {"schema": schema, "table": table, "id_col": "id", "vector_col": "embedding", "payload_col": "payload"}

    def _describe_table(self, physical: str):
        schema, table = self._split(physical)
        return self._run(
            "SELECT a.atttypmod, obj_description(c.oid, 'pg_class'), a.attname "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = c.oid JOIN pg_type ty ON ty.oid = a.atttypid "
            "WHERE n.nspname = %s AND c.relname = %s AND ty.typname = 'vector' "
            "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            (schema, table),
            fetch="all",
        )

    def exists(self, physical: str) -> bool:
        schema, table = self._split(physical)
        return bool(
            self._run("SELECT 1 FROM pg_tables WHERE schemaname = %s AND tablename = %s", (schema, table), fetch="one")
        )

    def lookup(self, physical: str) -> tuple[int, str] | None:
        rows = self._describe_table(physical)
        if not rows:
            return None
        typmod, comment, _ = rows[0]
        distance = "cosine"
        if comment and comment.startswith(_COMMENT_PREFIX):
            distance = comment[len(_COMMENT_PREFIX) :].strip()
        return int(typmod), distance

    def attach(self, physical: str, id_col: str, vector_col: str | None) -> dict:
        """Describe an existing table (``schema.table``) for use as a collection."""
        rows = self._describe_table(physical)
        if not rows:
            raise ConfigurationError(
                f"unknown collection: no table {physical} with a vector column in {mask_url(self.url)}"
            )
        if vector_col:
            rows = [r for r in rows if r[2] == vector_col]
            if not rows:
                raise ConfigurationError(f"table {physical} has no vector column {vector_col!r}")
        typmod, _, col = rows[0]
        if typmod is None or typmod < 1:
            raise ConfigurationError(f"column {physical}.{col} has no fixed dimension; declare it as vector(<n>)")
        schema, table = self._split(physical)
        cols = {
            r[0]
            for r in self._run(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s",
                (schema, table),
                fetch="all",
            )
        }
        if id_col not in cols:
            raise ConfigurationError(
                f"table {physical} has no id column {id_col!r} (columns: {', '.join(sorted(cols))})"
            )
        return {
            "schema": schema,
            "table": table,
            "id_col": id_col,
            "vector_col": col,
            "payload_col": None,
            "dimension": int(typmod),
        }

    def drop(self, coll: Collection) -> None:
        self._run(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(self._table(coll)))

    def drop_namespace(self, ns: str) -> None:
        self._run(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(ns)))

    # -- points -----------------------------------------------------------------
    def upsert(self, coll, ids, vectors, payloads, batch_size):
        timings = []
        if coll.extra.get("payload_col"):
            self._run("CREATE TEMP TABLE IF NOT EXISTS cc_vectors_stage (id text, embedding vector, payload jsonb)")
            merge = sql.SQL(
                "INSERT INTO {} (id, embedding, payload) SELECT id, embedding, payload "
                "FROM cc_vectors_stage ON CONFLICT (id) DO UPDATE "
                "SET embedding = EXCLUDED.embedding, payload = EXCLUDED.payload"
            ).format(self._table(coll))
            for start in range(0, len(ids), batch_size):
                stop = min(start + batch_size, len(ids))
                t0 = time.perf_counter()
                block = copy_rows(ids[start:stop], vectors[start:stop], payloads[start:stop])
                try:
                    with self._cur() as cur:
                        cur.execute("BEGIN")
                        cur.copy_expert("COPY cc_vectors_stage FROM STDIN WITH (FORMAT binary)", io.BytesIO(block))
                        cur.execute(merge)
                        cur.execute("TRUNCATE cc_vectors_stage")
                        cur.execute("COMMIT")
                except psycopg2.Error as exc:
                    self._rollback()
                    raise CrosscheckError(
                        f"upsert into {coll.where} failed: {scrub(str(exc).strip(), self.url)}"
                    ) from None
                timings.append((stop - start, time.perf_counter() - t0))
            return timings
        # an attached table: one row at a time, columns from the payload
        e = coll.extra
        for i, point_id in enumerate(ids):
            record = dict(payloads[i])
            record[e["id_col"]] = point_id
            record[e["vector_col"]] = vector_text(vectors[i].tolist())
            cols = [sql.Identifier(c) for c in record]
            updates = sql.SQL(", ").join(
                sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in record if c != e["id_col"]
            )
            query = sql.SQL(
                "INSERT INTO {tbl} ({cols}) SELECT {cols} FROM jsonb_populate_record(NULL::{tbl}, %s) "
                "ON CONFLICT ({idc}) DO UPDATE SET {upd}"
            ).format(tbl=self._table(coll), cols=sql.SQL(", ").join(cols), idc=sql.Identifier(e["id_col"]), upd=updates)
            t0 = time.perf_counter()
            self._run(query, (json.dumps(record),))
            timings.append((1, time.perf_counter() - t0))
        return timings

    def count(self, coll) -> int:
        return int(self._run(sql.SQL("SELECT count(*) FROM {}").format(self._table(coll)), fetch="one")[0])

    def get(self, coll, point_id):
        ident, vec, payload = self._cols(coll)
        row = self._run(
            sql.SQL("SELECT {}::text, {}::text, {} FROM {} t WHERE {}::text = %s").format(
                ident, vec, payload, self._table(coll), ident
            ),
            (point_id,),
            fetch="one",
        )
        if row is None:
            return None
        return {"id": row[0], "vector": parse_vector(row[1]), "payload": row[2] or {}}

    def delete(self, coll, ids) -> int:
        ident, _, _ = self._cols(coll)
        return self._run(
            sql.SQL("DELETE FROM {} t WHERE {}::text = ANY(%s)").format(self._table(coll), ident), (list(ids),)
        )

    def set_payload(self, coll, point_id, payload) -> None:
        if not coll.extra.get("payload_col"):
            raise ConfigurationError(
                f"{coll.where} is an existing table without a payload column; "
                "update its columns with the Postgres library"
            )
        n = self._run(
            sql.SQL("UPDATE {} SET payload = payload || %s::jsonb WHERE id = %s").format(self._table(coll)),
            (json.dumps(payload), point_id),
        )
        if n == 0:
            raise CrosscheckError(f"no point {point_id!r} in {coll.where}")

    # -- search -----------------------------------------------------------------
    def _search_sql(self, coll, top: int, where: dict | None):
        key = ("search", coll.physical, coll.distance, bool(where))
        cached = self._sql_cache.get(key)
        if cached is None:
            cached = self._sql_cache[key] = self._build_search_sql(coll, where).as_string(self.conn)
        return cached

    def _build_search_sql(self, coll, where: dict | None):
        op, _, _ = OPS[coll.distance]
        ident, vec, payload = self._cols(coll)
        cond = sql.SQL("")
        if where:
            cond = sql.SQL(" WHERE {} @> %s::jsonb").format(payload)
        query = sql.SQL(
            "SELECT {id}::text, {payload}, {vec} {op} %s::vector FROM {tbl} t{cond} "
            "ORDER BY {vec} {op} %s::vector LIMIT %s"
        ).format(id=ident, payload=payload, vec=vec, op=sql.SQL(op), tbl=self._table(coll), cond=cond)
        return query

    def _params(self, text, where, top):
        params = [text]
        if where:
            params.append(json.dumps(where))
        return params + [text, top]

    def _tune(self, coll, ef_search, filtered):
        self._set("hnsw.ef_search", ef_search)
        self._set("ivfflat.probes", coll.extra.get("probes"))
        self._set("hnsw.iterative_scan", "strict_order" if filtered else None)

    def search(self, coll, vector, top, where=None, exact=False, ef_search=None):
        text = vector_text(vector)
        self._tune(coll, ef_search, bool(where))
        query = self._search_sql(coll, top, where)
        params = self._params(text, where, top)
        if exact:
            self._set("enable_indexscan", "off")
            try:
                rows = self._run(query, params, fetch="all")
            finally:
                self._set("enable_indexscan", None)
        else:
            rows = self._run(query, params, fetch="all")
        score = OPS[coll.distance][2]
        return [Hit(r[0], float(score(r[2])), r[1] or {}) for r in rows]

    def sample(self, coll, count, seed):
        ident, vec, _ = self._cols(coll)
        rows = self._run(
            sql.SQL("SELECT {}::text FROM {} t ORDER BY md5({}::text || %s) LIMIT %s").format(
                vec, self._table(coll), ident
            ),
            (str(seed), count),
            fetch="all",
        )
        return np.asarray([parse_vector(r[0]) for r in rows], dtype=np.float64)

    # -- indexes ----------------------------------------------------------------
    def _payload_index(self, coll) -> str:
        if not coll.extra.get("payload_col"):
            raise ConfigurationError(
                f"{coll.where} is an existing table without a payload column; index its columns with the Postgres library"
            )
        name = f"{coll.extra['table'][:50]}_payload"
        self._run(
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gin ({} jsonb_path_ops)").format(
                sql.Identifier(name), self._table(coll), sql.Identifier(coll.extra["payload_col"])
            )
        )
        return name

    def create_index(self, coll, kind, params):
        if kind == "payload":
            return self._payload_index(coll)
        _, opclass, _ = OPS[coll.distance]
        name = f"{coll.extra['table'][:50]}_{kind}"
        if kind == "hnsw":
            with_ = sql.SQL("WITH (m = {}, ef_construction = {})").format(
                sql.Literal(int(params["m"])), sql.Literal(int(params["ef_construction"]))
            )
        elif kind == "ivfflat":
            with_ = sql.SQL("WITH (lists = {})").format(sql.Literal(int(params["lists"])))
            if params.get("probes"):
                coll.extra["probes"] = int(params["probes"])
        else:
            raise ConfigurationError(f"unknown index kind {kind!r}: use hnsw or ivfflat")
        if params.get("maintenance_work_mem"):
            self._set("maintenance_work_mem", params["maintenance_work_mem"])
        try:
            self._run(
                sql.SQL("CREATE INDEX {} ON {} USING {} ({} {}) {}").format(
                    sql.Identifier(name),
                    self._table(coll),
                    sql.SQL(kind),
                    sql.Identifier(coll.extra["vector_col"]),
                    sql.SQL(opclass),
                    with_,
                )
            )
        finally:
            self._set("maintenance_work_mem", None)
        return name

    def indexes(self, coll):
        rows = self._run(
            "SELECT i.relname, am.amname, pg_get_indexdef(i.oid), coalesce(i.reloptions, '{}') "
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am am ON am.oid = i.relam "
            "WHERE x.indrelid = %s::regclass AND am.amname IN ('hnsw', 'ivfflat', 'gin') ORDER BY i.relname",
            (f'"{coll.extra["schema"]}"."{coll.extra["table"]}"',),
            fetch="all",
        )
        out = []
        for name, method, definition, options in rows:
            opts = dict(o.split("=", 1) for o in options)
            kind = "payload" if method == "gin" else method
            out.append({"name": name, "kind": kind, "definition": definition, "options": opts})
        return out

    def index_use(self, coll, vector, top, force):
        text = vector_text(vector)
        self._tune(coll, None, False)
        query = "EXPLAIN (FORMAT JSON) " + self._search_sql(coll, top, None)
        if force:
            self._set("enable_seqscan", "off")
        try:
            plan = self._run(query, self._params(text, None, top), fetch="one")[0]
            lines = self._run(
                "EXPLAIN " + self._search_sql(coll, top, None), self._params(text, None, top), fetch="all"
            )
        finally:
            if force:
                self._set("enable_seqscan", None)
        found = []

        def walk(node):
            if node.get("Index Name"):
                found.append(node["Index Name"])
            for child in node.get("Plans", []):
                walk(child)

        walk(plan[0]["Plan"])
        vector_indexes = {i["name"] for i in self.indexes(coll) if i["kind"] in ("hnsw", "ivfflat")}
        found = [name for name in found if name in vector_indexes]
        detail = "\n".join(r[0] for r in lines)
        return {"used": bool(found), "index": found[0] if found else None, "detail": detail, "forced": force}

    def close(self) -> None:
        try:
            self.conn.close()
        except psycopg2.Error:
            pass
