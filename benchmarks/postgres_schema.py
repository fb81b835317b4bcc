"""Benchmark crosscheck.Postgres: a large schema diffed against its expected file, and
the query-timing loop against a bare psycopg2 loop, measured in one run.

    python benchmarks/postgres_schema.py [--tables 500] [--runs 2000]

Builds a scratch schema (``cc_<pid>_<n>_bench``: 500 tables, 5,000 columns, 1,000
indexes) in the test database (``CROSSCHECK_POSTGRES_URL`` or the embedded
stack) and writes its expected-schema file. ``diff_seconds`` is what
`Database Schema Should Match` does per call: read the live catalog and compare
everything; loading the YAML file is reported beside it
(``expected_file_load_seconds``, ``diff_with_file_load_seconds``). The schema is
dropped at the end. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from psycopg2 import sql

from crosscheck import namespace
from crosscheck.postgres import catalog, schemafile
from crosscheck.postgres.diff import diff
from crosscheck.postgres.dump import dump_text
from crosscheck.postgres.timing import measure
from crosscheck.services.postgres import connect


def build(conn, name: str, tables: int, columns: int) -> None:
    with conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
        conn.autocommit = False
        for t in range(tables):
            table = sql.Identifier(name, f"t{t:04d}")
            cols = [sql.SQL("id bigserial PRIMARY KEY")]
            types = [
                "text",
                "integer",
                "jsonb",
                "timestamp DEFAULT now()",
                "varchar(50)",
                "numeric(12,4)",
                "boolean NOT NULL DEFAULT false",
                "bigint",
                "double precision",
            ]
            cols += [sql.SQL(f"c{c} {types[c % len(types)]}") for c in range(1, columns)]
            cur.execute(sql.SQL("CREATE TABLE {} ({})").format(table, sql.SQL(", ").join(cols)))
            cur.execute(
                sql.SQL("CREATE INDEX {} ON {} (c1, c2 DESC)").format(sql.Identifier(f"idx_t{t:04d}_c1"), table)
            )
        conn.commit()
        conn.autocommit = True


def time_diff(conn, path: Path, rounds: int = 5) -> dict:
    """Median seconds of: loading the file; reading the live catalog plus comparing (the diff)."""
    load, diffs, read, compare, found = [], [], [], [], None
    for _ in range(rounds):
        schemafile._CACHE.clear()  # time a first read of the file, not the cache
        start = time.perf_counter()
        expected = schemafile.load_expected(path)
        loaded = time.perf_counter()
        actual = catalog.read_schema(conn, list(expected["schemas"]))
        mid = time.perf_counter()
        found = diff(expected, actual)
        end = time.perf_counter()
        load.append(loaded - start)
        diffs.append(end - loaded)
        read.append(mid - loaded)
        compare.append(end - mid)
    med = statistics.median
    return {
        "diff_seconds": med(diffs),
        "read_seconds": med(read),
        "compare_seconds": med(compare),
        "load_seconds": med(load),
        "differences": len(found),
    }


def bare_loop(conn, query: str, runs: int) -> None:
    with conn.cursor() as cur:
        for _ in range(runs):
            cur.execute(query)
            if cur.description:
                cur.fetchall()


def time_overhead(conn, runs: int, rounds: int = 7) -> dict:
    query = "SELECT 1"
    bare, timed = [], []
    bare_loop(conn, query, 200)  # warm the connection
    for _ in range(rounds):  # interleaved, so drift hits both alike
        start = time.perf_counter()
        bare_loop(conn, query, runs)
        bare.append(time.perf_counter() - start)
        start = time.perf_counter()
        measure(conn, query, None, runs, 0)
        timed.append(time.perf_counter() - start)
    b, t = statistics.median(bare), statistics.median(timed)
    return {
        "bare_loop_seconds": b,
        "timed_loop_seconds": t,
        "timing_overhead_ratio": t / b,
        "runs_per_loop": runs,
        "bare_us_per_query": b / runs * 1e6,
        "timed_us_per_query": t / runs * 1e6,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=500)
    parser.add_argument("--columns", type=int, default=10, help="columns per table (including id)")
    parser.add_argument("--runs", type=int, default=2000, help="queries per timing loop")
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)

    from crosscheck import config
    from crosscheck.services import postgres

    url = args.database_url or config.configured("postgres") or postgres.url()
    conn = connect(url, application_name="crosscheck-benchmark")
    name = namespace.new("bench")
    try:
        start = time.perf_counter()
        build(conn, name, args.tables, args.columns)
        build_seconds = time.perf_counter() - start
        shape = catalog.read_schema(conn, [name])["schemas"][name]["tables"]
        n_cols = sum(len(t["columns"]) for t in shape.values())
        n_idx = sum(len(t["indexes"]) for t in shape.values())
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "expected.yaml"
            start = time.perf_counter()
            path.write_text(dump_text(conn, [name], "benchmark"))
            dump_seconds = time.perf_counter() - start
            figures = time_diff(conn, path)
            json_path = Path(tmp) / "expected.json"
            json_path.write_text(dump_text(conn, [name], "benchmark", as_json=True))
            json_figures = time_diff(conn, json_path)
            if figures["differences"]:
                raise SystemExit(f"expected no differences, found {figures['differences']}")
            # the same diff when things changed: drop a column from every tenth table
            with conn.cursor() as cur:
                for t in range(0, args.tables, 10):
                    cur.execute(sql.SQL("ALTER TABLE {} DROP COLUMN c3").format(sql.Identifier(name, f"t{t:04d}")))
            changed = time_diff(conn, path, rounds=3)
        overhead = time_overhead(conn, args.runs)
    finally:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))
        conn.close()

    result = {
        "tables": len(shape),
        "columns": n_cols,
        "indexes": n_idx,
        "diff_seconds": round(figures["diff_seconds"], 4),
        "diff_read_catalog_seconds": round(figures["read_seconds"], 4),
        "diff_compare_seconds": round(figures["compare_seconds"], 4),
        "expected_file_load_seconds": round(figures["load_seconds"], 4),
        "diff_with_file_load_seconds": round(figures["diff_seconds"] + figures["load_seconds"], 4),
        "expected_json_load_seconds": round(json_figures["load_seconds"], 4),
        "diff_with_json_load_seconds": round(json_figures["diff_seconds"] + json_figures["load_seconds"], 4),
        "diff_seconds_with_differences": round(changed["diff_seconds"], 4),
        "differences_found": changed["differences"],
        "dump_seconds": round(dump_seconds, 4),
        "build_seconds": round(build_seconds, 2),
        "timing_overhead_ratio": round(overhead["timing_overhead_ratio"], 4),
        "bare_us_per_query": round(overhead["bare_us_per_query"], 1),
        "timed_us_per_query": round(overhead["timed_us_per_query"], 1),
        "runs_per_loop": overhead["runs_per_loop"],
        "targets": {"diff_seconds": 1.0, "timing_overhead_ratio": 1.1},
    }
    print(
        f"schema: {result['tables']} tables, {result['columns']} columns, {result['indexes']} indexes "
        f"(built in {build_seconds:.1f} s)"
    )
    print(
        f"diff (read live catalog + compare), median of 5: {result['diff_seconds']:.3f} s "
        f"(read {result['diff_read_catalog_seconds']:.3f} s, compare {result['diff_compare_seconds']:.3f} s); "
        f"with {changed['differences']} differences: {result['diff_seconds_with_differences']:.3f} s"
    )
    print(
        f"loading the expected-schema file ({result['columns']} columns): {result['expected_file_load_seconds']:.3f} s;"
        f" load + diff: {result['diff_with_file_load_seconds']:.3f} s; as JSON: load "
        f"{result['expected_json_load_seconds']:.3f} s, load + diff {result['diff_with_json_load_seconds']:.3f} s"
    )
    print(
        f"timing loop vs bare psycopg2 loop ({args.runs} x SELECT 1): {result['timed_us_per_query']} us vs "
        f"{result['bare_us_per_query']} us per query, ratio {result['timing_overhead_ratio']:.3f}"
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
