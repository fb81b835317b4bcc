"""Query timing, plans and connection keywords against a real Postgres: slow queries that
use no index, index assertions, pg_stat_activity by application name and state, leaks,
idle-in-transaction sessions, concurrent sessions and table locks."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from datetime import timedelta

import psycopg2
import pytest
from postgres_support import run

from crosscheck.assertions import AssertionOperator
from crosscheck.errors import ConfigurationError, CrosscheckError

LT = AssertionOperator["<"]
EQ = AssertionOperator["=="]


@pytest.fixture
def big(raw, scratch):
    run(
        raw,
        f"""
        CREATE TABLE {scratch}.entries AS
            SELECT g AS id, 'cat' || (g % 500) AS category, md5(g::text) AS note
            FROM generate_series(1, 20000) AS g;
        CREATE INDEX idx_entries_category ON {scratch}.entries (category);
        ANALYZE {scratch}.entries;""",
    )
    return f"{scratch}.entries"


def test_latency_figures_and_passing_assertion(pg, big):
    query = f"SELECT * FROM {big} WHERE category = %s"
    p50 = pg.get_query_latency(query, "p50", runs=20, warmup=2, parameters=["cat7"])
    p95 = pg.get_query_latency(query, "p95", LT, "5 s", runs=20, warmup=2, parameters=["cat7"])
    assert 0 < p50 < 5000 and 0 < p95 < 5000
    with pytest.raises(ConfigurationError, match="Unknown statistic 'p42'"):
        pg.get_query_latency("SELECT 1", "p42")
    with pytest.raises(CrosscheckError, match="Query SELECT nope FROM nowhere failed in database"):
        pg.get_query_latency("SELECT nope FROM nowhere")


def test_slow_query_names_the_sequential_scan(pg, big):
    query = f"SELECT count(*) FROM {big} WHERE note LIKE '%%ab%%'"
    with pytest.raises(CrosscheckError) as err:
        pg.get_query_latency(query, "p95", LT, "0.001 ms", runs=3, warmup=1)
    message = str(err.value)
    assert message.startswith("Query too slow: p95 ")
    assert "expected < 0.001 ms (3 runs" in message
    assert f"no index used (sequential scan on {big})" in message


def test_slow_query_that_uses_an_index_says_so(pg, big):
    with pytest.raises(CrosscheckError, match="indexes used: idx_entries_category"):
        pg.get_query_latency(f"SELECT * FROM {big} WHERE category = 'cat3'", "max", LT, "0.001 ms", runs=2)


def test_query_should_use_index(pg, big):
    pg.query_should_use_index(f"SELECT * FROM {big} WHERE category = 'cat3'", "idx_entries_category")
    assert pg.get_indexes_used_by_query(f"SELECT * FROM {big} WHERE category = %s", ["cat3"]) == [
        "idx_entries_category"
    ]
    with pytest.raises(CrosscheckError) as err:
        pg.query_should_use_index(
            f"SELECT * FROM {big} WHERE lower(category) = 'cat3'", "idx_entries_category", force_index=True
        )
    assert str(err.value).startswith(
        f"Query does not use index idx_entries_category: indexes used: none; sequential scan on {big}"
    )
    plan = pg.get_query_plan(f"DELETE FROM {big}", analyze=True)
    assert "Delete on" in plan
    assert run(pg.ctx.conn, f"SELECT count(*) FROM {big}") == [(20000,)]  # ANALYZE was rolled back


def _open(url, app, n=1):
    conns = []
    for _ in range(n):
        c = psycopg2.connect(url, application_name=app)
        c.autocommit = True
        conns.append(c)
    return conns


def test_connections_by_application_and_leaks(pg, postgres_url):
    app = f"cc-leak-{time.monotonic_ns()}"
    conns = _open(postgres_url, app, 3)
    try:
        assert pg.get_connection_count(app) == 3
        assert pg.get_connection_count(app.replace("leak", "*"), EQ, 3, state="idle") == 3
        rows = pg.get_connections(app)
        assert {r["application_name"] for r in rows} == {app} and len(rows) == 3
        with pytest.raises(CrosscheckError) as err:
            pg.connection_count_should_drop_to(app, 1, timeout=timedelta(seconds=0.5))
        assert str(err.value).startswith(
            f"Connection leak: {app} still holds 3 connections after 0.5 s, expected at most 1"
        )
        threading.Timer(0.5, lambda: [c.close() for c in conns]).start()
        assert pg.connection_count_should_drop_to(app, 0, timeout=timedelta(seconds=10)) == 0
    finally:
        for c in conns:
            c.close()
    with pytest.raises(ConfigurationError, match="Unknown connection state 'sleeping'"):
        pg.get_connection_count(app, state="sleeping")


def test_idle_in_transaction(pg, postgres_url):
    app = f"cc-idle-{time.monotonic_ns()}"
    (conn,) = _open(postgres_url, app)
    try:
        conn.autocommit = False
        conn.cursor().execute("SELECT 1")
        time.sleep(0.3)
        assert pg.get_idle_in_transaction_count(app, timedelta(0)) == 1
        assert pg.get_idle_in_transaction_count(app, timedelta(seconds=60)) == 0
        with pytest.raises(
            CrosscheckError,
            match=rf"1 session idle in transaction for 0.1 s or more .*pid \d+ {app} "
            "idle in transaction",
        ):
            pg.no_connection_should_be_idle_in_transaction(app, timedelta(seconds=0.1))
        conn.rollback()
        pg.no_connection_should_be_idle_in_transaction(app, timedelta(0))
    finally:
        conn.close()


def test_concurrent_sessions(pg):
    result = pg.run_concurrent_sessions("SELECT pg_sleep(0.2)", 10)
    assert result["succeeded"] == 10 and result["connected_at_once"] == 10
    with pytest.raises(CrosscheckError, match="3 of 3 concurrent sessions failed: session 1: .*division by zero"):
        pg.run_concurrent_sessions("SELECT 1/0", 3)


def test_lock_table_blocks_others_until_released(pg, postgres_url, big):
    pid = pg.lock_table(big)
    assert pid > 0
    app = f"cc-wait-{time.monotonic_ns()}"
    (conn,) = _open(postgres_url, app)
    errors = []

    def blocked():
        try:
            conn.cursor().execute(f"SELECT count(*) FROM {big}")
        except psycopg2.Error as err:
            errors.append(err)

    t = threading.Thread(target=blocked)
    t.start()
    try:
        deadline = time.monotonic() + 10
        while pg.get_connection_count(app, waiting_on_lock=True) < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert pg.get_connection_count(app, EQ, 1, state="active", waiting_on_lock=True) == 1
    finally:
        pg.release_table_locks()
        t.join(10)
        conn.close()
    assert not errors and not t.is_alive()
    with pytest.raises(ConfigurationError, match="Unknown lock mode 'TOTAL'"):
        pg.lock_table(big, "total")


def test_latency_table_for_several_queries(pg, big):
    figures = pg.log_query_latency_table({"count": f"SELECT count(*) FROM {big}", "one": "SELECT 1"}, runs=3)
    assert set(figures) == {"count", "one"} and all(v > 0 for v in figures.values())
    with pytest.raises(CrosscheckError, match="Query broken failed in database"):
        pg.log_query_latency_table({"broken": "SELEC 1"}, runs=1)


def test_waiting_for_requests_never_started_is_an_error(pg):
    with pytest.raises(ConfigurationError, match="No concurrent requests to wait for; use `Start Concurrent Requests`"):
        pg.wait_for_concurrent_requests(timedelta(seconds=1))


def test_concurrent_requests_wait_in_the_api_pool_behind_a_lock(pg, raw, api_url):
    from demo_gateway.keys import create_key

    conn = psycopg2.connect(pg.ctx.url)
    key, record = create_key(conn, "600/minute", f"TEST_pytest_pool_{time.monotonic_ns()}")
    conn.close()
    pg.register_test_row("api_keys", name=record.name)
    pg.lock_table("cache_entries")
    pg.start_concurrent_requests(f"{api_url}/v1/universes/TEST_pytest_none", 3, headers={"X-API-Key": key})
    deadline = time.monotonic() + 10
    while pg.get_connection_count("crosscheck-demo-api", waiting_on_lock=True) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pg.get_connection_count("crosscheck-demo-api", waiting_on_lock=True) >= 3
    with pytest.raises(
        CrosscheckError,
        match=rf"3 of 3 requests to {re.escape(api_url)}/v1/universes/TEST_pytest_none did not answer within 0.3 s",
    ):
        pg.wait_for_concurrent_requests(timedelta(seconds=0.3))
    pg.release_table_locks()
    assert pg.wait_for_concurrent_requests(timedelta(seconds=20)) == [404, 404, 404]
    pg.connection_count_should_drop_to("crosscheck-demo-api", 0, state="active", timeout=timedelta(seconds=10))


def test_export_postgres_url_hands_the_address_to_child_processes(pg, monkeypatch):
    monkeypatch.delenv("CC_TEST_EXPORTED_URL", raising=False)
    assert pg.export_postgres_url("CC_TEST_EXPORTED_URL") is None
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, psycopg2; c = psycopg2.connect(os.environ['CC_TEST_EXPORTED_URL']);"
            "cur = c.cursor(); cur.execute('SELECT current_database()'); print(cur.fetchone()[0])",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert child.stdout.strip() == pg.get_database_name()
