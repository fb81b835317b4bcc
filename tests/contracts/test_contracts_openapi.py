"""Contracts: HTTP responses against OpenAPI, against a real HTTP server and the demo API."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler

import pytest
import requests

from crosscheck.contracts import Contracts
from crosscheck.errors import ConfigurationError, CrosscheckError

SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "universes", "version": "1.0"},
    "paths": {
        "/v1/universes/{name}": {
            "get": {
                "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": {
                        "description": "the universe",
                        "headers": {"X-Request-Id": {"required": True, "schema": {"type": "string"}}},
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Universe"}}},
                    },
                    "404": {"description": "unknown"},
                },
            }
        }
    },
    "components": {
        "schemas": {
            "Universe": {
                "type": "object",
                "required": ["name", "symbols"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string"},
                    "symbols": {"type": "array", "items": {"type": "string"}},
                    "count": {"type": "integer"},
                },
            }
        }
    },
}

BODIES = {
    "good": (200, "application/json", {"name": "good", "symbols": ["SPY", "QQQ"], "count": 2}),
    # the deliberately broken variant: 'symbols' renamed to 'tickers'
    "renamed": (200, "application/json", {"name": "renamed", "tickers": ["SPY"], "count": 1}),
    "badtypes": (200, "application/json", {"name": "badtypes", "symbols": ["SPY", 7], "count": "2"}),
    "teapot": (418, "application/json", {"error": "teapot"}),
    "plain": (200, "text/plain", "SPY,QQQ"),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        name = self.path.rsplit("/", 1)[-1]
        status, ctype, body = BODIES.get(name, (404, "application/json", {"error": "unknown"}))
        raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(raw)))
        if name != "noheader":
            self.send_header("X-Request-Id", "r-1")
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):
        pass


BODIES["noheader"] = BODIES["good"]


@pytest.fixture(scope="module")
def server(serve):
    return serve(_Handler)


@pytest.fixture()
def lib():
    return Contracts()


@pytest.fixture()
def loaded(lib, tmp_path):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(SPEC))
    assert lib.load_openapi_document(str(path)) == "universes 1.0"
    return lib


def test_matching_response_passes(loaded, server):
    response = requests.get(f"{server}/v1/universes/good", timeout=5)
    loaded.response_should_match_openapi(response)
    assert loaded.get_openapi_mismatches(response) == []


def test_renamed_field_fails_with_json_path_expected_and_actual(loaded, server):
    response = requests.get(f"{server}/v1/universes/renamed", timeout=5)
    with pytest.raises(CrosscheckError) as err:
        loaded.response_should_match_openapi(response)
    message = str(err.value)
    assert message.startswith(
        "GET /v1/universes/renamed -> 200 (universes 1.0) does not match its contract: 2 mismatches"
    )
    assert "$.symbols: expected required property, got (missing)" in message
    assert '$.tickers: expected no such property (additionalProperties: false), got ["SPY"]' in message


def test_every_type_mismatch_is_listed(loaded, server):
    response = requests.get(f"{server}/v1/universes/badtypes", timeout=5)
    found = loaded.get_openapi_mismatches(response)
    assert '$.count: expected type "integer", got "2"' in found
    assert '$.symbols[1]: expected type "string", got 7' in found


def test_undocumented_status_is_reported(loaded, server):
    response = requests.get(f"{server}/v1/universes/teapot", timeout=5)
    with pytest.raises(
        CrosscheckError, match=r"status: expected one of the documented statuses \['200', '404'\], got 418"
    ):
        loaded.response_should_match_openapi(response)


def test_wrong_content_type_is_reported(loaded, server):
    response = requests.get(f"{server}/v1/universes/plain", timeout=5)
    with pytest.raises(
        CrosscheckError, match=r"header Content-Type: expected one of \['application/json'\], got 'text/plain'"
    ):
        loaded.response_should_match_openapi(response)


def test_missing_required_header_is_reported(loaded, server):
    response = requests.get(f"{server}/v1/universes/noheader", timeout=5)
    with pytest.raises(CrosscheckError, match="header X-Request-Id: expected required header, got \\(missing\\)"):
        loaded.response_should_match_openapi(response)


def test_undocumented_operation_is_reported(loaded, server):
    response = requests.get(f"{server}/v2/other", timeout=5)
    with pytest.raises(CrosscheckError, match="operation: expected an operation documented"):
        loaded.response_should_match_openapi(response)


def test_not_a_response_is_a_configuration_error(loaded):
    with pytest.raises(ConfigurationError, match="Expected a response from RequestsLibrary"):
        loaded.response_should_match_openapi({"status": 200})


def test_no_document_loaded_says_what_to_do(lib, server):
    response = requests.get(f"{server}/v1/universes/good", timeout=5)
    with pytest.raises(ConfigurationError, match="No OpenAPI document loaded"):
        lib.response_should_match_openapi(response)


def test_unreachable_document_url_fails_fast_with_masked_address(lib):
    with pytest.raises(CrosscheckError, match=r"Cannot fetch OpenAPI document from http://u:\*\*\*@127.0.0.1:9/"):
        lib.load_openapi_document("http://u:secret@127.0.0.1:9/openapi.json")


def test_not_openapi_is_rejected(lib, tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("swagger: '2.0'\n")
    with pytest.raises(ConfigurationError, match="is not an OpenAPI 3 document"):
        lib.load_openapi_document(str(path))


# --- the demo API ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_key(create_demo_key):
    return create_demo_key("100/minute")


def test_demo_api_matches_its_own_document(api_url, demo_key):
    lib = Contracts()
    lib.load_openapi_document(f"{api_url}/openapi.json")
    headers = {"X-API-Key": demo_key}
    lib.response_should_match_openapi(requests.get(f"{api_url}/health", timeout=5))
    lib.response_should_match_openapi(requests.get(f"{api_url}/v1/universes/TEST_missing", headers=headers, timeout=5))
    lib.response_should_match_openapi(requests.get(f"{api_url}/v1/universes/x", timeout=5))  # 401
    search = requests.post(f"{api_url}/v1/search", json={"vector": [0.1] * 8, "top_k": 2}, headers=headers, timeout=5)
    assert search.status_code == 200
    lib.response_should_match_openapi(search)
