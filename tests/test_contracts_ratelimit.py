"""Contracts: the rate-limit contract, against a real limiter server (exact and off by one) and the demo."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crosscheck.contracts import Contracts
from crosscheck.errors import ConfigurationError, CrosscheckError
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
def limiter():
    servers = []

    def start(allowed):
        srv = ThreadingHTTPServer(("127.0.0.1", 0), _limiter(allowed))
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        return f"http://127.0.0.1:{srv.server_port}/v1/thing"

    yield start
    for srv in servers:
        srv.shutdown()
        srv.server_close()


def test_exact_limit_passes(limiter):
    assert Contracts().rate_limit_should_allow_exactly(5, "GET", limiter(5), 8) == {200: 5, 429: 3}


def test_rate_limit_off_by_one_fails_with_both_counts(limiter):
    with pytest.raises(CrosscheckError) as err:
        Contracts().rate_limit_should_allow_exactly(5, "GET", limiter(6), 8)
    assert str(err.value) == ("Rate limit of GET /v1/thing: expected exactly 5 of 8 concurrent requests to succeed "
                              "and 3 to get 429, got 6 admitted, 2 got 429.")


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
