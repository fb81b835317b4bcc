"""The demo under faults of its Redis and Postgres: outages, restarts, resets, hangs and latency.

Everything runs on real servers of this module's own (a Redis and a Postgres started here,
stopped and deleted at the end), so restarting or breaking them disturbs nobody else. The
faults come from the servers themselves (an immediate shutdown of Postgres, as
``pg_ctl stop -m immediate``) or from :class:`Relay`, a TCP relay placed between the demo and
a server that refuses, resets, hangs (passes no data without closing), delays, or cuts the
connection that carries a given statement.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import struct
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import httpx
import psycopg2
import pytest
import redis
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from redis.backoff import NoBackoff
from redis.retry import Retry

from crosscheck_demo import launch, migrate
from demo_gateway import keys
from demo_gateway.app import OPENAPI_PATH
from demo_gateway.pool import Pool
from demo_shared import faults as demo_faults
from demo_shared.contracts import stream_name

UNIVERSE_CHANNEL = "tickstock.universe.updated"
SEARCH = {"vector": [1, 0, 0, 0, 0, 0, 0, 0], "top_k": 3}


# -- a breakable TCP path -------------------------------------------------------------------
class Relay:
    """Relays 127.0.0.1:``port`` to 127.0.0.1:``target_port``; ``set(mode)`` breaks it.

    Modes: ``pass``; ``refuse`` (nothing listens: connections are refused; open ones are
    reset); ``reset`` (every connection, open or new, is reset); ``hang`` (connections are
    accepted and kept, but no data passes either way: it is dropped). ``delay`` seconds are
    added before each chunk from the server. ``cut_on`` resets the connection whose client
    sends those bytes (before they reach the server), every time or, with ``cut_once``, once.
    """

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.mode = "pass"
        self.delay = 0.0
        self.cut_on: bytes | None = None
        self.cut_once = False
        self.cuts = 0
        self._links: set[tuple] = set()
        self._server = None
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="relay", daemon=True)
        self._thread.start()
        self._call(self._listen())

    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    async def _listen(self):
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port, reuse_address=True)

    async def _accept(self, client_reader, client_writer):
        if self.mode == "reset":
            _reset(client_writer)
            return
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            _reset(client_writer)
            return
        link = (client_writer, server_writer)
        self._links.add(link)
        try:
            await asyncio.gather(
                self._pump(client_reader, server_writer, link, upstream=True),
                self._pump(server_reader, client_writer, link, upstream=False),
            )
        finally:
            self._links.discard(link)

    async def _pump(self, reader, writer, link, upstream: bool):
        try:
            while data := await reader.read(65536):
                if upstream and self.cut_on is not None and self.cut_on in data:
                    self.cuts += 1
                    if self.cut_once:
                        self.cut_on = None
                    for w in link:
                        _reset(w)
                    return
                if self.mode == "hang":
                    continue  # dropped, as a timeout toxic does
                if not upstream and self.delay:
                    await asyncio.sleep(self.delay)
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            for w in link:
                w.close()

    async def _set(self, mode: str):
        self.mode = mode
        if mode in ("refuse", "reset"):
            for link in list(self._links):
                for w in link:
                    _reset(w)
        if mode == "refuse" and self._server is not None:
            self._server.close()
            self._server = None
        elif mode != "refuse" and self._server is None:
            await self._listen()

    def set(self, mode: str) -> None:
        self._call(self._set(mode))

    def close(self) -> None:
        self._call(self._set("refuse"))
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


def _reset(writer) -> None:
    """Close with RST, as a peer that resets the connection does."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


# -- servers and demos of this module's own ---------------------------------------------------
@pytest.fixture(scope="module")
def servers():
    from crosscheck.ports import free_port
    from crosscheck.stack.servers import PostgresServer, RedisServer

    root = Path(tempfile.mkdtemp(prefix="crosscheck-demo-resilience-"))
    os.chmod(root, 0o755)  # Postgres runs as nobody when the tests run as root
    rds = RedisServer(free_port(), root / "redis", root)
    pg = PostgresServer(free_port(), root / "pg", root)
    try:
        rds.start()
        pg.start()
        migrate.apply(pg.url)
        yield SimpleNamespace(redis=rds, pg=pg, root=root)
    finally:
        rds.stop()
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def redis_url_private(servers):
    return f"redis://127.0.0.1:{servers.redis.port}/0"


