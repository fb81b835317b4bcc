"""Query latency: N timed runs after a warm-up; query plans and the indexes they use."""

from __future__ import annotations

import json
from time import perf_counter

import psycopg2

from crosscheck.postgres.context import PostgresContext
from crosscheck.postgres.helpers import short

STATISTICS = ("min", "p50", "p95", "p99", "max", "mean")


def measure(conn, query: str, parameters=None, runs: int = 50, warmup: int = 5) -> list[float]:
    """Seconds per execution (execute + fetch all rows) of ``runs`` runs after ``warmup`` untimed ones."""
    with conn.cursor() as cur:
        for _ in range(warmup):
            cur.execute(query, parameters)
            if cur.description:
                cur.fetchall()
        samples: list[float] = []
        append = samples.append
        for _ in range(runs):
            start = perf_counter()
            cur.execute(query, parameters)
            if cur.description:
                cur.fetchall()
            append(perf_counter() - start)
    return samples


def _walk(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _walk(child)


def plan_scans(plan_json) -> dict[str, list[str]]:
    """``{"indexes": [...], "seq_scans": [...]}`` from an ``EXPLAIN (FORMAT JSON)`` result."""
    if isinstance(plan_json, str):
        plan_json = json.loads(plan_json)
    root = plan_json[0]["Plan"]
    indexes, seq = [], []
    for node in _walk(root):
        if node.get("Index Name"):
            indexes.append(node["Index Name"])
        if node.get("Node Type") == "Seq Scan":
            rel = node.get("Relation Name", "?")
            schema = node.get("Schema")
            seq.append(f"{schema}.{rel}" if schema else rel)
    return {"indexes": list(dict.fromkeys(indexes)), "seq_scans": list(dict.fromkeys(seq))}


def explain(
    ctx: PostgresContext,
    query: str,
    parameters=None,
    analyze: bool = False,
    fmt: str = "TEXT",
    force_index: bool = False,
):
    """EXPLAIN inside a transaction that is rolled back: ANALYZE never leaves changes behind.

    The plan as text, or the parsed JSON with ``fmt="JSON"``; ``force_index`` plans with
    ``enable_seqscan = off``.
    """
    options = "ANALYZE, BUFFERS, VERBOSE, " if analyze else "VERBOSE, "
    conn = ctx.conn
    conn.autocommit = False
    try:
        with conn.cursor() as cur:
            if force_index:
                cur.execute("SET LOCAL enable_seqscan = off")
            cur.execute(f"EXPLAIN ({options}FORMAT {fmt}) {query}", parameters)
            rows = cur.fetchall()
    except psycopg2.Error as err:
        raise ctx.error(err, f"EXPLAIN of {short(query)} in database {ctx.database}") from None
    finally:
        conn.rollback()
        conn.autocommit = True
    if fmt == "JSON":
        return rows[0][0]
    return "\n".join(r[0] for r in rows)
