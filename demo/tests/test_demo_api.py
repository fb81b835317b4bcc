"""The demo API gateway, started with crosscheck_demo.launch on the real Redis and Postgres."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg2
import pytest
import redis
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from prometheus_client.parser import text_string_to_metric_families

from crosscheck import namespace
from crosscheck_demo import launch


@pytest.fixture(scope="module")
def demo(redis_url, postgres_url, tmp_path_factory):
    handle = launch.start(redis_url, postgres_url, tmp_path_factory.mktemp("demo-logs"))
    yield handle
    handle.stop()


@pytest.fixture(scope="module")
def db(postgres_url):
    conn = psycopg2.connect(postgres_url)
    conn.autocommit = True
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def rds(redis_url):
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def new_key(db, rds, postgres_url):
    """Creates keys with the CLI; deletes them and their rate-limit counters afterwards."""
    created = []

    def make(rate: str = "1000/minute") -> str:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "crosscheck_demo.cli",
                "create-key",
                "--rate",
                rate,
                "--name",
                namespace.new("key"),
                "--database-url",
                postgres_url,
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        key = out.stdout.strip().splitlines()[-1]
        created.append(key)
        return key

    yield make
    with db.cursor() as cur:
        for key in created:
            cur.execute("DELETE FROM api_keys WHERE key_prefix = %s RETURNING id", (key[:12],))
            for (key_id,) in cur.fetchall():
                for k in rds.scan_iter(f"demo:gateway:ratelimit:{key_id}:*"):
                    rds.delete(k)


@pytest.fixture
def universe(db):
    """A namespaced universe name; its rows are deleted afterwards."""
    name = namespace.new("universe")
    yield name
    with db.cursor() as cur:
        cur.execute("DELETE FROM cache_entries WHERE type = 'etf_universe' AND name = %s", (name,))
        cur.execute("DELETE FROM consumer.message_log WHERE payload ->> 'universe' = %s", (name,))


@pytest.fixture(scope="module")
def spec(demo):
    return OpenAPI.from_dict(httpx.get(f"{demo.api_url}/openapi.json").json())


def conforms(spec, response: httpx.Response) -> None:
    """Raise unless the response matches the demo's own OpenAPI document."""
    req = response.request
    spec.validate_response(
        MockRequest(
            str(req.url.copy_with(path="/", query=None)).rstrip("/"),
            req.method.lower(),
            req.url.path,
            headers=dict(req.headers),
            data=req.content or None,
        ),
        MockResponse(
            response.content,
            status_code=response.status_code,
            headers=dict(response.headers),
            content_type=response.headers.get("content-type", "").split(";")[0],
        ),
    )


def test_health_and_openapi_answer_without_a_key(demo, spec):
    health = httpx.get(f"{demo.api_url}/health")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "checks": {"redis": "ok", "postgres": "ok"}}
    conforms(spec, health)
    doc = httpx.get(f"{demo.api_url}/openapi.json").json()
    assert set(doc["paths"]) == {"/health", "/openapi.json", "/metrics", "/v1/universes/{name}", "/v1/search"}


def test_v1_without_key_is_401_and_with_unknown_key_is_401(demo, spec):
    missing = httpx.get(f"{demo.api_url}/v1/universes/anything")
    assert missing.status_code == 401
    assert missing.json() == {"error": "missing API key: send it in the X-API-Key header"}
    conforms(spec, missing)
    unknown = httpx.get(f"{demo.api_url}/v1/universes/anything", headers={"X-API-Key": "ccd_not_a_key"})
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid or revoked API key"
    conforms(spec, unknown)


def test_revoked_key_is_401(demo, new_key, postgres_url):
    key = new_key()
    assert (
        httpx.post(f"{demo.api_url}/v1/search", json={"vector": [1] * 8}, headers={"X-API-Key": key}).status_code == 200
    )
    subprocess.run(
        [sys.executable, "-m", "crosscheck_demo.cli", "revoke-key", key[:12], "--database-url", postgres_url],
        check=True,
        capture_output=True,
        timeout=30,
    )
    assert (
        httpx.post(f"{demo.api_url}/v1/search", json={"vector": [1] * 8}, headers={"X-API-Key": key}).status_code == 401
    )