@pytest.fixture
def relays():
    made = []

    def make(target_port: int) -> Relay:
        made.append(Relay(target_port))
        return made[-1]

    yield make
    for relay in made:
        relay.close()


@pytest.fixture
def demos(tmp_path, monkeypatch):
    """Starts demos (with faults if asked); stops them all at the end of the test."""
    started = []

    def start(redis_url: str, postgres_url: str, faults: str = "") -> launch.Handle:
        for variable in ("GATEWAY_FAULTS", "CONSUMER_FAULTS"):
            monkeypatch.delenv(variable, raising=False)
        for variable, names in demo_faults.environment(faults.split(",") if faults else []).items():
            monkeypatch.setenv(variable, names)
        handle = launch.start(redis_url, postgres_url, tmp_path / f"logs-{len(started)}")
        started.append(handle)
        return handle

    yield start
    for handle in started:
        handle.stop()


def fetch(servers, sql: str, args=()):
    """One query on a connection of its own (the module's may have died with a restart)."""
    conn = psycopg2.connect(servers.pg.url, connect_timeout=2)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()
    finally:
        conn.close()


def new_key(servers, rate: str = "100000/minute") -> str:
    conn = psycopg2.connect(servers.pg.url)
    try:
        key, _ = keys.create_key(conn, rate, "resilience")
    finally:
        conn.close()
    return key


@pytest.fixture(scope="module")
def spec():
    doc = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    doc["servers"] = [{"url": "http://127.0.0.1"}]
    return OpenAPI.from_dict(doc)


def conforms(spec, response: httpx.Response) -> httpx.Response:
    """Raise unless the response is one the demo's OpenAPI document allows; return it."""
    req = response.request
    spec.validate_response(
        MockRequest("http://127.0.0.1", req.method.lower(), req.url.path, data=req.content or None),
        MockResponse(
            response.content,
            status_code=response.status_code,
            headers=dict(response.headers),
            content_type=response.headers.get("content-type", "").split(";")[0],
        ),
    )
    return response


def wait_for(check, what: str, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what}: not seen within {timeout:g} s")


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def stop_postgres(pg) -> None:
    """Stop Postgres the way ``pg_ctl stop -m immediate`` does (SIGQUIT to the postmaster)."""
    pg.proc.send_signal(signal.SIGQUIT)
    pg.proc.wait(10)
    pg.proc = None


def restart_postgres(pg) -> None:
    """Stop Postgres at once, then start it again on its port."""
    stop_postgres(pg)
    pg.start()


def metric(api_url: str, name: str) -> float:
    for line in httpx.get(f"{api_url}/metrics", timeout=5).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def api_connections(servers) -> int:
    return fetch(
        servers,
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'crosscheck-demo-api'",
    )[0][0]


# -- the rate limiter without Redis -----------------------------------------------------------
@pytest.mark.parametrize("mode", ["refuse", "hang"])
def test_rate_limits_are_counted_in_the_process_while_redis_is_unavailable(servers, relays, caplog, mode):
    relay = relays(servers.redis.port)
    client = redis.Redis(port=relay.port, socket_timeout=2, socket_connect_timeout=2, retry=Retry(NoBackoff(), 0))
    limiter = keys.RateLimiter(client, probe_interval=0.1)
    key = keys.ApiKey(id=1, name="t", prefix="ccd_t", limit=3, window_seconds=3600)
    now = time.time()  # one window throughout
    caplog.set_level(logging.INFO, logger="demo_gateway.keys")
    try:
        assert limiter.hit(key, now)[:2] == (True, 2)  # in Redis
        relay.set(mode)
        first, took = timed(lambda: limiter.hit(key, now))
        assert took < 3 and not limiter.redis_available
        rest = [timed(lambda: limiter.hit(key, now)) for _ in range(4)]
        assert all(t < 0.05 for _, t in rest), rest  # no more waiting for Redis
        # the same limit, counted afresh in the process
        assert [first[:2]] + [r[:2] for r, _ in rest] == [(True, 2), (True, 1), (True, 0), (False, 0), (False, 0)]
        down = [r for r in caplog.records if "Redis unavailable" in r.getMessage()]
        assert len(down) == 1 and "counting rate limits in this process" in down[0].getMessage()

        relay.set("pass")
        wait_for(lambda: limiter.redis_available, "the limiter back on Redis")
        assert limiter.hit(key, now)[:2] == (True, 1)  # Redis kept its own count: 2 of 3
        assert [r for r in caplog.records if "Redis answers again" in r.getMessage()]
    finally:
        limiter.close()
        client.close()
        cleanup = redis.Redis(port=servers.redis.port)
        for k in cleanup.scan_iter(f"demo:gateway:ratelimit:{key.id}:*"):
            cleanup.delete(k)
        cleanup.close()


