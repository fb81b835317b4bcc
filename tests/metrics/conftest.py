"""Shared fixtures of the Metrics tests: a real Prometheus endpoint (prometheus_client) on 127.0.0.1."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server


@pytest.fixture()
def endpoint():
    """``(url, metrics)``: a /metrics endpoint with its own registry and the metrics it exposes."""
    registry = CollectorRegistry()
    metrics = {
        "requests": Counter("app_requests", "Requests served", ["route", "status"], registry=registry),
        "in_use": Gauge("app_pool_in_use", "Connections in use", registry=registry),
        "latency": Histogram(
            "app_latency_seconds", "Latency", ["route"], registry=registry, buckets=(0.05, 0.1, 0.25, 0.5, 1.0)
        ),
    }
    server, thread = start_http_server(0, addr="127.0.0.1", registry=registry)
    url = f"http://127.0.0.1:{server.server_port}/metrics"
    yield url, metrics
    server.shutdown()
    server.server_close()
    thread.join(5)
