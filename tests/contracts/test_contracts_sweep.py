"""Contracts: the bounded property-based sweep, against a real server with deliberate bugs and the demo."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler

import pytest

from crosscheck.contracts import Contracts
from crosscheck.errors import CrosscheckError

SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "sweepme", "version": "1"},
    "paths": {
        "/items": {
            "post": {
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["size"],
                                "properties": {"size": {"type": "integer", "minimum": 0, "maximum": 100}},
                            }
                        }
                    },
                },
                "responses": {"200": {"description": "ok"}, "422": {"description": "invalid"}},
            }
        }
    },
}


class _Buggy(BaseHTTPRequestHandler):
    """Accepts anything (never rejects invalid data) and fails with 500 on sizes over 50."""

    def do_POST(self):  # noqa: N802
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            size = json.loads(raw).get("size")
        except (ValueError, AttributeError):
            size = None
        status = 500 if isinstance(size, int) and size > 50 else 200
        body = b'{"ok": true}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def buggy(serve):
    return serve(_Buggy)


def test_sweep_finds_server_errors_and_accepted_invalid_data(buggy, tmp_path):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(SPEC))
    lib = Contracts()
    lib.load_openapi_document(str(path))
    with pytest.raises(CrosscheckError) as err:
        lib.sweep_openapi_operations(buggy, max_examples=25)
    message = str(err.value)
    assert message.startswith("Sweep of sweepme 1 found ")
    assert "POST /items (positive): Server error (HTTP 500)" in message
    assert "POST /items (negative): " in message and "(HTTP 200)" in message


@pytest.fixture(scope="module")
def demo_api_key(create_demo_key):
    return create_demo_key("1000/minute")


def test_sweep_of_the_demo_passes(api_url, demo_api_key):
    lib = Contracts()
    lib.load_openapi_document(f"{api_url}/openapi.json")
    result = lib.sweep_openapi_operations(
        api_url, headers={"X-API-Key": demo_api_key}, max_examples=5, negative_only=["PUT *"]
    )
    assert result["requests"] > 10
    assert "POST /v1/search" in result["operations"]
    assert not any(status >= 500 for status in result["by_status"])