# -- the pool across Postgres restarts ----------------------------------------------------------
def _fill(pool: Pool, count: int) -> None:
    held = [pool.acquire() for _ in range(count)]
    for conn in held:
        pool.release(conn)


def select_1(conn) -> int:
    with conn.cursor() as cur:
        cur.execute("SELECT 1")
    return conn.get_backend_pid()


def test_the_pool_drops_its_dead_connections_and_recovers_after_a_restart(servers):
    pool = Pool(servers.pg.url, "crosscheck-demo-pooltest", size=3, overflow=0, timeout=2)
    try:
        _fill(pool, 3)
        assert pool.idle == 3
        restart_postgres(servers.pg)  # no request while it was down: all 3 idle connections are dead
        pid, took = timed(lambda: pool.run(select_1))
        assert pid and took < 2
        assert (pool.in_use, pool.idle) == (0, 1)  # the other two dead ones were closed, not kept
        assert all(pool.run(select_1) for _ in range(5))

        stop_postgres(servers.pg)  # down, and staying down for a while
        try:
            for _ in range(3):
                started = time.monotonic()
                with pytest.raises(psycopg2.OperationalError):
                    pool.run(select_1)
                assert time.monotonic() - started < 1  # refused at once
            assert (pool.in_use, pool.idle) == (0, 0)
        finally:
            servers.pg.start()
        assert pool.run(select_1)
        assert (pool.in_use, pool.idle) == (0, 1)
    finally:
        pool.close()


def test_pool_no_reconnect_keeps_handing_out_dead_connections(servers, request):
    demo_faults.use(["pool-no-reconnect"])
    request.addfinalizer(lambda: demo_faults.use([]))
    pool = Pool(servers.pg.url, "crosscheck-demo-pooltest", size=2, overflow=0, timeout=2)
    try:
        _fill(pool, 2)
        restart_postgres(servers.pg)
        for _ in range(6):
            with pytest.raises((psycopg2.OperationalError, psycopg2.InterfaceError)):
                pool.run(select_1)
        assert (pool.in_use, pool.idle) == (0, 2)
    finally:
        pool.close()


def test_the_pool_cuts_work_that_gets_no_answer(servers, relays):
    relay = relays(servers.pg.port)
    url = f"postgresql://postgres@127.0.0.1:{relay.port}/crosscheck_test"
    pool = Pool(url, "crosscheck-demo-pooltest", size=2, overflow=0, timeout=2, query_timeout=1)
    try:
        assert pool.run(select_1)
        relay.set("hang")
        started = time.monotonic()
        with pytest.raises(psycopg2.OperationalError):
            pool.run(select_1)
        assert time.monotonic() - started < 2.5  # cut after 1 s, not repeated on a new connection
        with pytest.raises(psycopg2.OperationalError, match="timeout expired"):
            pool.run(select_1)  # a new connection gives up after 2 s
        assert (pool.in_use, pool.idle) == (0, 0)
        relay.set("pass")
        assert pool.run(select_1)
    finally:
        pool.close()


