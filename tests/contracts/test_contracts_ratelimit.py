"""Contracts: the rate-limit contract, against a real limiter server (exact and off by one) and the demo."""

from __future__ import annotations

import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crosscheck.contracts import Contracts
from crosscheck.errors import ConfigurationError, CrosscheckError, ServiceUnavailable
from crosscheck.metrics import Metrics


def _limiter(allowed: int):
    lock = threading.Lock()
    served = {"n": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            with lock:
                served["n"] += 1
                ok = served["n"] <= allowed
            body = json.dumps({"ok": ok}).encode()
            self.send_response(200 if ok else 429)
            if not ok:
                self.send_header("Retry-After", "60")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture()
def limiter(serve):
    return lambda allowed: serve(_limiter(allowed)) + "/v1/thing"


def test_exact_limit_passes(limiter):
    assert Contracts().rate_limit_should_allow_exactly(5, "GET", limiter(5), 8) == {200: 5, 429: 3}


def test_rate_limit_off_by_one_fails_with_both_counts(limiter):
    with pytest.raises(CrosscheckError) as err:
        Contracts().rate_limit_should_allow_exactly(5, "GET", limiter(6), 8)
    assert str(err.value) == (
        "Rate limit of GET /v1/thing: expected exactly 5 of 8 concurrent requests to succeed "
        "and 3 to get 429, got 6 admitted, 2 got 429."
    )


def test_too_few_requests_is_a_configuration_error(limiter):
    with pytest.raises(ConfigurationError, match="Send more requests than the limit"):
        Contracts().rate_limit_should_allow_exactly(5, "GET", limiter(5), 5)


@pytest.fixture()
def demo_key(create_demo_key):
    return create_demo_key("4/minute")


def test_demo_enforces_a_keys_limit_exactly(api_url, demo_key):
    url = f"{api_url}/v1/universes/TEST_ratelimit"
    counts = Contracts().rate_limit_should_allow_exactly(4, "GET", url, 7, headers={"X-API-Key": demo_key})
    assert counts.get(429) == 3
    metrics = Metrics(f"{api_url}/metrics")
    assert metrics.get_metric_value("demo_rate_limit_rejections_total") >= 3
    assert metrics.get_process_usage(api_url, "rss_mb") > 10
    assert metrics.get_process_usage(str(api_url.rsplit(":", 1)[1]), "processes") >= 1


THING_DOCUMENT = {
    "openapi": "3.0.3",
    "info": {"title": "thing", "version": "1"},
    "paths": {
        "/v1/thing": {
            "get": {
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["ok"],
                                    "properties": {"ok": {"type": "boolean"}},
                                }
                            }
                        },
                    }
                }
            }
        }
    },
}


def test_every_response_is_checked_against_the_document(limiter):
    url = limiter(5)
    with pytest.raises(CrosscheckError) as err:
        Contracts().rate_limit_should_allow_exactly(5, "GET", url, 8, document=THING_DOCUMENT)
    assert str(err.value) == (
        "Rate limit of GET /v1/thing: 3 of 8 responses do not match their contract (thing 1): GET /v1/thing -> 429: "
        "status: expected one of the documented statuses ['200'], got 429 (3 responses)"
    )
    assert Contracts().send_concurrent_requests("GET", limiter(8), 8, document=THING_DOCUMENT) == {200: 8}


def test_requests_a_running_server_does_not_answer_are_not_reported_as_unreachable():
    release = threading.Event()
    served = {"n": 0}
    lock = threading.Lock()

    class Stalling(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            with lock:
                served["n"] += 1
                stall = served["n"] > 2
            if stall:  # like a request waiting for a pooled connection that never comes
                release.wait(10)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Stalling)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        with pytest.raises(CrosscheckError) as err:
            Contracts().send_concurrent_requests(
                "GET", f"http://127.0.0.1:{srv.server_port}/v1/thing", 5, timeout=timedelta(seconds=1)
            )
    finally:
        release.set()
        srv.shutdown()
        srv.server_close()
    assert str(err.value).startswith(
        "GET /v1/thing: 3 of 5 concurrent requests got no answer within 1 s (the server "
        "accepted the connections; the others got {200: 2})."
    )
    assert "running" not in str(err.value)


def test_a_server_that_cannot_be_reached_is_reported_as_such():
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}/v1/thing"
    with pytest.raises(
        ServiceUnavailable,
        match=r"ConnectionError for 3 of 3 concurrent requests\. Check that the "
        r"API is running\.",
    ):
        Contracts().send_concurrent_requests("GET", url, 3)
