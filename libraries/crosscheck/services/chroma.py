"""Chroma: a server by its address (``chroma://host:8000``), or one started here (``chroma``).

chromadb comes with the optional extra ``chroma`` (``pip install 'robotframework-crosscheck[chroma]'``);
without it the vector library skips what needs it, naming the extra. :func:`client` gives an
``HttpClient`` for a server's address; :class:`ChromaServer` runs ``chroma run`` as a child process
on 127.0.0.1 with its data in a temporary directory: it dies with this process and is stopped
(and its directory removed) by :meth:`ChromaServer.stop`.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any
from urllib.parse import urlsplit

from crosscheck.config import mask_url, scrub
from crosscheck.errors import ConfigurationError, ServiceUnavailable
from crosscheck.ports import free_port

EXTRA = "chroma"
PACKAGES = "chromadb"
START_TIMEOUT = 30.0


def missing() -> str | None:
    """None when chromadb loads here, else the skip reason naming the extra."""
    try:
        import chromadb  # noqa: F401
    except ImportError as exc:
        return (
            f"Chroma needs the optional extra '{EXTRA}' ({PACKAGES}: "
            f"pip install 'robotframework-crosscheck[{EXTRA}]'): {exc}"
        )
    return None


def http_url(url: str) -> str:
    """``chroma://host:port`` (or ``http(s)://host:port``) as the HTTP address of the server."""
    text = url.strip()
    if text.lower().startswith("chroma://"):
        text = "http://" + text[len("chroma://") :]
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ConfigurationError(
            f"Chroma URL {mask_url(url)!r} is malformed ({exc}); expected chroma://host:8000"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"Chroma URL {mask_url(url)!r} is malformed; expected chroma://host:8000")
    return f"{parts.scheme}://{parts.hostname}:{port or (443 if parts.scheme == 'https' else 8000)}"


def client(url: str) -> Any:
    """A chromadb ``HttpClient`` for the server at ``url`` (``chroma://host:8000``), checked with a heartbeat."""
    import chromadb
    from chromadb.config import Settings

    address = http_url(url)
    parts = urlsplit(address)
    try:
        c = chromadb.HttpClient(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 8000,
            ssl=parts.scheme == "https",
            settings=Settings(anonymized_telemetry=False),
        )
        c.heartbeat()
        return c
    except Exception as exc:  # noqa: BLE001 - chromadb raises ValueError, httpx's and its own types
        text = scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, url)
        raise ServiceUnavailable(
            f"Chroma at {mask_url(address)} is unreachable ({text}): start it (chroma run --host 127.0.0.1 "
            "--port 8000 --path DIR), or use chroma to have crosscheck start one"
        ) from None


def _die_with_parent() -> None:
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    os.setpgrp()  # a Ctrl-C in the terminal reaches the test run, not the server


class ChromaServer:
    """``chroma run`` on 127.0.0.1, a free port, its data in a temporary directory."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="crosscheck-chroma-")
        self.port = free_port()
        self.url = f"chroma://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = START_TIMEOUT) -> str:
        """Starts the server and waits until it answers; returns its ``chroma://`` URL."""
        chroma = shutil.which("chroma", path=os.path.dirname(sys.executable)) or shutil.which("chroma")
        if not chroma:
            raise ServiceUnavailable("Chroma: the chroma command of the chromadb package is not on PATH")
        log = open(os.path.join(self.dir, "server.log"), "ab")
        argv = [
            chroma,
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--path",
            os.path.join(self.dir, "data"),
        ]
        self.proc = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.proc.poll()
            if code is not None:
                tail = self._tail()
                self.stop()
                raise ServiceUnavailable(f"Chroma exited with code {code} while starting: {tail}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self.url
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise ServiceUnavailable(f"Chroma did not answer on 127.0.0.1:{self.port} within {timeout:.0f} s")

    def _tail(self) -> str:
        try:
            with open(os.path.join(self.dir, "server.log"), errors="replace") as f:
                return " | ".join(f.read().splitlines()[-3:])
        except OSError:
            return ""

    def stop(self) -> None:
        """Stops the server (SIGTERM, then SIGKILL) and removes its data."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        shutil.rmtree(self.dir, ignore_errors=True)