# -- the API and the consumer through a Redis outage --------------------------------------------
def _publish_directly(servers, universe: str) -> tuple[dict, dict]:
    """One message only on the channel and one only in the stream, straight to the real Redis."""
    client = redis.Redis(port=servers.redis.port)
    try:
        live = {
            "seq": 1,
            "sent_at": time.time(),
            "source": "tests",
            "universe": universe,
            "symbols": ["XLE"],
            "count": 1,
        }
        client.publish(UNIVERSE_CHANNEL, json.dumps(live))
        stream = {**live, "sent_at": time.time() + 0.001, "universe": universe + "_stream"}
        client.xadd(stream_name(UNIVERSE_CHANNEL), {"payload": json.dumps(stream)})
        return live, stream
    finally:
        client.close()


def _logged(servers, universe: str) -> list:
    return fetch(servers, "SELECT via FROM consumer.message_log WHERE payload ->> 'universe' = %s", (universe,))


@pytest.mark.parametrize("mode", ["refuse", "reset", "hang"])
def test_a_redis_outage_leaves_postgres_routes_answering_and_put_503(servers, relays, demos, spec, mode):
    relay = relays(servers.redis.port)
    demo = demos(f"redis://127.0.0.1:{relay.port}/0", servers.pg.url)
    name = f"TEST_res_outage_{mode}_{os.getpid()}"
    headers = {"X-API-Key": new_key(servers)}
    with httpx.Client(base_url=demo.api_url, headers=headers, timeout=10) as api:
        assert api.put(f"/v1/universes/{name}", json={"symbols": ["SPY", "QQQ"]}).status_code == 200
        before_get, before_search = api.get(f"/v1/universes/{name}").json(), api.post("/v1/search", json=SEARCH).json()

        relay.set(mode)
        outage_end = time.monotonic() + 3
        puts = 0
        while time.monotonic() < outage_end:
            got, took = timed(lambda: conforms(spec, api.get(f"/v1/universes/{name}")))
            assert got.status_code == 200 and got.json() == before_get and took < 2.5, (got.text, took)
            assert got.headers["X-RateLimit-Limit"] == "100000"
            found = conforms(spec, api.post("/v1/search", json=SEARCH))
            assert found.status_code == 200 and found.json() == before_search
            put, took = timed(lambda: conforms(spec, api.put(f"/v1/universes/{name}_new", json={"symbols": ["DIA"]})))
            assert put.status_code == 503 and put.json() == {"error": "redis unavailable"}, put.text
            assert took < 2.5 and "X-RateLimit-Limit" in put.headers
            changed = api.put(f"/v1/universes/{name}", json={"symbols": ["IWM"]})
            assert changed.status_code == 503
            puts += 2
        health, took = timed(lambda: conforms(spec, httpx.get(f"{demo.api_url}/health", timeout=10)))
        assert health.status_code == 503 and took < 2.5
        assert health.json()["checks"]["redis"].startswith("error: ") and health.json()["checks"]["postgres"] == "ok"
        # the PUTs refused stored nothing
        assert fetch(servers, "SELECT get_etf_universe(%s)", (name + "_new",)) == [(None,)]
        assert fetch(servers, "SELECT get_etf_universe(%s) -> 'symbols'", (name,)) == [(["SPY", "QQQ"],)]
        assert puts >= 2

        relay.set("pass")
        wait_for(lambda: httpx.get(f"{demo.api_url}/health").status_code == 200, "/health 200 after the outage")
        put = wait_for(
            lambda: (r := api.put(f"/v1/universes/{name}_new", json={"symbols": ["DIA"]})).status_code == 200 and r,
            "PUT 200 after the outage",
        )
        assert put.json()["symbols"] == ["DIA"]

    # the consumer came back by itself, both loops: what arrives only live, and only in the stream
    rds = redis.Redis(port=servers.redis.port)
    try:
        wait_for(lambda: rds.pubsub_numsub(UNIVERSE_CHANNEL)[0][1] == 1, "the consumer subscribed again")
    finally:
        rds.close()
    wait_for(lambda: _logged(servers, name + "_new"), "the PUT's message recorded by the consumer")
    live, stream = _publish_directly(servers, name + "_direct")
    assert wait_for(lambda: _logged(servers, live["universe"]), "a pub-sub message after the outage") == [("pubsub",)]
    assert wait_for(lambda: _logged(servers, stream["universe"]), "a stream entry after the outage") == [("stream",)]


