"""Service addresses for every library: configured ones as given, the rest embedded."""

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


def _wants_demo() -> bool:
    # The demo is only ever put into databases the stack itself created.
    return not config.configured("api") and not any(config.configured(s) for s in EMBEDDABLE)


def _spawn(key: str, owner: psutil.Process | None, demo: bool) -> None:
    logs = config.results_dir() / "stack" / key
    logs.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "crosscheck.stack.supervisor", key, "--logs", str(logs),
            "--services", ",".join(_embedded_services())]
    if owner is not None:
        argv += ["--owner", f"{owner.pid}:{owner.create_time()}"]
    if not demo:
        argv.append("--no-demo")
    with open(logs / "supervisor.log", "ab") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, close_fds=True)
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
    raise StackError("the embedded stack did not start: " + " | ".join(tail)
                     + f" (full log: {logs / 'supervisor.log'}; `crosscheck doctor` lists fixes)")


def _active_key() -> str | None:
    """An explicit stack (``crosscheck up``) for this results folder, if running."""
    key = registry.explicit_key()
    return key if registry.supervisor_alive(registry.read_state(key)) else None


INHERITED = "CROSSCHECK_STACK_KEY"


def ensure(demo: bool | None = None) -> dict:
    """The record of the stack serving this process, starting one if needed.

    In order: the stack this process inherited from the run that started it
    (``CROSSCHECK_STACK_KEY``, so ``Run Process    crosscheck-demo ...`` uses the run's
    stack), the ``crosscheck up`` stack for this results folder, or the run's own stack.
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
                _spawn(key, owner, _wants_demo() if demo is None else demo)
    state = registry.read_state(key)
    if not state:
        raise StackError(f"the embedded stack {key} stopped unexpectedly; see {config.results_dir() / 'stack' / key}")
    os.environ[INHERITED] = key  # child processes find this stack
    _cache["state"] = state
    return state


def _service_url(name: str) -> str:
    configured = config.configured(name)
    if configured:
        return configured
    entry = ensure()["services"].get(name, {})
    if entry.get("status") != "running" or not entry.get("url"):
        raise StackError(f"embedded {name} is not running ({entry.get('status', 'absent')}: "
                         f"{entry.get('error', 'no detail')}); run `crosscheck doctor`")
    return entry["url"]


def embedded_url(name: str) -> str:
    """The URL of ``name`` as this run's stack serves it (configured URLs are returned as given)."""
    return _service_url(name)


def wants_system_under_test() -> bool:
    """Whether the stack runs the system under test (only on its own embedded Redis and Postgres)."""
    return _wants_demo()


def redis_url() -> str:
    """``CROSSCHECK_REDIS_URL``, or the embedded Redis (started on first use)."""
    return _service_url("redis")


def postgres_url() -> str:
    """``CROSSCHECK_POSTGRES_URL``, or the embedded Postgres's ``crosscheck_test`` database."""
    return _service_url("postgres")


def api_url() -> str:
    """``CROSSCHECK_API_URL``, or the embedded demo API.

    The demo only runs on the embedded Redis and Postgres (it never writes its
    schema into a configured database); with those configured and no API
    address, this raises SkipExecution saying so.
    """
    configured = config.configured("api")
    if configured:
        return configured.rstrip("/")
    if not _wants_demo():
        raise _skip("no API to test: set CROSSCHECK_API_URL (the demo API only runs on the embedded "
                    "Redis and Postgres, and CROSSCHECK_REDIS_URL / CROSSCHECK_POSTGRES_URL are set)")
    return _service_url("api").rstrip("/")


def qdrant_url() -> str | None:
    """``CROSSCHECK_QDRANT_URL``, or None: use qdrant-client's local mode."""
    return config.configured("qdrant")


def docker_url() -> str:
    """``DOCKER_HOST``, or the default socket."""
    return config.configured("docker") or config.DEFAULT_DOCKER_SOCKET


def restart(service: str = "redis", timeout: float = 30.0) -> float:
    """Restart an embedded server on the same port; returns the seconds it was down.

    The server is killed (as a crash would) and the supervisor starts it again.
    Configured services cannot be restarted from here: raises StackError.
    """
    if config.configured(service):
        raise StackError(f"{service} is configured ({config.mask_url(config.configured(service))}); "
                         "crosscheck only restarts servers it started itself")
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

def up(demo: bool = True) -> dict:
    """Start (or find) the explicit stack for this results folder; it runs until :func:`down`."""
    key = registry.explicit_key()
    with registry.locked(key):
        if not registry.supervisor_alive(registry.read_state(key)):
            _spawn(key, None, demo and _wants_demo())
    return registry.read_state(key)


def _stop_key(key: str, timeout: float = 15.0) -> bool:
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
            if _stop_key(key):
                stopped.append(key)
    _cache.clear()
    return stopped


def status(probe: bool = True) -> list[dict]:
    """One entry per service: name, address (password masked), version, mode, state."""
    rows = []
    key = _active_key()
    if key is None:
        owner_key = registry.run_key(registry.owner())
        key = owner_key if registry.supervisor_alive(registry.read_state(owner_key)) else None
    state = registry.read_state(key) if key else None
    services = (state or {}).get("services", {})
    for name in ("redis", "postgres", "api"):
        if config.configured(name):
            url = config.configured(name)
            rows.append({"service": name, "address": config.mask_url(url), "mode": "configured",
                         "version": _probe_version(name, url) if probe else "", "state": ""})
        elif name in services:
            entry = services[name]
            rows.append({"service": name, "address": entry.get("url", ""), "mode": f"embedded ({key})",
                         "version": entry.get("version", ""), "state": entry.get("status", ""),
                         "pid": entry.get("pid") or entry.get("pids"), "restarts": entry.get("restarts", 0),
                         "error": entry.get("error", "")})
        else:
            rows.append({"service": name, "address": "", "mode": "embedded", "version": "",
                         "state": "not running (starts on first use, or `crosscheck up`)"})
    q = config.configured("qdrant")
    rows.append({"service": "qdrant", "address": config.mask_url(q) if q else "qdrant-client local mode",
                 "mode": "configured" if q else "local", "version": "", "state": ""})
    docker = docker_url()
    rows.append({"service": "docker", "address": docker, "mode": "configured" if config.configured("docker")
                 else "default", "version": _probe_version("docker", docker) if probe else "", "state": ""})
    return rows


def _probe_version(name: str, url: str) -> str:
    from crosscheck.stack import probes

    try:
        return probes.version(name, url)
    except Exception as exc:  # reported, never raised: status must always print
        return "unreachable: " + config.scrub(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, url)
