"""Start and stop the demo for crosscheck's embedded stack (see demo/README.md, "Running it")."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from crosscheck_demo import migrate

_PR_SET_PDEATHSIG = 1
_PREFIXES = ("GATEWAY_", "CONSUMER_", "PRODUCER_")


def _die_with_parent() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass(repr=False)
class Handle:
    """The running demo: ``api_url``, ``pids``, ``stop()``."""

    api_url: str
    processes: dict[str, subprocess.Popen]
    logs: dict[str, Path]

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes.values()]

    def running(self) -> bool:
        return all(p.poll() is None for p in self.processes.values())

    def stop(self, timeout: float = 5) -> None:
        """Terminate every child, wait up to ``timeout`` s, kill what is left, reap all."""
        for p in self.processes.values():
            if p.poll() is None:
                p.terminate()
        deadline = time.monotonic() + timeout
        for p in self.processes.values():
            try:
                p.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def __repr__(self) -> str:
        return f"<demo api={self.api_url} pids={self.pids}>"

    def tail(self, name: str, lines: int = 15) -> str:
        """The end of child ``name``'s log, for error messages."""
        try:
            text = self.logs[name].read_text(errors="replace")
        except OSError:
            text = ""
        return f"end of {self.logs[name]}:\n" + "\n".join(text.splitlines()[-lines:])


def _answer(status: int, body: bytes) -> str:
    """The status and the start of the body, on one line."""
    text = " ".join(body.decode("utf-8", "replace").split())
    return f"HTTP {status} {text[:200]!r}" if text else f"HTTP {status} (empty body)"


def start(redis_url: str, postgres_url: str, log_dir: Path, ready_timeout: float = 10.0) -> Handle:
    """Migrate, start the API and the consumer, wait for ``/health``; return a :class:`Handle`."""
    migrate.apply(postgres_url)
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
    port = listener.getsockname()[1]
    with socket.socket() as probe:  # a free port for the consumer's /health
        probe.bind(("127.0.0.1", 0))
        health_port = probe.getsockname()[1]
    children = {
        "api": ("GATEWAY_", ["demo_gateway.cli", "serve", "--fd", str(listener.fileno())], {"PORT": str(port)}),
        "consumer": ("CONSUMER_", ["demo_consumer.cli", "run"], {"HEALTH_PORT": str(health_port)}),
    }
    handle = Handle(f"http://127.0.0.1:{port}", {}, {})
    try:
        for name, (prefix, command, own) in children.items():
            env = {k: v for k, v in os.environ.items() if not k.startswith(_PREFIXES) or k.startswith(prefix)}
            settings = {"REDIS_URL": redis_url, "POSTGRES_URL": postgres_url, **own}
            env |= {prefix + k: v for k, v in settings.items()} | {"PYTHONUNBUFFERED": "1"}
            handle.logs[name] = log_dir / f"demo-{name}.log"
            with open(handle.logs[name], "ab") as out:
                handle.processes[name] = subprocess.Popen(
                    [sys.executable, "-m", *command],
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    pass_fds=(listener.fileno(),) if name == "api" else (),
                    preexec_fn=_die_with_parent,
                    start_new_session=True,
                )
    finally:
        listener.close()  # the API child holds its own copy
    deadline = time.monotonic() + ready_timeout
    last = "no answer"  # what /health said last, for the failure message
    while True:
        for name, p in handle.processes.items():
            if p.poll() is not None:
                handle.stop()
                raise RuntimeError(f"demo {name} exited with code {p.returncode} while starting; {handle.tail(name)}")
        try:
            with urllib.request.urlopen(f"{handle.api_url}/health", timeout=1) as response:
                if response.status == 200:
                    return handle
                last = _answer(response.status, response.read(400))
        except urllib.error.HTTPError as exc:  # 4xx / 5xx
            last = _answer(exc.code, exc.read(400))
        except (urllib.error.URLError, OSError) as exc:
            last = f"no answer ({type(getattr(exc, 'reason', exc)).__name__})"
        if time.monotonic() > deadline:
            handle.stop()
            raise RuntimeError(
                f"demo API at {handle.api_url} not healthy within {ready_timeout:g} s: "
                f"GET /health answered {last}, expected HTTP 200; {handle.tail('api')}"
            )
        time.sleep(0.05)
