"""Benchmark: crosscheck.Vectors on pgvector and on Qdrant Edge, each against its engine's own client.

The same seeded vectors (cosine; 20,000 x 384 by default, 100,000 x 384 with ``--full``)
go into a collection on each store through the library (pgvector: binary COPY in
batches; Qdrant Edge: upserts into its shard); an HNSW index of the same parameters
(m=16, ef_construction=64) is built on each (pgvector with maintenance_work_mem raised;
Qdrant Edge by its optimiser); then, in one run, on each store:

- recall@10 of the indexed search against exact search (index scans disabled), over
  ``--queries`` queries near stored points;
- search latency percentiles through the library;
- the library's overhead: the same queries through the ``Search Vectors`` keyword (called as
  Robot's dynamic API calls it, ``run_keyword``) and through the engine's own client,
  interleaved, ratio of the median times (target <= 1.1; the ratio of the totals is printed
  too):
  on pgvector bare psycopg2 (the SQL a hand-written test would send, the vector
  formatted as pgvector's own Python adapter does), on Qdrant Edge the shard's own
  ``query`` with the same ``hnsw_ef``.

Prints the figures; the last line is one JSON object with ``recall_at_10``,
``search_p95_ms`` and ``overhead_ratio`` per store beside the raw figures.

    python benchmarks/vectors.py                 # 20,000 x 384 on both stores (a few minutes)
    python benchmarks/vectors.py --full          # 100,000 x 384
    python benchmarks/vectors.py --stores qdrant:edge --count 5000

Uses CROSSCHECK_POSTGRES_URL, else the embedded Postgres; removes what it created.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import time

import psycopg2
import qdrant_edge

from crosscheck.config import mask_url
from crosscheck.reporting import summary
from crosscheck.services import postgres
from crosscheck.vectors import Vectors, data


def keyword(lib, name, *args, **kwargs):
    key = name if name in lib.keywords else name.lower().replace(" ", "_")
    with contextlib.redirect_stdout(io.StringIO()):  # log.html markup has no log.html here
        return lib.run_keyword(key, list(args), kwargs)


def raw_vector(values) -> str:
    # what pgvector-python's psycopg2 adapter sends: '[' + ','.join(str(float(v)) ...) + ']'
    return "[" + ",".join([str(float(v)) for v in values]) + "]"


class RawPgvector:
    """What a hand-written test sends with bare psycopg2 (the session set to the same ef_search)."""

    def __init__(self, url, physical, ef_search):
        self.conn = psycopg2.connect(url, application_name="crosscheck-bench-raw")
        self.conn.autocommit = True
        self.cur = self.conn.cursor()
        self.cur.execute("SET hnsw.ef_search = %s", (ef_search,))
        schema, table = physical.split(".")
        self.sql = (
            f'SELECT id, payload, embedding <=> %s::vector AS distance FROM "{schema}"."{table}" '
            "ORDER BY embedding <=> %s::vector LIMIT 10"
        )

    def search(self, vector):
        text = raw_vector(vector)
        self.cur.execute(self.sql, (text, text))
        return self.cur.fetchall()

    def close(self):
        self.conn.close()


class RawQdrantEdge:
    """The shard's own query, as a test written against qdrant-edge-py would send it."""

    def __init__(self, shard, ef_search):
        self.shard = shard
        self.params = qdrant_edge.SearchParams(hnsw_ef=ef_search)

    def search(self, vector):
        q = qdrant_edge
        return self.shard.query(
            q.QueryRequest(limit=10, query=q.Query.Nearest(vector), params=self.params, with_payload=True)
        )

    def close(self):
        pass


