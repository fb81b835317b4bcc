"""The API gateway (seeds 002 and 004): an ASGI app for uvicorn, described by ``openapi.json``.

See demo/README.md, "API", for the routes, the key check and the answers when Redis or Postgres fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from pathlib import Path

import prometheus_client as prom
import psycopg2
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route

from demo_gateway import keys
from demo_gateway.pool import DEAD, Pool, PoolTimeout
from demo_shared import faults
from demo_shared.config import first_line
from demo_shared.contracts import Publisher

OPENAPI_PATH = Path(__file__).with_name("openapi.json")
UNIVERSE_CHANNEL = "tickstock.universe.updated"
VECTOR_DIM = 8
FLOAT4_MAX = 3.4e38  # pgvector stores single precision

prom.disable_created_metrics()  # no *_created series: plainer /metrics
REQUESTS = prom.Counter(
    "demo_http_requests_total", "HTTP requests by route, method and status.", ["route", "method", "status"]
)
LATENCY = prom.Histogram(
    "demo_http_request_duration_seconds",
    "HTTP request duration by route.",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
POOL_IN_USE = prom.Gauge("demo_db_pool_in_use", "Postgres connections lent out.")
POOL_IDLE = prom.Gauge("demo_db_pool_idle", "Postgres connections open and free.")
POOL_WAITING = prom.Gauge("demo_db_pool_waiting", "Requests waiting for a Postgres connection.")
REJECTIONS = prom.Counter("demo_rate_limit_rejections_total", "Requests refused with 429 over a key's limit.")
LEAK_PER_REQUEST = 256 * 1024  # fault memory-leak: bytes each request keeps for good
_kept: list[bytes] = []


class CommitUnknown(Exception):
    """The commit of a write failed after its message was published: the outcome is not known."""


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict | None = None, **extra):
        super().__init__(message)
        self.status, self.headers, self.body = status, headers or {}, {"error": message, **extra}


def create_app(settings: dict) -> Starlette:
    """The app for the gateway's ``settings`` (the values of its configuration, see ``settings.py``)."""
    pool_settings = [settings[k] for k in ("pool_size", "pool_overflow", "pool_timeout", "db_query_timeout")]
    pool = Pool(settings["postgres_url"], "crosscheck-demo-api", *pool_settings, schema=settings["db_schema"])
    # no retries: a publish repeated after a lost reply would announce the update twice
    client = redis.Redis.from_url(
        settings["redis_url"], socket_timeout=2, socket_connect_timeout=2, retry=Retry(NoBackoff(), 0)
    )
    publisher = Publisher(client, "api", settings["publishes"])
    limiter = keys.RateLimiter(client, key_prefix=settings["redis_key_prefix"])
    POOL_IN_USE.set_function(lambda: pool.in_use)
    POOL_IDLE.set_function(lambda: pool.idle)
    POOL_WAITING.set_function(lambda: pool.waiting)
    leaked = []  # fault pool-leak: connections taken and never given back

    def with_connection(work):
        if faults.active("pool-leak"):
            leaked.append(pool.acquire())
            return work(leaked[-1])
        return pool.run(work)

    def query(sql: str, *args) -> list[tuple]:
        def work(conn):
            with conn.cursor() as cur:
                cur.execute(sql, args)
                return cur.fetchall()

        return with_connection(work)

    async def authorize(request: Request) -> dict:
        """Check the key and count the request; return the rate-limit headers."""
        supplied = request.headers.get("x-api-key", "")
        if not supplied:
            raise ApiError(401, "missing API key: send it in the X-API-Key header")
        key = await run_in_threadpool(pool.run, lambda conn: keys.lookup(conn, supplied, settings["key_pepper"]))
        if key is None:
            raise ApiError(401, "invalid or revoked API key")
        allowed, remaining, reset = await run_in_threadpool(limiter.hit, key, time.time())
        headers = {"X-RateLimit-Limit": str(key.limit), "X-RateLimit-Remaining": str(remaining)}
        if not allowed:
            REJECTIONS.inc()
            raise ApiError(
                429,
                "rate limit exceeded",
                {**headers, "Retry-After": str(reset)},
                limit=key.limit,
                window_seconds=key.window_seconds,
                retry_after=reset,
            )
        return headers

    def keyed(handler):
        """``handler`` behind the key check; what fails is answered as README's API section says."""

        async def endpoint(request: Request) -> Response:
            headers = {}
            try:
                headers = await authorize(request)
                response = await handler(request)
                response.headers.update(headers)
                return response
            except ApiError as exc:
                failure = exc
            except (psycopg2.DataError, ValueError) as exc:  # e.g. NUL characters, float4 overflow
                failure = ApiError(422, f"invalid value: {first_line(exc)}")
            except PoolTimeout as exc:
                failure = ApiError(503, f"database busy: {exc}")
            except (*DEAD, CommitUnknown):
                failure = ApiError(503, "database unavailable")
            except redis.RedisError:
                failure = ApiError(503, "redis unavailable")
            return JSONResponse(failure.body, status_code=failure.status, headers={**headers, **failure.headers})

        return endpoint

    async def health(request: Request) -> Response:
        if faults.active("health-500"):
            return JSONResponse({"error": "internal error: health check crashed"}, status_code=500)

        async def check(probe) -> str:
            try:
                await run_in_threadpool(probe)
                return "ok"
            except (redis.RedisError, PoolTimeout, psycopg2.Error) as exc:
                return f"error: {type(exc).__name__}"

        def select_1():
            pool.run(lambda conn: conn.cursor().execute("SELECT 1"), timeout=2, query_timeout=2)

        # side by side: an unavailable service costs its timeout once, not once per check
        checks = dict(zip(("redis", "postgres"), await asyncio.gather(check(client.ping), check(select_1))))
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503)

    async def openapi(request: Request) -> Response:
        doc = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
        doc["servers"] = [{"url": str(request.base_url).rstrip("/")}]  # where this copy was served
        if faults.active("api-field-required"):
            doc["info"]["version"] = "1.1.0"
            search = doc["components"]["schemas"]["SearchRequest"]
            search["required"].append("top_k")
            search["properties"]["top_k"].pop("default")  # required now: no value is assumed for it
        return JSONResponse(doc)

    async def metrics(request: Request) -> Response:
        return Response(prom.generate_latest(), media_type=prom.CONTENT_TYPE_LATEST)

    universe_reads = itertools.count(1)  # fault errors-universes: every 20th read fails

    async def get_universe(request: Request) -> Response:
        if faults.active("errors-universes") and next(universe_reads) % 20 == 0:
            raise ApiError(500, "internal error: universe read failed")
        name = universe_name(request)
        [(universe,)] = await run_in_threadpool(query, "SELECT get_etf_universe(%s)", name)
        if universe is None:
            raise ApiError(404, f"universe {name!r} not found")
        return JSONResponse(universe)

    async def put_universe(request: Request) -> Response:
        name = universe_name(request)
        body = await json_body(request)
        symbols, category = body.get("symbols"), body.get("category", "etf")
        if not isinstance(symbols, list):
            raise ApiError(422, "symbols must be a list of ticker strings")
        if not isinstance(category, str) or not 0 < len(category) <= 50:
            raise ApiError(422, "category must be a string of 1 to 50 characters")
        for field in ("liquidity_filter", "metadata"):
            if not isinstance(body.get(field, {}), dict):
                raise ApiError(422, f"{field} must be a JSON object")
        sql = "SELECT symbol, reason FROM validate_etf_universe_symbols(%s) WHERE NOT is_valid"
        invalid = await run_in_threadpool(query, sql, json.dumps(symbols))
        if invalid:
            raise ApiError(422, "invalid symbols", invalid=[{"symbol": s, "reason": r} for s, r in invalid])
        stale = None  # fault api-stale-announcement: announce what was stored before this update
        if faults.active("api-stale-announcement"):
            [(stored,)] = await run_in_threadpool(query, "SELECT get_etf_universe(%s)", name)
            stale = stored or {"symbols": [], "category": category}
        # known down and still not answering: refuse now, before any write
        if not limiter.redis_available and not await run_in_threadpool(limiter.recheck):
            raise ApiError(503, "redis unavailable")
        filters, metadata = (json.dumps(body.get(field, {})) for field in ("liquidity_filter", "metadata"))
        args = (name, json.dumps(symbols), category, filters, metadata)
        universe, message = await run_in_threadpool(with_connection, lambda conn: write_and_announce(conn, args, stale))
        status = 201 if faults.active("api-status-201") else 200
        return JSONResponse(universe, status_code=status, headers={"X-Message-Seq": str(message["seq"])})

    def write_and_announce(conn, args: tuple, stale: dict | None) -> tuple[dict, dict]:
        """Upsert and announce, in a transaction that commits only after the publish."""
        with conn.cursor() as cur:
            try:  # BEGIN in the update's round trip (pooled connections are in autocommit mode)
                cur.execute("BEGIN; SELECT update_etf_universe(%s, %s::jsonb, %s, %s::jsonb, %s::jsonb)", args)
                universe = cur.fetchone()[0]
                announced = stale or universe
                symbols, category = announced["symbols"], announced["category"]
                fields = {"universe": args[0], "symbols": symbols, "count": len(symbols), "category": category}
                message = publisher.publish(UNIVERSE_CHANNEL, fields)
            except BaseException:
                with contextlib.suppress(psycopg2.Error):
                    cur.execute("ROLLBACK")
                raise
            try:
                cur.execute("COMMIT")
            except psycopg2.Error as exc:
                raise CommitUnknown(f"commit failed after seq {message['seq']} was published: {exc}") from exc
        return universe, message

    async def universe_by_method(request: Request) -> Response:  # one route, so 405 answers list both methods
        return await (put_universe if request.method == "PUT" else get_universe)(request)

    async def search(request: Request) -> Response:
        if faults.active("slow-search"):
            await asyncio.sleep(0.6)
        body = await json_body(request)
        vector = body.get("vector")
        if (
            not isinstance(vector, list)
            or len(vector) != VECTOR_DIM
            or not all(isinstance(x, (int, float)) and not isinstance(x, bool) and abs(x) <= FLOAT4_MAX for x in vector)
        ):
            raise ApiError(422, f"vector must be a list of {VECTOR_DIM} numbers within ±3.4e38")
        if not any(vector):
            raise ApiError(422, "vector must not be all zeros (cosine similarity is undefined)")
        if faults.active("api-field-required") and "top_k" not in body:
            raise ApiError(422, "top_k is required")
        top_k = body.get("top_k", 5)
        if not isinstance(top_k, int) or isinstance(top_k, bool) or not 1 <= top_k <= 100:
            raise ApiError(422, "top_k must be an integer from 1 to 100")
        scale = max(abs(x) for x in vector)  # cosine ignores scale; this keeps float4 from overflowing
        literal = "[" + ",".join(repr(x / scale) for x in vector) + "]"
        distance = "<->" if faults.active("search-wrong-distance") else "<=>"
        sql = (
            f"SELECT id, title, 1 - (embedding {distance} %s::vector) AS score FROM documents"
            f" ORDER BY embedding {distance} %s::vector, id LIMIT %s"
        )
        rows = await run_in_threadpool(query, sql, literal, literal, top_k)
        return JSONResponse({"results": [{"id": i, "title": t, "score": float(s)} for i, t, s in rows]})

    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/v1/universes/{name}", keyed(universe_by_method), methods=["GET", "PUT"]),
        Route("/v1/search", keyed(search), methods=["POST"]),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        limiter.close()
        pool.close()
        client.close()

    return count_requests(Starlette(routes=routes, lifespan=lifespan), routes)


def universe_name(request: Request) -> str:
    name = request.path_params["name"]
    if not 0 < len(name) <= 255 or any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise ApiError(422, "universe name must be 1 to 255 characters, without control characters")
    return name


async def json_body(request: Request) -> dict:
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise ApiError(422, "request body must be JSON") from None
    if not isinstance(body, dict):
        raise ApiError(422, "request body must be a JSON object")
    return body


def count_requests(app, routes):
    """``app`` counting its requests and timing them per route template (``/v1/universes/{name}``)."""

    async def counted(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        if faults.active("memory-leak"):
            _kept.append(b"\x01" * LEAK_PER_REQUEST)  # written, so the pages are resident
        route = next((r.path for r in routes if r.matches(scope)[0] != Match.NONE), "unmatched")
        start, status = time.perf_counter(), [500]

        async def send_and_note(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_and_note)
        finally:
            LATENCY.labels(route).observe(time.perf_counter() - start)
            REQUESTS.labels(route, scope["method"], str(status[0])).inc()

    return counted
