"""Shared fixtures of the Contracts tests: local HTTP servers and the demo's message contracts."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def message_contracts() -> Path:
    """The demo's folder of ``<channel>.json`` JSON Schemas."""
    return ROOT / "demo" / "shared" / "demo_shared" / "schemas"


@pytest.fixture(scope="session")
def serve():
    """``serve(handler)``: the base URL of a new local HTTP server with ``handler``; all are stopped at the end."""
    servers = []

    def start(handler) -> str:
        srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        return f"http://127.0.0.1:{srv.server_port}"

    yield start
    for srv in servers:
        srv.shutdown()
        srv.server_close()