def test_consumer_no_reconnect_never_receives_after_a_redis_outage(servers, relays, demos):
    relay = relays(servers.redis.port)
    demo = demos(f"redis://127.0.0.1:{relay.port}/0", servers.pg.url, faults="consumer-no-reconnect")
    rds = redis.Redis(port=servers.redis.port)
    try:
        wait_for(lambda: rds.pubsub_numsub(UNIVERSE_CHANNEL)[0][1] == 1, "the consumer subscribed")
        relay.set("reset")
        time.sleep(1)
        relay.set("pass")
        wait_for(lambda: httpx.get(f"{demo.api_url}/health").status_code == 200, "/health 200 after the outage")
        live, stream = _publish_directly(servers, f"TEST_res_noreconnect_{os.getpid()}")
        time.sleep(3)
        assert _logged(servers, live["universe"]) == [] and _logged(servers, stream["universe"]) == []
        assert rds.pubsub_numsub(UNIVERSE_CHANNEL)[0][1] == 0
        log = demo.logs["consumer"].read_text()
        for loop in ("live", "catch-up"):
            assert f"{loop} loop: ConnectionError" in log, log
        assert log.count("stopped, it does not reconnect") == 2, log
    finally:
        rds.close()


# -- the API across Postgres restarts -----------------------------------------------------------
def _burst(api_url: str, key: str, count: int = 20) -> list[int]:
    with (
        httpx.Client(base_url=api_url, headers={"X-API-Key": key}, timeout=10) as api,
        ThreadPoolExecutor(max_workers=count) as workers,
    ):
        return [r.status_code for r in workers.map(lambda _: api.post("/v1/search", json=SEARCH), range(count))]


def test_the_api_answers_503_while_postgres_is_down_and_recovers_by_itself(servers, demos, spec, redis_url_private):
    demo = demos(redis_url_private, servers.pg.url)
    key = new_key(servers)
    assert set(_burst(demo.api_url, key)) == {200}  # the pool now keeps several idle connections
    assert metric(demo.api_url, "demo_db_pool_idle") >= 2

    restart_postgres(servers.pg)  # at once: every idle connection of the pool is dead
    first, took = timed(lambda: httpx.post(f"{demo.api_url}/v1/search", json=SEARCH, headers={"X-API-Key": key}))
    assert first.status_code == 200 and took < 3, (first.text, took)

    stop_postgres(servers.pg)
    try:
        for _ in range(3):
            down, took = timed(lambda: httpx.get(f"{demo.api_url}/v1/universes/TEST_x", headers={"X-API-Key": key}))
            conforms(spec, down)
            assert down.status_code == 503 and down.json() == {"error": "database unavailable"} and took < 2.5
        health = conforms(spec, httpx.get(f"{demo.api_url}/health", timeout=10))
        assert health.status_code == 503 and health.json()["checks"]["postgres"].startswith("error: ")
        assert health.json()["checks"]["redis"] == "ok"
    finally:
        servers.pg.start()
    back = time.monotonic()
    wait_for(
        lambda: httpx.post(f"{demo.api_url}/v1/search", json=SEARCH, headers={"X-API-Key": key}).status_code == 200,
        "search 200 after the restart",
    )
    assert time.monotonic() - back < 3
    assert set(_burst(demo.api_url, key)) == {200}
    wait_for(lambda: metric(demo.api_url, "demo_db_pool_in_use") == 0, "no connection left in use")
    assert api_connections(servers) <= 20


def test_pool_no_reconnect_keeps_the_api_answering_503_after_a_restart(servers, demos, redis_url_private):
    demo = demos(redis_url_private, servers.pg.url, faults="pool-no-reconnect")
    key = new_key(servers)
    assert set(_burst(demo.api_url, key, 5)) == {200}
    restart_postgres(servers.pg)
    deadline = time.monotonic() + 4
    statuses = []
    while time.monotonic() < deadline:
        statuses.append(httpx.post(f"{demo.api_url}/v1/search", json=SEARCH, headers={"X-API-Key": key}).status_code)
        time.sleep(0.1)
    assert set(statuses) == {503}, statuses
    assert httpx.get(f"{demo.api_url}/health", timeout=10).status_code == 503


