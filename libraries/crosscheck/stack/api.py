"""The embedded stack's Python API: start it (or find the one serving this run), stop it,
restart one of its servers, give a process a private stack.

Service addresses come from :mod:`crosscheck.services` (``services.redis.url()`` and so on):
configured ones as given, the rest from :func:`embedded_url` here. This module imports
nothing of ``crosscheck.services``, which builds on it.

    from crosscheck.stack import api
    api.ensure()                 # the stack serving this run, started on first use
    api.restart("redis")         # kill the embedded Redis as a crash would; seconds it was down
    api.restart("postgres", down_for=2.0, mode="immediate")
                                 # pg_ctl stop -m immediate, start again 2 s later; seconds it was down
    api.start_private()          # a stack of this process's own, used from now on (and by its children)
    api.stop_private()           # stop it; the stack used before is used again
    api.up() / api.down()        # what `crosscheck up` / `crosscheck down` do

The stack's record (:func:`ensure`) has one entry per service under ``services``:
``redis`` and ``postgres`` (``url``, ``port``, ``pid``, ``version``, ``status``,
``restarts``), ``api`` (the system under test: ``url``, ``pids``) and ``toxiproxy``, the
fault proxy server (``url`` of its HTTP API, ``pid``, ``version``, and ``proxies``:
``{"redis": {"listen": "127.0.0.1:X", "upstream": "127.0.0.1:Y", "url": <redis URL through
the proxy>}, "postgres": {...}}``). The system under test is connected through those two
proxies; the suites' own connections (``services.redis.url()``) are direct.

A restart with ``down_for`` leaves a hold marker in the stack's runtime folder
(:func:`crosscheck.stack.registry.hold`); the supervisor starts the server again once the
marker's deadline has passed. The deadline is at most :data:`registry.MAX_HOLD` away, and the
marker goes with the stack, so nothing keeps a server down for good.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from crosscheck import config
from crosscheck.errors import CrosscheckError
from crosscheck.stack import registry
from crosscheck.stack.servers import address_of, via

START_TIMEOUT = 60.0
EMBEDDABLE = ("redis", "postgres")
PROXY = "toxiproxy"  # the fault proxy server, run by every stack unless CROSSCHECK_TOXIPROXY_URL is set
RESTART_MODES = {"redis": ("kill",), "postgres": ("kill", "immediate"), PROXY: ("kill",)}
RECHECK = 1.0  # seconds a record read from disk is trusted without asking whether its supervisor lives

_cache: dict[str, dict] = {}
_logs_of: dict[str, str] = {}  # key -> log folder of every stack this process used (for messages once it is gone)
_users_added: set[str] = set()  # stacks this process recorded its run as a user of
_private: list[tuple[str, str | None]] = []  # private stacks of this process: (key, CROSSCHECK_STACK_KEY before)
_private_numbers = itertools.count(1)


class StackError(CrosscheckError):
    pass


def _skip(reason: str):
    from robot.api import SkipExecution

    return SkipExecution(reason)


def _embedded_services() -> list[str]:
    return [name for name in EMBEDDABLE if not config.configured(name)]


def _stack_services() -> list[str]:
    """What a new stack runs: the embedded servers, and the proxy server unless one is configured."""
    return _embedded_services() + ([] if config.configured(PROXY) else [PROXY])


def _wants_sut() -> bool:
    # The system under test is only ever put into databases the stack itself created.
    return not config.configured("api") and not any(config.configured(s) for s in EMBEDDABLE)


def run_output_dir() -> Path | None:
    """The output folder of the Robot run this process belongs to (``--outputdir``; under pabot
    the pabot run's, not the worker's ``pabot_results/<n>``), or None outside a Robot run."""
    try:
        from robot.libraries.BuiltIn import BuiltIn
        from robot.running.context import EXECUTION_CONTEXTS
    except ImportError:
        return None
    if EXECUTION_CONTEXTS.current is None:
        return None
    try:
        found = BuiltIn().get_variable_value("${OUTPUT_DIR}")
    except Exception:  # noqa: BLE001 - not inside a running suite after all
        return None
    if not found:
        return None
    folder = Path(found)
    return folder.parent.parent if folder.parent.name == "pabot_results" else folder


def logs_root() -> Path:
    """Where a stack started now keeps its logs (in ``<key>/``): ``stack/`` in the output folder of
    the Robot run under way (:func:`run_output_dir`), else in ``CROSSCHECK_RESULTS_DIR`` or ``./results``."""
    return (run_output_dir() or config.results_dir()) / "stack"


def _spawn(
    key: str, owner: psutil.Process | None, system_under_test: bool, logs_dir: Path | None = None, name: str = ""
) -> None:
    logs = (logs_dir or logs_root()) / key
    logs.mkdir(parents=True, exist_ok=True)
    argv = [
        sys.executable,
        "-m",
        "crosscheck.stack.supervisor",
        key,
        "--logs",
        str(logs),
        "--services",
        ",".join(_stack_services()),
    ]
    if name:
        argv += ["--name", name]
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
    """The ``crosscheck up`` stack of this installation (or of ``CROSSCHECK_STACK_NAME``), if running."""
    key = registry.explicit_key()
    return key if registry.supervisor_alive(registry.read_state(key)) else None


INHERITED = "CROSSCHECK_STACK_KEY"


def _remember(key: str) -> dict | None:
    """Read the record of ``key`` and keep it (with the file's identity) for :func:`_recent`."""
    try:
        st = os.stat(registry.state_path(key))
    except OSError:
        return None
    state = registry.read_state(key)
    if state:  # one assignment: a thread reading it sees the record with its own stamp
        _cache["recent"] = {"key": key, "file": [st.st_ino, st.st_mtime_ns], "at": time.monotonic(), "state": state}
        _logs_of[key] = state.get("logs", "")
    return state


def _recent(key: str | None) -> dict | None:
    """The kept record of ``key`` while its file is unchanged and its supervisor was seen alive
    less than :data:`RECHECK` seconds ago: what makes a service URL cheap to ask for again."""
    recent = _cache.get("recent")
    if not key or not recent or recent["key"] != key or time.monotonic() - recent["at"] > RECHECK:
        return None
    try:
        st = os.stat(registry.state_path(key))
    except OSError:
        return None
    return recent["state"] if recent["file"] == [st.st_ino, st.st_mtime_ns] else None


def ensure(system_under_test: bool | None = None) -> dict:
    """The record of the stack serving this process, starting one if needed.

    In order: the stack this process inherited from the run that started it
    (``CROSSCHECK_STACK_KEY``, so a command started with ``Run Process`` uses the run's
    stack, and a private stack once :func:`start_private` made one), the stack this run
    started itself (the one a pabot run's first worker started serves every later worker,
    even if ``crosscheck up`` has started one meanwhile), the ``crosscheck up`` stack of this
    installation (:func:`crosscheck.stack.registry.stack_name`), or a new stack of the run's
    own. Once chosen, a process keeps its stack: one that stops under it is an error, never a
    silent switch to another. A run using a ``crosscheck up`` stack is recorded as its user, so
    ``crosscheck down`` will not stop it under the run without ``--force``.
    A new stack starts the system under test where it runs its own Redis and Postgres and no
    ``CROSSCHECK_API_URL`` is set; ``system_under_test=False`` starts it without.
    """
    return _ensure(system_under_test, proxy=False)


def _ensure(system_under_test: bool | None, proxy: bool) -> dict:
    if not _embedded_services() and config.configured("api") and not (proxy and not config.configured(PROXY)):
        return {"key": None, "services": {}}
    key = os.environ.get(INHERITED)
    recent = _recent(key)
    if recent is not None:
        return recent
    if key and not registry.supervisor_alive(registry.read_state(key)):
        if key.startswith(("private-", "up-")):  # never fall back to another stack under a run
            kind = "private stack" if key.startswith("private-") else "stack started with `crosscheck up`"
            raise StackError(f"the {kind} {key} stopped unexpectedly under this run; see {_where_logs(key)}")
        key = None
    owner = registry.owner()
    if key is None:
        own = registry.run_key(owner)
        with registry.locked(own):  # the run's own stack first: all of a pabot run's workers share it
            if registry.supervisor_alive(registry.read_state(own)):
                key = own
            else:
                key = _active_key()
                if key is None:
                    key = own
                    _spawn(key, owner, _wants_sut() if system_under_test is None else system_under_test)
    state = _remember(key)
    if not state:
        raise StackError(f"the embedded stack {key} stopped unexpectedly; see {_where_logs(key)}")
    if key.startswith("up-") and key not in _users_added:
        registry.add_user(key, owner, str(run_output_dir() or ""))
        _users_added.add(key)
    os.environ[INHERITED] = key  # child processes find this stack
    return state


def _where_logs(key: str) -> str:
    return _logs_of.get(key) or str(logs_root() / key)


def embedded_url(name: str) -> str:
    """The URL of ``name`` (``redis``, ``postgres``, ``api``, ``toxiproxy``) as this run's stack serves it.

    A configured URL is returned as given. Where the stack has no system under test to start
    (none installed or named), asking for the ``api`` is a skip that says how to name one.
    """
    configured = config.configured(name)
    if configured:
        return configured
    entry = _ensure(None, proxy=name == PROXY)["services"].get(name, {})
    if entry.get("status") == "unavailable":
        raise _skip(f"no {name} to test: {entry.get('error', 'none is configured')}")
    # a server held down or being restarted keeps its address: a client meets the outage, not an error here
    if entry.get("status") not in ("running", "held", "restarting") or not entry.get("url"):
        raise StackError(
            f"embedded {name} is not running ({entry.get('status', 'absent')}: "
            f"{entry.get('error', 'no detail')}); run `crosscheck doctor`"
        )
    return entry["url"]


def wants_system_under_test() -> bool:
    """Whether the stack runs the system under test (only on its own embedded Redis and Postgres)."""
    return _wants_sut()


def restart(service: str = "redis", timeout: float = 30.0, down_for: float = 0.0, mode: str = "kill") -> float:
    """Stop an embedded server and let the supervisor start it again on the same port; returns the
    seconds it was down (from the stop until it accepted connections again).

    ``mode="kill"`` kills it (SIGKILL) as a crash would; for ``postgres``, ``mode="immediate"``
    stops it with ``pg_ctl stop -m immediate`` (no shutdown checkpoint: crash recovery at the next
    start, every committed transaction kept). ``down_for`` seconds (at most
    :data:`registry.MAX_HOLD`) pass before it is started again. ``timeout`` bounds the wait for
    the start, after ``down_for``. ``toxiproxy``, the proxy server, can be killed too: it comes
    back with its two proxies on the same ports and no toxics.
    Configured services cannot be restarted from here: raises StackError.
    """
    if service not in RESTART_MODES:
        raise StackError(f"crosscheck restarts only its embedded servers ({', '.join(RESTART_MODES)}), not {service!r}")
    if config.configured(service):
        raise StackError(
            f"{service} is configured ({config.mask_url(config.configured(service))}); "
            "crosscheck only restarts servers it started itself"
        )
    if mode not in RESTART_MODES[service]:
        raise StackError(f"{service} cannot be stopped with mode={mode!r}: use {' or '.join(RESTART_MODES[service])}")
    if not 0.0 <= down_for <= registry.MAX_HOLD:
        raise StackError(f"down_for must be between 0 and {registry.MAX_HOLD:g} seconds, got {down_for:g}")
    state = ensure()
    entry = state["services"].get(service)
    if not entry or entry.get("status") != "running":
        raise StackError(f"embedded {service} is not running, cannot restart it")
    key, pid, before = state["key"], entry["pid"], entry.get("restarts", 0)
    registry.hold(key, service, pid, down_for)  # before the stop: the supervisor must not start it at once
    stopped_at = time.time()
    try:
        if mode == "immediate":
            from crosscheck.stack.servers import PostgresServer, ServerError

            try:
                server = PostgresServer(entry["port"], registry.runtime_dir(key) / service, Path(state["logs"]))
                server.pg_ctl_stop("immediate", timeout)
            except ServerError as exc:
                raise StackError(f"embedded postgres did not stop: {exc}") from None
        else:
            os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    except BaseException:
        registry.release(key, service)
        raise
    deadline = time.monotonic() + down_for + timeout
    now: dict = {}
    while time.monotonic() < deadline:
        now = (_remember(key) or {}).get("services", {}).get(service, {})
        if now.get("restarts", 0) > before and now.get("status") == "running":
            return max(0.0, float(now.get("ready_at") or time.time()) - stopped_at)
        time.sleep(0.02)
    raise StackError(
        f"embedded {service} did not come back within {down_for + timeout:.0f} s "
        f"(status: {now.get('status', 'absent')}); see {state['logs']}"
    )


# --- private stacks: a suite that breaks its servers -------------------------------


def _in_use() -> dict | None:
    """The record of the stack this process uses now, if it has started to use one; never starts one."""
    key = os.environ.get(INHERITED)
    state = registry.read_state(key) if key else None
    return state if registry.supervisor_alive(state) else None


def _addresses(state: dict | None) -> dict[str, str]:
    """The addresses (``host:port``) of a stack by what listens there: a server, the API, a proxy."""
    found = {}
    for name, entry in (state or {}).get("services", {}).items():
        address = address_of(entry.get("url") or "")
        if address:
            found[name] = address
        for proxy, described in (entry.get("proxies") or {}).items():
            found[f"{name}/{proxy}"] = described["listen"]
    return found


def _move_environment(old: dict | None, new: dict | None) -> list[str]:
    """Point the environment variables that hold a URL of stack ``old`` (``Export Redis Url`` puts
    them there for child processes) at the same service of stack ``new``; returns their names."""
    before, after = _addresses(old), _addresses(new)
    moves = {before[name]: after[name] for name in before.keys() & after.keys() if before[name] != after[name]}
    moved = []
    for name, value in list(os.environ.items()) if moves else []:
        address = address_of(value) if "://" in value else None
        if address in moves:
            os.environ[name] = via(value, moves[address])
            moved.append(name)
    return moved


def start_private(system_under_test: bool = True) -> dict:
    """Start a stack of this process's own and use it from now on; returns its record.

    It has its own Redis, Postgres, proxy server and (with ``system_under_test``, where the
    shared stack would have one) system under test, and stops when this process ends at the
    latest. ``CROSSCHECK_STACK_KEY`` names it, so child processes use it too. Configured
    services stay as configured: only the embedded ones are private. Environment variables that
    hold a URL of the stack used so far (exported for child processes) are pointed at the same
    service of the private stack. :func:`stop_private` stops it and goes back to the stack used
    before.
    """
    services = _stack_services()
    if not services:
        raise StackError(
            "every service is configured (CROSSCHECK_REDIS_URL, CROSSCHECK_POSTGRES_URL, CROSSCHECK_TOXIPROXY_URL): "
            "a private stack only holds servers crosscheck starts itself, and there is none to start"
        )
    me = psutil.Process()
    key = f"private-{me.pid}-{int(me.create_time())}-{next(_private_numbers)}"
    before = _in_use()
    with registry.locked(key):
        _spawn(key, me, system_under_test and _wants_sut())
    _private.append((key, os.environ.get(INHERITED)))
    os.environ[INHERITED] = key
    _cache.clear()
    state = _remember(key)
    if not state:
        raise StackError(f"the private stack {key} stopped unexpectedly; see {_where_logs(key)}")
    _move_environment(before, state)
    return state


def stop_private(key: str | None = None) -> bool:
    """Stop the private stack ``key`` (default: the newest this process started) and use the stack
    used before it again (environment variables holding a URL of the private stack are pointed
    back at it); False when there is none."""
    index = next((i for i in range(len(_private) - 1, -1, -1) if key in (None, _private[i][0])), None)
    if index is None:
        return False
    key, previous = _private.pop(index)
    if index < len(_private):  # a newer private stack goes back to what this one replaced
        _private[index] = (_private[index][0], previous)
    elif os.environ.get(INHERITED) == key:
        private = registry.read_state(key)
        if previous is None:
            os.environ.pop(INHERITED, None)
        else:
            os.environ[INHERITED] = previous
        _move_environment(private, _in_use())
    _cache.clear()
    stop(key)
    return True


# --- explicit stacks: crosscheck up / down / status ------------------------------


def up(system_under_test: bool = True, logs: Path | None = None) -> dict:
    """Start (or find) the ``crosscheck up`` stack of this installation (or of
    ``CROSSCHECK_STACK_NAME``); it runs until :func:`down`. Its logs go to ``logs/<key>``
    (default: ``stack/`` in ``CROSSCHECK_RESULTS_DIR`` or ``./results``)."""
    key = registry.explicit_key()
    with registry.locked(key):
        if not registry.supervisor_alive(registry.read_state(key)):
            _spawn(key, None, system_under_test and _wants_sut(), logs_dir=logs, name=registry.stack_name())
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


class StackInUse(StackError):
    """``crosscheck down`` would stop a stack under a run that uses it."""


def describe_user(user: dict) -> str:
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(user["create_time"]))
    command = f" ({user['command']})" if user.get("command") else ""
    output = f", output {user['output_dir']}" if user.get("output_dir") else f", in {user.get('cwd') or '?'}"
    return f"pid {user['pid']}{command}, started {started}{output}"