def test_put_writes_the_row_and_publishes_on_universe_updated(demo, spec, new_key, universe, db, rds):
    headers = {"X-API-Key": new_key()}
    pubsub = rds.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe("tickstock.universe.updated")
    try:
        body = {
            "symbols": ["SPY", "QQQ", "TEST_ETF1"],
            "category": "etf",
            "liquidity_filter": {"min_volume": 500000},
            "metadata": {"owner": "tests"},
        }
        put = httpx.put(f"{demo.api_url}/v1/universes/{universe}", json=body, headers=headers)
        assert put.status_code == 200, put.text
        conforms(spec, put)
        assert put.json()["symbols"] == body["symbols"] and put.json()["metadata"] == {"owner": "tests"}

        deadline, message = time.monotonic() + 5, None
        while time.monotonic() < deadline and message is None:
            raw = pubsub.get_message(timeout=0.5)
            if raw and json.loads(raw["data"]).get("universe") == universe:
                message = json.loads(raw["data"])
        assert message is not None, "no message for the universe on tickstock.universe.updated within 5 s"
        assert message["seq"] == int(put.headers["X-Message-Seq"])
        assert message["symbols"] == body["symbols"] and message["count"] == 3
        assert abs(message["sent_at"] - time.time()) < 30
    finally:
        pubsub.close()

    with db.cursor() as cur:
        cur.execute(
            "SELECT value -> 'symbols', universe_category, liquidity_filter, last_universe_update"
            " FROM cache_entries WHERE type = 'etf_universe' AND name = %s",
            (universe,),
        )
        symbols, category, liquidity, updated = cur.fetchone()
    assert (symbols, category, liquidity) == (body["symbols"], "etf", {"min_volume": 500000})

    get = httpx.get(f"{demo.api_url}/v1/universes/{universe}", headers=headers)
    assert get.status_code == 200 and get.json() == put.json()
    conforms(spec, get)
    assert get.json()["updated_at"] == updated.isoformat(timespec="microseconds")


def test_get_unknown_universe_is_404_and_bad_bodies_are_422(demo, spec, new_key, universe):
    headers = {"X-API-Key": new_key()}
    missing = httpx.get(f"{demo.api_url}/v1/universes/{universe}", headers=headers)
    assert missing.status_code == 404 and universe in missing.json()["error"]
    conforms(spec, missing)
    bad_symbols = httpx.put(
        f"{demo.api_url}/v1/universes/{universe}", headers=headers, json={"symbols": ["SPY", "spy", "SPY"]}
    )
    assert bad_symbols.status_code == 422
    assert bad_symbols.json()["invalid"] == [
        {"symbol": "spy", "reason": "invalid format"},
        {"symbol": "SPY", "reason": "duplicate"},
    ]
    conforms(spec, bad_symbols)
    for body, message in [
        ({"category": "etf"}, "symbols must be a list"),
        ({"symbols": [], "metadata": []}, "metadata must be a JSON object"),
        ([1, 2], "request body must be a JSON object"),
    ]:
        response = httpx.put(f"{demo.api_url}/v1/universes/{universe}", headers=headers, json=body)
        assert response.status_code == 422 and message in response.json()["error"]
        conforms(spec, response)
    not_json = httpx.put(f"{demo.api_url}/v1/universes/{universe}", headers=headers, content=b"{oops")
    assert not_json.status_code == 422 and not_json.json()["error"] == "request body must be JSON"
    nul = httpx.put(
        f"{demo.api_url}/v1/universes/{universe}", headers=headers, json={"symbols": [], "metadata": {"x": "a\u0000b"}}
    )
    assert nul.status_code == 422 and nul.json()["error"].startswith("invalid value")
    conforms(spec, nul)


