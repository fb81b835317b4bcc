"""Benchmark: crosscheck.Vectors on pgvector with an HNSW index, against bare psycopg2.

100,000 seeded vectors of 384 dimensions (cosine) go into a collection through the
library (binary COPY in batches); an HNSW index (m=16, ef_construction=64) is built
with maintenance_work_mem raised; then, in one run:

- recall@10 of the indexed search against exact search (index scans disabled), over
  ``--queries`` queries near stored points;
- search latency percentiles through the library;
- the library's overhead: the same queries through the ``Search Vectors`` keyword and
  through bare psycopg2 (the SQL a hand-written test would send, the vector formatted
  as pgvector's own Python adapter does), interleaved, ratio of the total times.

Prints the figures; the last line is one JSON object with ``recall_at_10``,
``search_p95_ms`` and ``overhead_ratio`` beside the raw figures.

    python benchmarks/vectors.py                 # the full 100,000 x 384 run (a few minutes)
    python benchmarks/vectors.py --count 20000   # quicker

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--dimension", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--recall-queries", type=int, default=100)
    parser.add_argument("--m", type=int, default=16)
    parser.add_argument("--ef-construction", type=int, default=64)
    parser.add_argument("--ef-search", type=int, default=100)
    parser.add_argument("--maintenance-work-mem", default="1GB")
    args = parser.parse_args()

    url = postgres.url()
    print(f"pgvector at {mask_url(url)}: {args.count:,} x {args.dimension} vectors, cosine", flush=True)
    lib = Vectors(url)
    figures: dict = {
        "count": args.count,
        "dimension": args.dimension,
        "m": args.m,
        "ef_construction": args.ef_construction,
        "ef_search": args.ef_search,
    }
    try:
        keyword(lib, "Connect To Vector Store")
        physical = keyword(lib, "Create Collection", "bench", args.dimension)
        coll = lib.ctx.resolve("bench")

        t0 = time.perf_counter()
        vectors = data.seeded_vectors(args.count, args.dimension, seed=1)
        generate_s = time.perf_counter() - t0
        ids = [f"doc-{i}" for i in range(args.count)]
        t0 = time.perf_counter()
        timings = lib.ctx.upsert(coll, ids, vectors, None, 5000)
        load_s = time.perf_counter() - t0
        figures["upsert_points_per_s"] = round(args.count / load_s, 1)
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
        figures["index_build_s"] = round(time.perf_counter() - t0, 1)
        print(
            f"HNSW index (m={args.m}, ef_construction={args.ef_construction}) built in {figures['index_build_s']} s",
            flush=True,
        )
        index = keyword(lib, "Search Should Use Index")
        print(f"the search uses {index} (no planner settings changed)", flush=True)

        for ef in sorted({40, args.ef_search, 200}):
            t0 = time.perf_counter()
            recall = keyword(lib, "Get Recall At K", 10, queries=args.recall_queries, ef_search=ef)
            figures[f"recall_at_10_ef{ef}"] = round(recall, 4)
            print(
                f"recall@10 with ef_search={ef}: {recall:.4f} over {args.recall_queries} queries "
                f"({time.perf_counter() - t0:.1f} s)",
                flush=True,
            )
        figures["recall_at_10"] = figures[f"recall_at_10_ef{args.ef_search}"]

        p95 = keyword(lib, "Get Search Latency", "p95", queries=args.queries, ef_search=args.ef_search)
        latency = lib.ctx.last["latency"]
        figures.update({f"search_{k}_ms": round(v, 3) for k, v in latency.items() if k != "count"})
        figures["search_p95_ms"] = round(p95, 3)
        print(
            "search latency (ms): " + ", ".join(f"{k} {v:.2f}" for k, v in latency.items() if k != "count"), flush=True
        )

        # overhead: the keyword against bare psycopg2, same queries, same session settings, interleaved
        queries = data.queries_near_points(coll, args.queries, 23, 0.1)
        raw = psycopg2.connect(url, application_name="crosscheck-bench-raw")
        raw.autocommit = True
        cur = raw.cursor()
        cur.execute("SET hnsw.ef_search = %s", (args.ef_search,))
        sql = (
            f'SELECT id, payload, embedding <=> %s::vector AS distance FROM "{physical.split(".")[0]}".'
            f'"{physical.split(".")[1]}" ORDER BY embedding <=> %s::vector LIMIT 10'
        )
        lib_ms, raw_ms = [], []
        for i, q in enumerate(queries):
            qlist = q.tolist()
            order = (0, 1) if i % 2 == 0 else (1, 0)
            for which in order:
                if which == 0:
                    t0 = time.perf_counter()
                    keyword(lib, "Search Vectors", qlist, top=10, ef_search=args.ef_search)
                    lib_ms.append((time.perf_counter() - t0) * 1000)
                else:
                    t0 = time.perf_counter()
                    text = raw_vector(qlist)
                    cur.execute(sql, (text, text))
                    cur.fetchall()
                    raw_ms.append((time.perf_counter() - t0) * 1000)
        raw.close()
        ratio = sum(lib_ms) / sum(raw_ms)
        figures["keyword_search_p50_ms"] = round(summary(lib_ms)["p50"], 3)
        figures["raw_psycopg2_search_p50_ms"] = round(summary(raw_ms)["p50"], 3)
        figures["overhead_ratio"] = round(ratio, 3)
        print(
            f"Search Vectors keyword vs bare psycopg2 over {len(queries)} queries: p50 "
            f"{figures['keyword_search_p50_ms']:.2f} ms vs {figures['raw_psycopg2_search_p50_ms']:.2f} ms; "
            f"total ratio {ratio:.3f} (target <= 1.1)",
            flush=True,
        )
    finally:
        lib.close()
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
