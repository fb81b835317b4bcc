"""The demo's bounded Postgres pool, against the real server."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import demo_gateway
from demo_gateway.pool import Pool, PoolTimeout
from demo_gateway.settings import KEYS
from demo_shared import config


def test_pool_lends_size_plus_overflow_then_times_out(postgres_url):
    pool = Pool(postgres_url, "crosscheck-demo-pooltest", size=2, overflow=1, timeout=0.5)
    try:
        held = [pool.acquire() for _ in range(3)]
        assert (pool.in_use, pool.idle, pool.waiting) == (3, 0, 0)
        started = time.monotonic()
        with pytest.raises(
            PoolTimeout,
            match=r"no database connection free within 0\.5 s "
            r"\(pool size 2, overflow 1, all 3 in use\)",
        ):
            pool.acquire()
        assert 0.4 < time.monotonic() - started < 5
        for conn in held:
            pool.release(conn)
        assert (pool.in_use, pool.idle) == (0, 2)  # the overflow connection was closed
        assert sum(c.closed for c in held) == 1
    finally:
        pool.close()


def test_a_waiter_is_counted_and_served_when_a_connection_returns(postgres_url):
    pool = Pool(postgres_url, "crosscheck-demo-pooltest", size=1, overflow=0, timeout=5)
    try:
        first = pool.acquire()
        got = []
        waiter = threading.Thread(target=lambda: got.append(pool.acquire()))
        waiter.start()
        deadline = time.monotonic() + 5
        while pool.waiting != 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert pool.waiting == 1
        pool.release(first)
        waiter.join(5)
        assert got == [first] and pool.waiting == 0 and pool.in_use == 1
        with got[0].cursor() as cur:
            cur.execute("SELECT current_setting('application_name')")
            assert cur.fetchone()[0] == "crosscheck-demo-pooltest"
        pool.release(got[0])
    finally:
        pool.close()


def test_pool_settings_come_from_the_gateway_configuration(monkeypatch, postgres_url):
    pool = Pool(postgres_url, "x")
    assert (pool.size, pool.overflow, pool.timeout, pool.query_timeout) == (20, 10, 30, 5)  # seed 002's
    monkeypatch.setenv("GATEWAY_POOL_SIZE", "5")
    monkeypatch.setenv("GATEWAY_POOL_OVERFLOW", "2")
    monkeypatch.setenv("GATEWAY_POOL_TIMEOUT", "1.5")
    monkeypatch.setenv("GATEWAY_POSTGRES_URL", postgres_url)
    cfg = config.load("gateway", KEYS, Path(demo_gateway.__file__).parent)
    assert (cfg["pool_size"], cfg["pool_overflow"], cfg["pool_timeout"]) == (5, 2, 1.5)


def test_a_connection_killed_on_the_server_is_replaced(postgres_url):
    import psycopg2

    pool = Pool(postgres_url, "crosscheck-demo-pooltest", size=1, overflow=0, timeout=5)
    admin = psycopg2.connect(postgres_url)
    admin.autocommit = True
    try:
        first_pid = pool.run(lambda conn: conn.get_backend_pid())
        with admin.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(%s)", (first_pid,))
        time.sleep(0.2)
        second_pid = pool.run(lambda conn: (conn.cursor().execute("SELECT 1"), conn.get_backend_pid())[1])
        assert second_pid != first_pid and (pool.in_use, pool.idle) == (0, 1)
    finally:
        admin.close()
        pool.close()
