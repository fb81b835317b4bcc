"""Contracts: the bounded property-based sweep, against a real server that breaks its own document, and the demo."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from http.server import BaseHTTPRequestHandler

import pytest
from robot.api import ExecutionResult

from crosscheck.contracts import Contracts
from crosscheck.contracts.sweep import DEFAULT_CHECKS, available_checks, hypothesis_home
from crosscheck.errors import ConfigurationError, CrosscheckError

API_KEY = "s3cr3t-sweep-key"
TOKEN = "Bearer t0ken-of-the-sweep"
AUTH = {"X-API-Key": API_KEY, "Authorization": TOKEN}

JSON_ID = {
    "application/json": {"schema": {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}}
}
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
                "responses": {"200": {"description": "ok", "content": JSON_ID}, "422": {"description": "invalid"}},
            }
        },
        "/items/{id}": {
            "get": {
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "ok", "content": JSON_ID}, "404": {"description": "no such item"}},
            }
        },
        "/page": {
            "get": {
                "responses": {
                    "200": {
                        "description": "ok",
                        "headers": {"X-Page-Count": {"required": True, "schema": {"type": "integer"}}},
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                }
            }
        },
    },
}


class _Buggy(BaseHTTPRequestHandler):
    """Breaks its own document, one way per operation.

    ``POST /items`` accepts any JSON body (never rejects invalid data), answers 500, echoing the
    API key, for sizes over 50 and 500 to a body that is not JSON; ``GET /items/{id}`` answers ``{"id": "x"}`` (the document says an
    integer) and 400 to a negative id (valid by the document); ``GET /page`` answers HTML where
    the document says JSON, without its required header ``X-Page-Count``.
    """

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):  # noqa: N802
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            size = json.loads(raw).get("size")
        except ValueError:
            self._send(500, b"Traceback: cannot decode the body", "text/plain")
            return
        except AttributeError:
            size = None
        if isinstance(size, int) and size > 50:
            key = self.headers.get("X-API-Key", "")
            self._send(500, f"Traceback: boom, size {size} too large for key {key}".encode(), "text/plain")
        else:
            self._send(200, b'{"id": 1}')

    def do_GET(self):  # noqa: N802
        if self.path.startswith("/page"):
            self._send(200, b"<html>hello</html>", "text/html")
        elif self.path.startswith("/items/-") and self.path[len("/items/-") :].isdigit():
            self._send(400, b'{"detail": "ids are positive"}')
        elif self.path.startswith("/items/") and self.path[len("/items/") :].isdigit():
            self._send(200, b'{"id": "x"}')
        else:
            self._send(404, b'{"detail": "not found"}')

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def buggy(serve):
    return serve(_Buggy)


@pytest.fixture
def spec_file(tmp_path) -> str:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(SPEC))
    return str(path)


@pytest.fixture
def lib(spec_file) -> Contracts:
    library = Contracts()
    library.load_openapi_document(spec_file)
    return library


def _failure(lib: Contracts, url: str, **kwargs) -> str:
    with pytest.raises(CrosscheckError) as err:
        lib.sweep_openapi_operations(url, headers=AUTH, max_examples=25, **kwargs)
    return str(err.value)


def test_each_finding_says_what_was_invalid_with_a_curl_line(lib, buggy):
    message = _failure(lib, buggy)
    first, *lines = message.splitlines()
    assert first.startswith("Sweep of sweepme 1 found ") and first.endswith(" requests:"), first
    assert lines and all(line.split(" ")[0] in ("GET", "POST") and " -- curl -X " in line for line in lines), message

    def line_of(start: str) -> str:
        found = [line for line in lines if line.startswith(start)]
        assert found, f"no line starting {start!r} in:\n{message}"
        return found[0]

    schema = line_of("GET /items/{id} (positive): response_schema_conformance (HTTP 200): ")
    assert 'body $.id: type expected "integer", got "x"' in schema
    assert f"{buggy}/items/" in schema
    server = line_of("POST /items (positive): not_a_server_error (HTTP 500): ")
    assert 'server error, body starts "Traceback: boom, size ' in server
    assert "-H 'Content-Type: application/json' -d '{" in server and '"size": ' in server
    status = line_of("POST /items (positive): status_code_conformance (HTTP 500): ")
    assert "Received: 500; Documented: 200, 422" in status
    accepted = line_of("POST /items (negative): negative_data_rejection (HTTP 200): invalid request accepted: body: ")
    assert "expected one of 400, 401" in accepted
    negative_5xx = line_of("POST /items (negative): not_a_server_error (HTTP 500): ")
    assert "; request invalid by body: " in negative_5xx
    content_type = line_of("GET /page (positive): content_type_conformance (HTTP 200): ")
    assert "text/html" in content_type
    # secrets: masked in the curl lines, and scrubbed where the server echoed one
    assert "-H 'X-API-Key: ***'" in schema and "-H 'Authorization: ***'" in schema
    assert API_KEY not in message and "t0ken" not in message
    assert "for key ***" in server


def test_responses_are_checked_against_the_document_by_default():
    assert DEFAULT_CHECKS == (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
    )
    valid = available_checks()
    for name in (*DEFAULT_CHECKS, "response_headers_conformance", "positive_data_acceptance"):
        assert name in valid
    assert "use_after_free" not in valid and "ignored_auth" not in valid


@pytest.mark.parametrize("shell", [None, "/bin/bash", "/bin/sh"])
def test_a_finding_stays_on_one_line_whatever_the_shell(lib, buggy, monkeypatch, shell):
    # the request builder escapes for $SHELL; with none (a CI job), or one it does not know, it
    # appends warnings as paragraphs: they belong on the finding's line, not on lines of their own
    if shell is None:
        monkeypatch.delenv("SHELL", raising=False)
    else:
        monkeypatch.setenv("SHELL", shell)
    message = _failure(lib, buggy, checks=["not_a_server_error"])
    lines = message.splitlines()[1:]
    assert lines and all(line.startswith("POST /items (") and " -- curl -X POST " in line for line in lines), message
    negative = [line for line in lines if line.startswith("POST /items (negative): not_a_server_error")]
    assert negative, message


def test_a_suite_chooses_the_checks(lib, buggy):
    message = _failure(lib, buggy, checks=["not_a_server_error"])
    lines = message.splitlines()[1:]
    assert lines and all(": not_a_server_error (HTTP 500): " in line for line in lines), message
    message = _failure(lib, buggy, checks="negative_data_rejection, content_type_conformance")
    checks = {line.split(": ")[1].split(" ")[0] for line in message.splitlines()[1:]}
    assert checks == {"negative_data_rejection", "content_type_conformance"}, message


def test_response_headers_conformance_reports_a_missing_header(lib, buggy):
    message = _failure(lib, buggy, checks=["response_headers_conformance"])
    lines = message.splitlines()[1:]
    assert len(lines) == 1 and lines[0].startswith("GET /page (positive): response_headers_conformance (HTTP 200): "), (
        message
    )
    assert (
        "Missing required response headers: The following required headers are missing from the response: `X-Page-Count`"
        in lines[0]
    )


def test_positive_data_acceptance_reports_valid_data_rejected(lib, buggy):
    message = _failure(lib, buggy, checks=["positive_data_acceptance"])
    lines = message.splitlines()[1:]
    assert lines and all(
        line.startswith("GET /items/{id} (positive): positive_data_acceptance (HTTP 400): ") for line in lines
    ), message


def test_an_unknown_check_is_refused_with_the_valid_names(lib, buggy):
    with pytest.raises(ConfigurationError) as err:
        lib.sweep_openapi_operations(buggy, checks=["not_a_server_eror"])
    message = str(err.value)
    assert message.startswith("Unknown sweep check 'not_a_server_eror'. Valid checks: not_a_server_error, ")
    for name in DEFAULT_CHECKS:
        assert name in message
    with pytest.raises(ConfigurationError, match=r"Check 'use_after_free' cannot run in a sweep: it needs"):
        lib.sweep_openapi_operations(buggy, checks=["use_after_free"])


def test_allowed_findings_pass_and_are_listed_and_a_stale_pattern_warns(lib, buggy, caplog):
    allow = [
        "POST /items (*): *",
        "GET /items/{id} (*): *",
        "GET /page (*): content_type_conformance *",
        "GET /nowhere *",
    ]
    with caplog.at_level(logging.WARNING):
        result = lib.sweep_openapi_operations(buggy, headers=AUTH, max_examples=25, allow=allow)
    assert result["failures"] == []
    assert any(line.startswith("POST /items (negative): negative_data_rejection ") for line in result["allowed"])
    assert any(line.startswith("GET /page (positive): content_type_conformance ") for line in result["allowed"])
    assert result["stale_allow"] == ["GET /nowhere *"]
    assert "allow pattern 'GET /nowhere *' matched no finding (stale)" in caplog.text


def test_allowed_findings_leave_the_others_failing(lib, buggy):
    message = _failure(lib, buggy, allow=["POST /items (*): *", "GET /page *"])
    first, *lines = message.splitlines()
    assert "more allowed)" in first
    assert lines and all(line.startswith("GET /items/{id} ") for line in lines), message


def test_an_allow_file_holds_one_pattern_per_line(lib, buggy, tmp_path):
    allow = tmp_path / "known-findings.txt"
    allow.write_text(
        "# known bugs of the server, ticket 123\nPOST /items (*): *\n\nGET /items/{id} (*): *\nGET /page *\n"
    )
    result = lib.sweep_openapi_operations(buggy, headers=AUTH, max_examples=10, allow=str(allow))
    assert result["failures"] == [] and result["allowed"] and result["stale_allow"] == []
    with pytest.raises(ConfigurationError, match=r"Allow list '.*missing.txt' is not a file"):
        lib.sweep_openapi_operations(buggy, allow=str(tmp_path / "missing.txt"))


def test_a_sweep_that_sends_nothing_fails(lib, buggy):
    from datetime import timedelta

    with pytest.raises(
        CrosscheckError, match=r"sent no request to 3 operations before the deadline: nothing was checked"
    ):
        lib.sweep_openapi_operations(buggy, deadline=timedelta(0))


def test_hypothesis_home_is_restored_and_its_temporary_folder_removed(tmp_path):
    from hypothesis import configuration

    before = vars(configuration)["__hypothesis_home_directory"]
    with hypothesis_home(None) as home:
        assert configuration.storage_directory("x").path == home / "x"
        assert home.is_dir()
    assert not home.exists()
    assert vars(configuration)["__hypothesis_home_directory"] == before
    with hypothesis_home(tmp_path / "h") as home:
        assert home == tmp_path / "h"
    assert home.is_dir()


def test_nothing_is_written_into_the_working_directory(buggy, spec_file, tmp_path):
    """A fresh process (Hypothesis has cached nothing yet) sweeps from an empty working directory."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    script = textwrap.dedent(
        f"""
        from crosscheck.contracts import Contracts
        lib = Contracts()
        lib.load_openapi_document({spec_file!r})
        print(lib.sweep_openapi_operations({buggy!r}, max_examples=5, checks=["not_a_server_error"],
                                           allow=["*"])["requests"])
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_STORAGE_DIRECTORY"}
    out = subprocess.run([sys.executable, "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.split()[-1]) > 0
    assert list(cwd.iterdir()) == []


def test_under_robot_findings_go_to_a_table_and_hypothesis_to_the_output_dir(buggy, spec_file, tmp_path):
    cwd, outdir = tmp_path / "cwd", tmp_path / "out"
    cwd.mkdir()
    allow = tmp_path / "allow.txt"
    allow.write_text("POST /items (*): *\nGET /nowhere *\n")
    suite = tmp_path / "sweep.robot"
    suite.write_text(
        textwrap.dedent(
            f"""\
            *** Settings ***
            Library    crosscheck.Contracts

            *** Test Cases ***
            Sweep
                Load OpenAPI Document    {spec_file}
                Sweep OpenAPI Operations    {buggy}    headers=${{{{{{"X-API-Key": "{API_KEY}"}}}}}}
                ...    max_examples=10    allow={allow}
            """
        )
    )
    env = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_STORAGE_DIRECTORY"}
    subprocess.run(
        [sys.executable, "-m", "robot", "--outputdir", str(outdir), "--loglevel", "DEBUG", str(suite)],
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert list(cwd.iterdir()) == []
    assert (outdir / "hypothesis").is_dir()
    result = ExecutionResult(str(outdir / "output.xml"))
    test = result.suite.tests[0]
    assert test.status == "FAIL"
    first, *lines = test.message.splitlines()
    assert first.startswith("Sweep of sweepme 1 found ") and "more allowed)" in first
    assert lines and all(line.startswith("GET /") for line in lines)
    messages = [m for kw in test.body for m in kw.body if hasattr(m, "level")]
    texts = "\n".join(m.message for m in messages)
    assert any(
        m.level == "WARN" and "allow pattern 'GET /nowhere *' matched no finding (stale)" in m.message for m in messages
    )
    assert "<th" in texts and ">curl<" in texts and ">detail<" in texts and "allowed by POST /items (*): *" in texts
    assert "Allowed by 'POST /items (*): *': POST /items (negative): negative_data_rejection" in texts
    assert API_KEY not in test.message and API_KEY not in texts


@pytest.fixture(scope="module")
def demo_api_key(create_demo_key):
    return create_demo_key("1000/minute")


def test_sweep_of_the_demo_passes_its_own_document(api_url, demo_api_key):
    lib = Contracts()
    lib.load_openapi_document(f"{api_url}/openapi.json")
    result = lib.sweep_openapi_operations(
        api_url, headers={"X-API-Key": demo_api_key}, max_examples=5, negative_only=["PUT *"]
    )
    assert result["checks"] == list(DEFAULT_CHECKS)
    assert result["requests"] > 10
    assert "POST /v1/search" in result["operations"]
    assert not any(status >= 500 for status in result["by_status"])
    assert result["failures"] == [] and result["stale_allow"] == []


def test_the_demo_passes_every_check_a_sweep_can_run(api_url, demo_api_key):
    lib = Contracts()
    lib.load_openapi_document(f"{api_url}/openapi.json")
    result = lib.sweep_openapi_operations(
        api_url,
        headers={"X-API-Key": demo_api_key},
        max_examples=5,
        negative_only=["PUT *"],
        checks=available_checks(),
        allow=["GET /nowhere *"],
    )
    assert result["checks"] == available_checks() and result["requests"] > 10
    assert result["failures"] == [] and result["allowed"] == [] and result["stale_allow"] == ["GET /nowhere *"]
