"""The embedded stack's Python API: start it (or find the one serving this run), stop it,
restart one of its servers.

Service addresses come from :mod:`crosscheck.services` (``services.redis.url()`` and so on):
configured ones as given, the rest from :func:`embedded_url` here. This module imports
nothing of ``crosscheck.services``, which builds on it.

    from crosscheck.stack import api
    api.ensure()                 # the stack serving this run, started on first use
    api.restart("redis")         # kill the embedded Redis as a crash would; seconds it was down
    api.up() / api.down()        # what `crosscheck up` / `crosscheck down` do
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil

from crosscheck import config
from crosscheck.errors import CrosscheckError
from crosscheck.stack import registry

START_TIMEOUT = 60.0
EMBEDDABLE = ("redis", "postgres")

_cache: dict[str, dict] = {}


class StackError(CrosscheckError):
    pass


def _skip(reason: str):
    from robot.api import SkipExecution

    return SkipExecution(reason)


def _embedded_services() -> list[str]:
    return [name for name in EMBEDDABLE if not config.configured(name)]


def _wants_sut() -> bool:
    # The system under test is only ever put into databases the stack itself created.
    return not config.configured("api") and not any(config.configured(s) for s in EMBEDDABLE)


def _spawn(key: str, owner: psutil.Process | None, system_under_test: bool) -> None:
    logs = config.results_dir() / "stack" / key
    logs.mkdir(parents=True, exist_ok=True)
    argv = [
        sys.executable,
        "-m",
        "crosscheck.stack.supervisor",
        key,
        "--logs",
        str(logs),
        "--services",
        ",".join(_embedded_services()),
    ]
    if owner is not None:
        argv += ["--owner", f"{owner.pid}:{owner.create_time()}"]
    if not system_under_test:
        argv.append("--no-sut")
    with open(logs / "supervisor.log", "ab") as log:
        proc = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, close_fds=True
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        state = registry.read_state(key)
        if state and state.get("status") == "running":
            return
        if state and state.get("status") == "failed":
            break
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    else:
        proc.terminate()
    proc.wait(10)
    tail = (logs / "supervisor.log").read_text(errors="replace").strip().splitlines()[-6:]
    raise StackError(
        "the embedded stack did not start: "
        + " | ".join(tail)
        + f" (full log: {logs / 'supervisor.log'}; `crosscheck doctor` lists fixes)"
    )


def _active_key() -> str | None:
    """An explicit stack (``crosscheck up``) for this results folder, if running."""
    key = registry.explicit_key()
    return key if registry.supervisor_alive(registry.read_state(key)) else None


INHERITED = "CROSSCHECK_STACK_KEY"


def ensure(system_under_test: bool | None = None) -> dict:
    """The record of the stack serving this process, starting one if needed.

    In order: the stack this process inherited from the run that started it
    (``CROSSCHECK_STACK_KEY``, so a command started with ``Run Process`` uses the run's
    stack), the ``crosscheck up`` stack for this results folder, or the run's own stack.
    A new stack starts the system under test where it runs its own Redis and Postgres and no
    ``CROSSCHECK_API_URL`` is set; ``system_under_test=False`` starts it without.
    """
    if not _embedded_services() and config.configured("api"):
        return {"key": None, "services": {}}
    key = os.environ.get(INHERITED)
    if not (key and registry.supervisor_alive(registry.read_state(key))):
        key = _active_key()
    if key is None:
        owner = registry.owner()
        key = registry.run_key(owner)
        with registry.locked(key):
            state = registry.read_state(key)
            if not registry.supervisor_alive(state):
                _spawn(key, owner, _wants_sut() if system_under_test is None else system_under_test)
    state = registry.read_state(key)
    if not state:
        raise StackError(f"the embedded stack {key} stopped unexpectedly; see {config.results_dir() / 'stack' / key}")
    os.environ[INHERITED] = key  # child processes find this stack
    _cache["state"] = state
    return state


def embedded_url(name: str) -> str:
    """The URL of ``name`` (``redis``, ``postgres``, ``api``) as this run's stack serves it.

    A configured URL is returned as given. Where the stack has no system under test to start
    (none installed or named), asking for the ``api`` is a skip that says how to name one.
    """
    configured = config.configured(name)
    if configured:
        return configured
    entry = ensure()["services"].get(name, {})
    if entry.get("status") == "unavailable":
        raise _skip(f"no {name} to test: {entry.get('error', 'none is configured')}")
    if entry.get("status") != "running" or not entry.get("url"):
        raise StackError(
            f"embedded {name} is not running ({entry.get('status', 'absent')}: "
            f"{entry.get('error', 'no detail')}); run `crosscheck doctor`"
        )
    return entry["url"]


def wants_system_under_test() -> bool:
    """Whether the stack runs the system under test (only on its own embedded Redis and Postgres)."""
    return _wants_sut()


def restart(service: str = "redis", timeout: float = 30.0) -> float:
    """Restart an embedded server on the same port; returns the seconds it was down.

    The server is killed (as a crash would) and the supervisor starts it again.
    Configured services cannot be restarted from here: raises StackError.
    """
    if config.configured(service):
        raise StackError(
            f"{service} is configured ({config.mask_url(config.configured(service))}); "
            "crosscheck only restarts servers it started itself"
        )
    state = ensure()
    entry = state["services"].get(service)
    if not entry or entry.get("status") != "running":
        raise StackError(f"embedded {service} is not running, cannot restart it")
    before = entry.get("restarts", 0)
    t0 = time.monotonic()
    try:
        os.kill(entry["pid"], signal.SIGKILL)
    except ProcessLookupError:
        pass
    deadline = t0 + timeout
    while time.monotonic() < deadline:
        state = registry.read_state(state["key"]) or {}
        now = state.get("services", {}).get(service, {})
        if now.get("restarts", 0) > before and now.get("status") == "running":
            _cache["state"] = state
            return time.monotonic() - t0
        time.sleep(0.02)
    raise StackError(f"embedded {service} did not come back within {timeout:.0f} s")


# --- explicit stacks: crosscheck up / down / status ------------------------------


def up(system_under_test: bool = True) -> dict:
    """Start (or find) the explicit stack for this results folder; it runs until :func:`down`."""
    key = registry.explicit_key()
    with registry.locked(key):
        if not registry.supervisor_alive(registry.read_state(key)):
            _spawn(key, None, system_under_test and _wants_sut())
    return registry.read_state(key) or {}


def stop(key: str, timeout: float = 15.0) -> bool:
    """Stop the stack ``key`` and remove what it left; False when there was none."""
    state = registry.read_state(key)
    if not state:
        registry.remove_state(key)
        return False
    sup = state.get("supervisor", {})
    if registry.supervisor_alive(state):
        try:
            proc = psutil.Process(sup["pid"])
            proc.terminate()
            proc.wait(timeout)
        except psutil.TimeoutExpired:
            proc.kill()
        except psutil.Error:
            pass
    # whatever a dead supervisor left: its servers, its files
    for entry in state.get("services", {}).values():
        for pid in [entry.get("pid")] + list(entry.get("pids", [])):
            if pid:
                try:
                    child = psutil.Process(pid)
                    if child.create_time() >= state.get("started_at", 0) - 1:
                        child.kill()
                except psutil.Error:
                    pass
    import shutil

    shutil.rmtree(registry.runtime_dir(key), ignore_errors=True)
    registry.remove_state(key)
    return True


def down(all_stacks: bool = False) -> list[str]:
    """Stop the explicit stack, and stacks whose owner is gone (or every stack with ``all_stacks``)."""
    stopped = []
    for key in registry.all_keys():
        state = registry.read_state(key) or {}
        owner = state.get("owner")
        stale = owner is not None and not registry.owner_alive(owner["pid"], owner["create_time"])
        if key == registry.explicit_key() or stale or all_stacks or not registry.supervisor_alive(state):
            if stop(key):
                stopped.append(key)
    _cache.clear()
    return stopped


def stop_run_stack() -> str | None:
    """Stop the stack this run started on demand (not a ``crosscheck up`` one); its key, or None."""
    key = registry.run_key(registry.owner())
    return key if stop(key) else None


def current() -> dict | None:
    """The record of the stack serving this results folder or run, if one is running; never starts one."""
    key = _active_key()
    if key is None:
        owner_key = registry.run_key(registry.owner())
        key = owner_key if registry.supervisor_alive(registry.read_state(owner_key)) else None
    return registry.read_state(key) if key else None