def bench_store(store, url, args, figures):
    lib = Vectors(url)
    out: dict = {}
    try:
        where = keyword(lib, "Connect To Vector Store")
        print(f"\n== {store}: {where}: {args.count:,} x {args.dimension} vectors, cosine", flush=True)
        physical = keyword(lib, "Create Collection", "bench", args.dimension)
        coll = lib.ctx.resolve("bench")
        t0 = time.perf_counter()
        vectors = data.seeded_vectors(args.count, args.dimension, seed=1)
        generate_s = time.perf_counter() - t0
        ids = [f"doc-{i}" for i in range(args.count)]
        t0 = time.perf_counter()
        timings = lib.ctx.upsert(coll, ids, vectors, None, 5000)
        load_s = time.perf_counter() - t0
        out["upsert_points_per_s"] = round(args.count / load_s, 1)
        print(
            f"generated in {generate_s:.1f} s; upserted in {load_s:.1f} s ({args.count / load_s:,.0f} points/s, "
            f"{len(timings)} batches)",
            flush=True,
        )
        del vectors

        t0 = time.perf_counter()
        keyword(
            lib,
            "Create HNSW Index",
            m=args.m,
            ef_construction=args.ef_construction,
            maintenance_work_mem=args.maintenance_work_mem,
        )
        out["index_build_s"] = round(time.perf_counter() - t0, 1)
        print(f"HNSW index (m={args.m}, ef_construction={args.ef_construction}) built in {out['index_build_s']} s")
        index = keyword(lib, "Search Should Use Index")
        print(f"the search uses {index} (no planner or engine settings changed)", flush=True)

        for ef in sorted({40, args.ef_search, 200}):
            t0 = time.perf_counter()
            recall = keyword(lib, "Get Recall At K", 10, queries=args.recall_queries, ef_search=ef)
            out[f"recall_at_10_ef{ef}"] = round(recall, 4)
            print(
                f"recall@10 with ef={ef}: {recall:.4f} over {args.recall_queries} queries "
                f"({time.perf_counter() - t0:.1f} s)",
                flush=True,
            )
        out["recall_at_10"] = out[f"recall_at_10_ef{args.ef_search}"]

        p95 = keyword(lib, "Get Search Latency", "p95", queries=args.queries, ef_search=args.ef_search)
        latency = lib.ctx.last["latency"]
        out.update({f"search_{k}_ms": round(v, 3) for k, v in latency.items() if k != "count"})
        out["search_p95_ms"] = round(p95, 3)
        print("search latency (ms): " + ", ".join(f"{k} {v:.3f}" for k, v in latency.items() if k != "count"))

        # overhead: the keyword against the engine's own client, same queries and settings, interleaved
        queries = data.queries_near_points(coll, args.queries, 23, 0.1)
        if store == "pgvector":
            raw, client = RawPgvector(url, physical, args.ef_search), "bare psycopg2"
        else:
            raw, client = RawQdrantEdge(coll.backend.shards[physical], args.ef_search), "qdrant-edge-py's query"
        # the keyword is called as Robot's dynamic API calls it (run_keyword), without Robot around it
        # (so the hits table, built only when Robot writes it to log.html, is not built here)
        search = lib.run_keyword
        kwargs = {"top": 10, "ef_search": args.ef_search}
        for q in queries[:10]:  # warm both paths
            search("search_vectors", [q.tolist()], kwargs)
            raw.search(q.tolist())
        lib_ms, raw_ms = [], []
        for i, q in enumerate(queries):
            qlist = q.tolist()
            for which in (0, 1) if i % 2 == 0 else (1, 0):
                t0 = time.perf_counter()
                if which == 0:
                    search("search_vectors", [qlist], kwargs)
                    lib_ms.append((time.perf_counter() - t0) * 1000)
                else:
                    raw.search(qlist)
                    raw_ms.append((time.perf_counter() - t0) * 1000)
        raw.close()
        total_ratio = sum(lib_ms) / sum(raw_ms)
        out["keyword_search_p50_ms"] = round(summary(lib_ms)["p50"], 4)
        out["raw_search_p50_ms"] = round(summary(raw_ms)["p50"], 4)
        out["overhead_us_p50"] = round((summary(lib_ms)["p50"] - summary(raw_ms)["p50"]) * 1000, 1)
        ratio = summary(lib_ms)["p50"] / summary(raw_ms)["p50"]
        out["overhead_ratio"] = round(ratio, 3)
        out["overhead_ratio_total"] = round(total_ratio, 3)
        print(
            f"Search Vectors keyword vs {client} over {len(queries)} queries, interleaved: p50 "
            f"{out['keyword_search_p50_ms']:.4f} ms vs {out['raw_search_p50_ms']:.4f} ms "
            f"({out['overhead_us_p50']:+.1f} us); ratio of medians {ratio:.3f} (target <= 1.1), "
            f"of totals {total_ratio:.3f}",
            flush=True,
        )
    finally:
        lib.close()
    figures[store] = out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000, help="vectors per store (default 20,000)")
    parser.add_argument("--full", action="store_true", help="100,000 x 384, the seed's size")
    parser.add_argument("--dimension", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--recall-queries", type=int, default=100)
    parser.add_argument("--m", type=int, default=16)
    parser.add_argument("--ef-construction", type=int, default=64)
    parser.add_argument("--ef-search", type=int, default=100)
    parser.add_argument("--maintenance-work-mem", default="1GB")
    parser.add_argument("--stores", default="pgvector,qdrant:edge", help="comma-separated: pgvector, qdrant:edge")
    args = parser.parse_args()
    if args.full:
        args.count, args.dimension = 100_000, 384
    figures: dict = {
        "count": args.count,
        "dimension": args.dimension,
        "m": args.m,
        "ef_construction": args.ef_construction,
        "ef_search": args.ef_search,
    }
    for store in [s.strip() for s in args.stores.split(",") if s.strip()]:
        if store == "pgvector":
            url = postgres.url()
            print(f"pgvector at {mask_url(url)}", flush=True)
        elif store == "qdrant:edge":
            url = "qdrant:edge"
        else:
            parser.error(f"unknown store {store!r}: use pgvector or qdrant:edge")
        bench_store(store, url, args, figures)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
