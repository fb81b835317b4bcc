"""Contracts and Metrics overhead, as ratios against the raw libraries, in one run.

* response check: crosscheck's Response Should Match OpenAPI vs openapi-core's validate_response
  on the same requests.Response (a real local HTTP server), N times;
* payload check: Payload Should Match Contract vs jsonschema's validate, N times;
* metrics: Scrape Metrics + Get Metric Value vs requests.get + prometheus_client's parser.

Last line: one JSON object.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

import jsonschema
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from prometheus_client import CollectorRegistry, Counter, start_http_server
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "contracts"))
from test_contracts_openapi import SPEC, _Handler  # noqa: E402

from crosscheck.contracts import Contracts  # noqa: E402
from crosscheck.metrics import Metrics  # noqa: E402

N = 300
PAYLOAD = {"seq": 1, "sent_at": 1.5, "universe": "TEST_u", "symbols": ["SPY", "QQQ"], "count": 2}
CONTRACTS = Path(__file__).resolve().parents[1] / "demo" / "shared" / "demo_shared" / "schemas"


def timed(fn, n=N):
    fn()
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1e6  # microseconds per call


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    response = requests.get(f"http://127.0.0.1:{srv.server_port}/v1/universes/good", timeout=5)
    lib = Contracts()
    lib.ctx.documents["b"] = __import__("crosscheck.contracts.openapi", fromlist=["load"]).load(SPEC)
    lib.ctx.active = "b"
    raw_api = OpenAPI.from_dict(dict(SPEC, servers=[{"url": "/"}]))
    ours_resp = timed(lambda: lib.response_should_match_openapi(response))
    raw_resp = timed(
        lambda: raw_api.validate_response(RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response))
    )
    lib.load_message_contracts(str(CONTRACTS))
    schema = json.loads((CONTRACTS / "tickstock.universe.updated.json").read_text())
    ours_pay = timed(lambda: lib.payload_should_match_contract("tickstock.universe.updated", PAYLOAD))
    raw_pay = timed(lambda: jsonschema.validate(PAYLOAD, schema))
    srv.shutdown()
    srv.server_close()

    registry = CollectorRegistry()
    counter = Counter("bench_requests", "r", ["route"], registry=registry)
    for i in range(50):
        counter.labels(f"/r{i}").inc(i)
    msrv, mthread = start_http_server(0, addr="127.0.0.1", registry=registry)
    url = f"http://127.0.0.1:{msrv.server_port}/metrics"
    metrics = Metrics(url)

    def raw_metrics():
        text = requests.get(url, timeout=5).text
        for fam in text_string_to_metric_families(text):
            if fam.name == "bench_requests":
                return sum(
                    s.value for s in fam.samples if s.name == "bench_requests_total" and s.labels["route"] == "/r7"
                )

    ours_met = timed(lambda: metrics.get_metric_value('bench_requests_total{route="/r7"}'), 100)
    raw_met = timed(raw_metrics, 100)
    msrv.shutdown()
    msrv.server_close()
    mthread.join(5)

    rows = [
        ("response vs openapi-core", ours_resp, raw_resp),
        ("payload vs jsonschema", ours_pay, raw_pay),
        ("metric value vs prometheus_client", ours_met, raw_met),
    ]
    for name, ours, raw in rows:
        print(f"{name:36s} crosscheck {ours:9.1f} us   raw {raw:9.1f} us   ratio {ours / raw:5.2f}")
    print(
        json.dumps(
            {
                "response_check_us": round(ours_resp, 1),
                "response_check_ratio_vs_openapi_core": round(ours_resp / raw_resp, 2),
                "payload_check_us": round(ours_pay, 1),
                "payload_check_ratio_vs_jsonschema": round(ours_pay / raw_pay, 2),
                "metric_value_us": round(ours_met, 1),
                "metric_value_ratio_vs_prometheus_client": round(ours_met / raw_met, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
