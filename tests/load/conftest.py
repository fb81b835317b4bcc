"""Shared fixtures of the Load tests: a real HTTP server on 127.0.0.1 (http.server, threads).

Routes: ``/ok`` answers 200 at once, ``/slow`` after 30 ms, ``/flaky`` answers 500 on every
fifth request, ``/echo`` (POST, PUT) answers the JSON body it got; anything else 404.
``server.hits`` counts requests by method and path, ``server.bodies`` keeps the last bodies.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args) -> None:  # quiet
        pass

    def _answer(self, status: int, body: bytes = b"{}") -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        path = self.path.split("?")[0]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with self.server.lock:
            self.server.hits[(self.command, path)] += 1
            n = self.server.hits[(self.command, path)]
            if body:
                self.server.bodies.append(body)
                self.server.headers.append(dict(self.headers))
        if path == "/ok":
            self._answer(200, b'{"status": "ok"}')
        elif path == "/slow":
            time.sleep(0.03)
            self._answer(200)
        elif path == "/flaky":
            self._answer(500 if n % 5 == 0 else 200)
        elif path == "/echo" and self.command in ("POST", "PUT"):
            self._answer(200, body or b"{}")
        else:
            self._answer(404, b'{"error": "not found"}')

    do_GET = do_POST = do_PUT = do_DELETE = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.hits: Counter = Counter()
        self.bodies: list[bytes] = []
        self.headers: list[dict] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def requests_for(self, method: str, path: str) -> int:
        with self.lock:
            return self.hits[(method, path)]


@pytest.fixture()
def server():
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)


@pytest.fixture()
def dead_url():
    """An http URL on 127.0.0.1 where nothing listens."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://user:s3cret@127.0.0.1:{port}"