# -- a reset while PUT writes -------------------------------------------------------------------
def _stream_messages(servers, universe: str) -> list[dict]:
    client = redis.Redis(port=servers.redis.port)
    try:
        messages = [json.loads(f[b"payload"]) for _, f in client.xrange(stream_name(UNIVERSE_CHANNEL))]
    finally:
        client.close()
    return [m for m in messages if m.get("universe") == universe]


def test_a_reset_during_put_reaches_the_client_and_writes_nothing(servers, relays, demos, spec, redis_url_private):
    relay = relays(servers.pg.port)
    demo = demos(redis_url_private, f"postgresql://postgres@127.0.0.1:{relay.port}/crosscheck_test")
    name = f"TEST_res_putreset_{os.getpid()}"
    body = {"symbols": ["SPY"], "metadata": {"owner": "tests"}}
    with httpx.Client(base_url=demo.api_url, headers={"X-API-Key": new_key(servers)}, timeout=15) as api:
        # every connection that carries the write is reset (a reset_peer toxic on writes)
        relay.cut_on = b"BEGIN; SELECT update_etf_universe"
        put = conforms(spec, api.put(f"/v1/universes/{name}", json=body))
        assert put.status_code == 503 and put.json() == {"error": "database unavailable"}, put.text
        assert relay.cuts == 2  # the first try and its retry on a new connection
        assert fetch(servers, "SELECT get_etf_universe(%s)", (name,)) == [(None,)]
        assert _stream_messages(servers, name) == []  # nothing announced either

        # one reset only: the write is retried on a new connection, and stored and announced once
        relay.cut_once = True
        put = api.put(f"/v1/universes/{name}", json=body)
        assert put.status_code == 200 and relay.cuts == 3, put.text
        assert [m["seq"] for m in _stream_messages(servers, name)] == [int(put.headers["X-Message-Seq"])]
        wait_for(lambda: len(_logged(servers, name)) == 1, "one consumer.message_log row")

        # reset at the commit, after the publish: 503, the outcome unknown to the client; the
        # announcement is out and the consumer applies it (symbols and category, once)
        relay.cut_on, relay.cut_once = b"COMMIT", True
        changed = {"symbols": ["SPY", "QQQ"], "metadata": {"owner": "tests", "v": 2}}
        put = conforms(spec, api.put(f"/v1/universes/{name}", json=changed))
        assert put.status_code == 503 and put.json() == {"error": "database unavailable"}, put.text
        assert len(_stream_messages(servers, name)) == 2
        wait_for(
            lambda: fetch(servers, "SELECT get_etf_universe(%s) -> 'symbols'", (name,)) == [(["SPY", "QQQ"],)],
            "the announced symbols applied by the consumer",
        )
        assert fetch(servers, "SELECT get_etf_universe(%s) -> 'metadata'", (name,)) == [({"owner": "tests"},)]
        retry = api.put(f"/v1/universes/{name}", json=changed)  # safe: the same values again
        assert retry.status_code == 200 and retry.json()["metadata"] == {"owner": "tests", "v": 2}
        assert fetch(servers, "SELECT count(*) FROM cache_entries WHERE name = %s", (name,)) == [(1,)]
        wait_for(lambda: len(_logged(servers, name)) == 3, "each message recorded once")
    wait_for(lambda: metric(demo.api_url, "demo_db_pool_in_use") == 0, "no connection left in use")


# -- latency ------------------------------------------------------------------------------------
def test_postgres_latency_is_not_multiplied_by_concurrent_requests(servers, relays, demos, redis_url_private):
    relay = relays(servers.pg.port)
    demo = demos(redis_url_private, f"postgresql://postgres@127.0.0.1:{relay.port}/crosscheck_test")
    key = new_key(servers)
    assert set(_burst(demo.api_url, key)) == {200}  # 20 pooled connections, made before the latency
    relay.delay = 0.2
    _, single = timed(lambda: httpx.post(f"{demo.api_url}/v1/search", json=SEARCH, headers={"X-API-Key": key}))
    assert 0.4 <= single < 1.5  # two round trips: the key, then the search
    statuses, burst = timed(lambda: _burst(demo.api_url, key))
    assert set(statuses) == {200}
    assert burst < 2.5, (single, burst)  # one after the other, 20 would take 20 times as long as one
