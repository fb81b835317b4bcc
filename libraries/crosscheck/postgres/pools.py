"""Connections as the server sees them: pg_stat_activity by application name and state,
N concurrent sessions, table locks that make a client's pool fill up (pool exhaustion
tests), and HTTP requests sent at once in the background.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from time import perf_counter
from typing import Any

import psycopg2
from psycopg2 import sql

from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.postgres.context import PostgresContext
from crosscheck.postgres.helpers import quoted
from crosscheck.services.api import Burst

LOCK_MODES = {
    "ACCESS SHARE",
    "ROW SHARE",
    "ROW EXCLUSIVE",
    "SHARE UPDATE EXCLUSIVE",
    "SHARE",
    "SHARE ROW EXCLUSIVE",
    "EXCLUSIVE",
    "ACCESS EXCLUSIVE",
}
STATES = {
    "active",
    "idle",
    "idle in transaction",
    "idle in transaction (aborted)",
    "fastpath function call",
    "disabled",
}
ACTIVITY_KEYS = (
    "pid",
    "application_name",
    "database",
    "state",
    "wait_event_type",
    "wait_event",
    "connected_seconds",
    "state_seconds",
    "query",
)


def like(pattern: str) -> str:
    """A glob (``crosscheck-demo-*``) as a LIKE pattern."""
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def activity(
    ctx: PostgresContext,
    application_name: str | None,
    state: str | None,
    waiting_on_lock: bool = False,
    older_than: float = 0.0,
    all_databases: bool = False,
) -> list[dict]:
    """Client connections from ``pg_stat_activity`` (the library's own excluded), one dict each."""
    if state is not None and state not in STATES:
        raise ConfigurationError(f"Unknown connection state {state!r}; use one of {', '.join(sorted(STATES))}.")
    clauses = [sql.SQL("pid <> pg_backend_pid()"), sql.SQL("backend_type = 'client backend'")]
    params: list[Any] = []
    if not all_databases:
        clauses.append(sql.SQL("datname = current_database()"))
    if application_name:
        clauses.append(sql.SQL("application_name LIKE %s"))
        params.append(like(application_name))
    if state:
        clauses.append(sql.SQL("state = %s"))
        params.append(state)
    if waiting_on_lock:
        clauses.append(sql.SQL("wait_event_type = 'Lock'"))
    if older_than:
        clauses.append(sql.SQL("now() - COALESCE(state_change, backend_start) >= %s * interval '1 second'"))
        params.append(older_than)
    rows = ctx.query(
        sql.SQL("""
        SELECT pid, application_name, datname, state, wait_event_type, wait_event,
               round(extract(epoch FROM now() - backend_start)::numeric, 1),
               round(extract(epoch FROM now() - COALESCE(state_change, backend_start))::numeric, 1),
               left(query, 200)
        FROM pg_stat_activity WHERE {} ORDER BY application_name, pid""").format(sql.SQL(" AND ").join(clauses)),
        params,
        "reading pg_stat_activity",
    )
    return [dict(zip(ACTIVITY_KEYS, r)) for r in rows]


def open_sessions(ctx: PostgresContext, sessions: int, application_name: str) -> list:
    """``sessions`` connections named ``application_name``; none left open if one fails."""
    conns: list = []
    try:
        for _ in range(sessions):
            conns.append(ctx.connect(application_name=application_name))
    except CrosscheckError as err:
        for c in conns:
            c.close()
        raise CrosscheckError(f"Could open only {len(conns)} of {sessions} sessions: {err}") from None
    return conns


def run_at_once(conns: list, query: str, parameters, timeout: timedelta) -> tuple[list[Any], float]:
    """Run ``query`` on every connection at the same moment, then close them all.

    One result per connection, in order: its seconds, or the error (None: no answer
    within ``timeout``); and the elapsed seconds of the whole run.
    """
    barrier = threading.Barrier(len(conns))
    results: list[Any] = [None] * len(conns)

    def run(i: int, conn) -> None:
        try:
            barrier.wait(timeout.total_seconds())
            start = perf_counter()
            with conn.cursor() as cur:
                cur.execute(query, parameters)
                if cur.description:
                    cur.fetchall()
            results[i] = perf_counter() - start
        except (psycopg2.Error, threading.BrokenBarrierError) as err:
            results[i] = err

    started = perf_counter()
    threads = [threading.Thread(target=run, args=(i, c), daemon=True) for i, c in enumerate(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout.total_seconds())
    elapsed = perf_counter() - started
    for c in conns:
        try:
            c.cancel()
        except psycopg2.Error:
            pass
        c.close()
    return results, elapsed


def lock_table(ctx: PostgresContext, schema: str, name: str, mode: str, application_name: str) -> tuple[Any, int]:
    """A new session holding a ``mode`` lock on ``schema.name`` in an open transaction; ``(connection, pid)``."""
    conn = ctx.connect(application_name=application_name, autocommit=False)
    try:
        with conn.cursor() as cur:
            cur.execute("SET LOCAL lock_timeout = '5s'")
            cur.execute(sql.SQL("LOCK TABLE {} IN " + mode + " MODE").format(quoted(schema, name)))
            cur.execute("SELECT pg_backend_pid()")
            pid = cur.fetchone()[0]
    except psycopg2.Error as err:
        conn.close()
        raise ctx.error(err, f"Locking {schema}.{name}") from None
    return conn, pid


def release(ctx: PostgresContext, conn) -> None:
    """End the lock session ``conn`` (rolled back and closed)."""
    if conn in ctx.locks:
        ctx.locks.remove(conn)
    if not conn.closed:
        conn.rollback()
        conn.close()


def send_requests(url: str, count: int, headers: dict | None, timeout: timedelta) -> tuple[Burst, Any]:
    """``count`` HTTP GET requests to ``url`` at once, in the background (:class:`~crosscheck.services.api.Burst`).

    The burst and a function that waits for it (used as its undo action).
    """
    burst = Burst("GET", url, count, headers, timeout=timeout.total_seconds()).start()

    def finish() -> None:
        burst.wait(timeout.total_seconds())

    return burst, finish