def runs_using(key: str) -> list[dict]:
    """The runs alive that use stack ``key`` but for the one this process belongs to."""
    mine = {psutil.Process().pid} | {p.pid for p in psutil.Process().parents()}
    return [user for user in registry.users(key) if user["pid"] not in mine]


def down(all_stacks: bool = False, force: bool = False) -> list[str]:
    """Stop the ``crosscheck up`` stack of this installation, and stacks whose owner is gone (or
    every stack with ``all_stacks``).

    Raises :class:`StackInUse`, stopping nothing, when a run still uses the ``crosscheck up``
    stack, naming each (pid, command, start, output folder); ``force`` (or ``all_stacks``)
    stops it anyway.
    """
    explicit = registry.explicit_key()
    in_use = runs_using(explicit) if registry.supervisor_alive(registry.read_state(explicit)) else []
    if in_use and not (force or all_stacks):
        runs = "; ".join(describe_user(u) for u in in_use)
        noun = "a run" if len(in_use) == 1 else f"{len(in_use)} runs"
        raise StackInUse(
            f"stack {explicit} is in use by {noun}: {runs}. Stopping it would break "
            f"{'that run' if len(in_use) == 1 else 'them'}: wait for the end, or stop it anyway with "
            "`crosscheck down --force`"
        )
    stopped = []
    for key in registry.all_keys():
        state = registry.read_state(key) or {}
        owner = state.get("owner")
        stale = owner is not None and not registry.owner_alive(owner["pid"], owner["create_time"])
        if key == explicit or stale or all_stacks or not registry.supervisor_alive(state):
            if stop(key):
                stopped.append(key)
    _cache.clear()
    return stopped


def stop_run_stack() -> str | None:
    """Stop the stack this run started on demand (not a ``crosscheck up`` one); its key, or None."""
    key = registry.run_key(registry.owner())
    return key if stop(key) else None


def current() -> dict | None:
    """The record of the stack serving this process (a private one, this installation's
    ``crosscheck up`` stack or this run's), if one is running; never starts one."""
    inherited = os.environ.get(INHERITED)
    if inherited and registry.supervisor_alive(registry.read_state(inherited)):
        return registry.read_state(inherited)
    owner_key = registry.run_key(registry.owner())
    key = owner_key if registry.supervisor_alive(registry.read_state(owner_key)) else _active_key()
    return registry.read_state(key) if key else None
