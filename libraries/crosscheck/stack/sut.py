"""The system under test the embedded stack starts beside its Redis and Postgres.

``CROSSCHECK_SUT`` names it, in one of three forms:

* ``package.module:function``: a Python entry point, called as
  ``function(redis_url, postgres_url, log_dir)``; it starts the system and returns a
  handle with ``api_url`` (its HTTP address) and ``stop()`` (and, if it has them,
  ``pids``).
* the name of an installed ``crosscheck.sut`` entry point (a distribution that
  packages a system under test registers one; the reference demo registers ``demo``).
* any other value: a command line. It runs with ``CROSSCHECK_REDIS_URL``,
  ``CROSSCHECK_POSTGRES_URL`` and ``PORT`` in its environment (``$PORT`` in its arguments
  is replaced too) and must serve HTTP on ``127.0.0.1:$PORT``; it is ready when that port
  accepts connections.

Unset, the stack starts the one system under test installed as a ``crosscheck.sut``
entry point (``make`` installs the demo); with none installed, the API is a skip that
says how to name one. ``CROSSCHECK_SUT=none`` starts nothing.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from crosscheck.children import die_with_parent, tail
from crosscheck.ports import free_port

ENV = "CROSSCHECK_SUT"
GROUP = "crosscheck.sut"
READY_TIMEOUT = 30.0
_ENTRY_POINT = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
HOW = (
    f"set {ENV} (a Python entry point 'module:function', an installed '{GROUP}' entry point's name, "
    "or a command line serving HTTP on $PORT), or set CROSSCHECK_API_URL to an API already running; "
    "the reference demo installs with: pip install -e ./demo"
)


class NoSystemUnderTest(LookupError):
    """No system under test is named or installed; the message says how to name one."""


@dataclass
class SystemUnderTest:
    """What ``CROSSCHECK_SUT`` resolves to: a name for logs and the function that starts it."""

    name: str
    start: Callable[[str, str, Path], Any] = field(repr=False)


def _installed() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def _load(spec: str) -> Callable[..., Any]:
    module, _, attr = spec.partition(":")
    target: Any = import_module(module)
    for part in attr.split("."):
        target = getattr(target, part)
    return target


def resolve() -> SystemUnderTest | None:
    """The configured system under test; None for ``CROSSCHECK_SUT=none``.

    Raises :class:`NoSystemUnderTest` when none is named and none (or several) is installed,
    and ``ImportError``/``AttributeError`` when a named entry point does not load.
    """
    value = os.environ.get(ENV, "").strip()
    if value.lower() == "none":
        return None
    installed = _installed()
    if not value:
        if len(installed) == 1:
            ((name, ep),) = installed.items()
            return SystemUnderTest(name, ep.load())
        if not installed:
            raise NoSystemUnderTest(f"no system under test is installed: {HOW}")
        raise NoSystemUnderTest(
            f"{len(installed)} systems under test are installed ({', '.join(sorted(installed))}): "
            f"set {ENV} to one of them"
        )
    if value in installed:
        return SystemUnderTest(value, installed[value].load())
    if _ENTRY_POINT.match(value):
        return SystemUnderTest(value, _load(value))
    return SystemUnderTest(
        shlex.split(value)[0], lambda redis, postgres, logs: start_command(value, redis, postgres, logs)
    )


def describe() -> str:
    """One line about what the stack would start, for ``crosscheck status``."""
    try:
        found = resolve()
    except Exception as exc:  # noqa: BLE001 - described, never raised
        return f"not startable: {exc}"
    return "none" if found is None else found.name


def problem() -> str | None:
    """Why no system under test can be started, with the fix; None when one can."""
    try:
        resolve()
    except NoSystemUnderTest as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - a broken entry point becomes one line
        return f"{ENV}={os.environ.get(ENV, '')!r} does not load ({type(exc).__name__}: {exc}); {HOW}"
    return None


# --- a command line as the system under test -------------------------------------


def _die_with_parent() -> None:
    die_with_parent()
    os.setpgrp()


def _accepting(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class CommandHandle:
    """A system under test run from a command line: ``api_url``, ``pids``, ``stop()``."""

    def __init__(self, api_url: str, proc: subprocess.Popen, log: Path):
        self.api_url, self.proc, self.log = api_url, proc, log

    @property
    def pids(self) -> list[int]:
        return [self.proc.pid]

    def stop(self, timeout: float = 5.0) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def start_command(
    command: str, redis_url: str, postgres_url: str, log_dir: Path, ready_timeout: float = READY_TIMEOUT
) -> CommandHandle:
    """Run ``command`` on a free port with the stack's addresses; return once the port accepts connections."""
    port = free_port()
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / "sut.log"
    env = {
        **os.environ,
        "CROSSCHECK_REDIS_URL": redis_url,
        "CROSSCHECK_POSTGRES_URL": postgres_url,
        "PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }
    argv = [arg.replace("${PORT}", str(port)).replace("$PORT", str(port)) for arg in shlex.split(command)]
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            argv, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
        )
    handle = CommandHandle(f"http://127.0.0.1:{port}", proc, log)
    deadline = time.monotonic() + ready_timeout
    while not _accepting(port):
        if proc.poll() is not None:
            raise RuntimeError(
                f"{ENV} command exited with code {proc.returncode} while starting; end of {log}:\n{tail(log, 10)}"
            )
        if time.monotonic() > deadline:
            handle.stop()
            raise RuntimeError(
                f"{ENV} command did not listen on 127.0.0.1:{port} ($PORT) within "
                f"{ready_timeout:g} s; end of {log}:\n{tail(log, 10)}"
            )
        time.sleep(0.05)
    return handle
