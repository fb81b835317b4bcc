"""Start the fault proxy (:mod:`crosscheck.faults.proxy`) as a process of its own, and stop it.

    from crosscheck.faults import launch
    proxy = launch.start(log_dir)            # HTTP API on 127.0.0.1, a free port
    proxy.url                                # "http://127.0.0.1:PORT"
    proxy.stop()                             # SIGTERM, then SIGKILL; reaped

The process runs in a session of its own (a Ctrl-C in the terminal reaches the test run, not
the proxy), dies with the process that started it (PR_SET_PDEATHSIG: the kernel sends SIGTERM
when the starting thread ends) and, given ``owner``, stops when that process is gone. Its
output goes to ``log_dir / "fault-proxy.log"``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import crosscheck
from crosscheck.children import die_with_parent, tail
from crosscheck.errors import CrosscheckError

LOG_NAME = "fault-proxy.log"


class ProxyProcess:
    """A running fault proxy: ``url`` of its HTTP API, ``pid``, ``log``, ``alive()``, ``stop()``."""

    def __init__(self, url: str, proc: subprocess.Popen, log: Path):
        self.url = url
        self.proc = proc
        self.log = log

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM (the proxy closes its listeners and connections), SIGKILL after ``timeout`` s; reaped."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def __enter__(self) -> ProxyProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"ProxyProcess(url={self.url!r}, pid={self.pid}, alive={self.alive()})"


def start(log_dir: Path, owner: tuple[int, float] | None = None, ready_timeout: float = 10.0) -> ProxyProcess:
    """Start a fault proxy and return once its HTTP API answers (its ready file is written).

    ``owner`` is ``(pid, create_time)`` of a process whose end stops the proxy. A proxy that
    exits or does not get ready within ``ready_timeout`` seconds raises
    :class:`crosscheck.errors.CrosscheckError` with the end of its log.
    """
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / LOG_NAME
    workdir = Path(tempfile.mkdtemp(prefix="crosscheck-fault-proxy-"))
    ready = workdir / "ready.json"
    argv = [sys.executable, "-m", "crosscheck.faults.proxy", "--host", "127.0.0.1", "--port", "0"]
    argv += ["--ready-file", str(ready)]
    if owner is not None:
        argv += ["--owner", f"{owner[0]}:{owner[1]}"]
    package_root = str(Path(crosscheck.__file__).resolve().parents[1])
    path = os.environ.get("PYTHONPATH", "")
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": package_root + (os.pathsep + path if path else ""),
    }
    try:
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                close_fds=True,
                preexec_fn=die_with_parent if sys.platform.startswith("linux") else None,
            )
        handle = ProxyProcess("", proc, log)
        deadline = time.monotonic() + ready_timeout
        while True:
            if ready.exists():
                try:
                    record = json.loads(ready.read_text())
                    handle.url = str(record["url"])
                    break
                except (ValueError, KeyError, OSError):
                    pass  # written by a rename, so a partial file cannot be seen; re-read anyway
            if proc.poll() is not None:
                raise CrosscheckError(
                    f"the fault proxy exited with code {proc.returncode} while starting; end of {log}:\n{tail(log, 15)}"
                )
            if time.monotonic() > deadline:
                handle.stop()
                raise CrosscheckError(
                    f"the fault proxy did not get ready within {ready_timeout:g} s; end of {log}:\n{tail(log, 15)}"
                )
            time.sleep(0.02)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return handle