def test_search_returns_nearest_documents(demo, spec, new_key):
    headers = {"X-API-Key": new_key()}
    found = httpx.post(
        f"{demo.api_url}/v1/search", headers=headers, json={"vector": [0.9, 0.1, 0, 0, 0.1, 0, 0, 0], "top_k": 3}
    )
    assert found.status_code == 200
    conforms(spec, found)
    results = found.json()["results"]
    assert len(results) == 3 and results[0]["id"] == "doc-etf-basics"
    assert results[0]["score"] == pytest.approx(1.0, abs=1e-6)
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)
    for body in (
        {"vector": [1, 2, 3]},
        {"vector": [0] * 8},
        {"vector": [1] * 8, "top_k": 0},
        {"vector": [1e39] + [0] * 7},
    ):
        bad = httpx.post(f"{demo.api_url}/v1/search", headers=headers, json=body)
        assert bad.status_code == 422
        conforms(spec, bad)


def test_rate_limit_is_exact_under_concurrency(demo, spec, new_key):
    key = new_key("10/day")
    with (
        httpx.Client(base_url=demo.api_url, headers={"X-API-Key": key}) as client,
        ThreadPoolExecutor(max_workers=15) as pool,
    ):
        responses = list(pool.map(lambda _: client.post("/v1/search", json={"vector": [1] * 8, "top_k": 1}), range(40)))
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 10 and statuses.count(429) == 30, statuses
    rejected = next(r for r in responses if r.status_code == 429)
    assert int(rejected.headers["Retry-After"]) >= 1
    assert rejected.json()["limit"] == 10 and rejected.json()["window_seconds"] == 86400
    conforms(spec, rejected)


def test_metrics_count_requests_pool_and_rejections(demo, new_key):
    key = new_key("2/day")
    for _ in range(3):
        httpx.get(f"{demo.api_url}/v1/universes/TEST_none", headers={"X-API-Key": key})
    text = httpx.get(f"{demo.api_url}/metrics").text
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    assert (
        samples[("demo_http_requests_total", (("method", "GET"), ("route", "/v1/universes/{name}"), ("status", "404")))]
        >= 2
    )
    assert (
        samples[("demo_http_requests_total", (("method", "GET"), ("route", "/v1/universes/{name}"), ("status", "429")))]
        >= 1
    )
    assert samples[("demo_rate_limit_rejections_total", ())] >= 1
    assert samples[("demo_http_request_duration_seconds_count", (("route", "/v1/universes/{name}"),))] >= 3
    assert samples[("demo_db_pool_in_use", ())] == 0
    assert samples[("demo_db_pool_idle", ())] >= 1
    assert ("demo_db_pool_waiting", ()) in samples


def test_api_connections_are_named_and_bounded(demo, db, new_key):
    key = new_key()
    with (
        httpx.Client(base_url=demo.api_url, headers={"X-API-Key": key}) as client,
        ThreadPoolExecutor(max_workers=40) as pool,
    ):
        list(pool.map(lambda _: client.post("/v1/search", json={"vector": [1] * 8}), range(200)))
    with db.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'crosscheck-demo-api'"
            " AND client_port IS NOT NULL"
        )
        # several demos may share the server (the stack's and this module's): each holds at most 20 idle
        assert 1 <= cur.fetchone()[0] <= 40


@pytest.mark.parametrize(
    "argv, message",
    [
        (["create-key", "--rate", "lots"], "rate 'lots' is not like 60/minute"),
        (["produce", "--channel", "tickstock.universe.updated", "--fields", "{not json"], "Expecting property name"),
    ],
)
def test_cli_fails_with_one_line(argv, message, postgres_url, redis_url):
    extra = ["--database-url", postgres_url] if argv[0] == "create-key" else ["--redis-url", redis_url]
    out = subprocess.run(
        [sys.executable, "-m", "crosscheck_demo.cli", *argv, *extra], capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 2
    assert out.stderr.strip().startswith(f"crosscheck-demo {argv[0]}: error: ") and message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


def test_unsupported_method_is_405_listing_the_supported_ones(demo):
    response = httpx.delete(f"{demo.api_url}/v1/universes/anything")
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= {"GET", "PUT"}
