"""Fixtures of the fault proxy's tests: a real proxy process, real TCP servers upstream, a client.

``fault_proxy`` is one proxy process for the session (stopped at the end, however the session
ends); ``api`` is a client of it that deletes every proxy when the test ends; ``echo`` is a TCP
server (threads, blocking sockets) that sends back what it receives and closes its side once
the client closed its own; ``through()`` creates a proxy to it and returns its name and address; ``tcp`` has the socket
helpers (connect, read exactly or to the end, time a round trip, wait for a condition).
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from crosscheck.faults import launch
from crosscheck.services.toxiproxy import Toxiproxy

IO_TIMEOUT = 10.0  # no socket operation of a test waits longer
_names = itertools.count(1)


class EchoServer:
    """Sends back every byte it receives; on the client's EOF it closes its own side.

    With a ``greeting``, it first sends that the moment it accepts (as MySQL, SMTP or SSH servers do)."""

    def __init__(self, greeting: bytes = b"") -> None:
        self.greeting = greeting
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.accepted = 0
        self.received: list[bytes] = []  # what each finished connection sent, in order of their end
        self.lock = threading.Lock()
        self.conns: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.accepted += 1
                self.conns.append(conn)
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    def _echo(self, conn: socket.socket) -> None:
        got = bytearray()
        try:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.greeting:
                conn.sendall(self.greeting)
            while True:
                data = conn.recv(1 << 16)
                if not data:
                    break
                got += data
                conn.sendall(data)
            conn.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        finally:
            conn.close()
            with self.lock:
                self.received.append(bytes(got))

    def close(self) -> None:
        self.sock.close()
        with self.lock:
            for conn in self.conns:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@pytest.fixture(scope="session")
def fault_proxy(tmp_path_factory) -> Iterator[launch.ProxyProcess]:
    proc = launch.start(tmp_path_factory.mktemp("fault-proxy"))
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def api(fault_proxy) -> Iterator[Toxiproxy]:
    client = Toxiproxy(fault_proxy.url)
    try:
        yield client
    finally:
        for name in list(client.proxies()):
            client.delete_proxy(name)
        client.close()


@pytest.fixture(scope="session")
def echo() -> Iterator[EchoServer]:
    server = EchoServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def greeting_server() -> Iterator[EchoServer]:
    """An echo server that speaks first: ``220 ready\\r\\n`` on every connection."""
    server = EchoServer(greeting=b"220 ready\r\n")
    try:
        yield server
    finally:
        server.close()


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


@pytest.fixture
def through(api, echo) -> Callable[..., tuple[str, tuple[str, int]]]:
    """``through(upstream=echo.address, **fields)``: a new proxy; returns its name and (host, port)."""

    def create(upstream: str | None = None, name: str | None = None) -> tuple[str, tuple[str, int]]:
        name = name or unique("p")
        listen = api.create_proxy(name, upstream or echo.address)["listen"]
        host, _, port = listen.rpartition(":")
        return name, (host, int(port))

    return create


class Tcp:
    """Socket helpers of the tests, bounded in time (the ``tcp`` fixture)."""

    @staticmethod
    def connect(address: tuple[str, int], timeout: float = IO_TIMEOUT) -> socket.socket:
        sock = socket.create_connection(address, timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    @staticmethod
    def recv_exactly(sock: socket.socket, size: int) -> bytes:
        data = bytearray()
        while len(data) < size:
            chunk = sock.recv(size - len(data))
            if not chunk:
                raise EOFError(f"connection closed after {len(data)} of {size} bytes")
            data += chunk
        return bytes(data)

    @staticmethod
    def recv_until_eof(sock: socket.socket) -> bytes:
        data = bytearray()
        while chunk := sock.recv(1 << 20):
            data += chunk
        return bytes(data)

    @staticmethod
    def round_trip(sock: socket.socket, message: bytes = b"ping\n") -> float:
        """Seconds for ``message`` to go through the proxy to the echo server and back."""
        t0 = time.perf_counter()
        sock.sendall(message)
        assert Tcp.recv_exactly(sock, len(message)) == message
        return time.perf_counter() - t0

    @staticmethod
    def wait_for(condition: Callable[[], bool], timeout: float = 10.0, what: str = "the condition") -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} did not happen within {timeout:g} s")
            time.sleep(0.02)


@pytest.fixture(scope="session")
def tcp() -> type[Tcp]:
    return Tcp
