"""Where running stacks are recorded, who owns them, and how starts are serialised.

A stack is identified by a key:

* ``up-<hash>``: started by ``crosscheck up``; it runs until ``crosscheck down``. There is
  one per installation of crosscheck (the Python environment, ``sys.prefix``), found from
  any folder; ``CROSSCHECK_STACK_NAME`` names another (:func:`stack_name`).
* ``run-<pid>-<start time>``: started on demand by a test run; its supervisor
  stops it as soon as the owning process is gone (normal end, failure, Ctrl-C
  or kill). The owner is the ``pabot`` process when there is one among the
  ancestors (one stack for the whole parallel run), else the process itself.
* ``private-<pid>-<start time>-<n>``: a private stack (:func:`crosscheck.stack.api.start_private`)
  owned by one process, for a suite that breaks its servers; it stops with that process
  at the latest.

Records live in ``/tmp/crosscheck-stacks/`` and are removed with the stack, as is the
stack's runtime folder ``/tmp/crosscheck-stacks/<key>/`` (data directories, hold markers,
and the runs that use the stack: :func:`add_user`, :func:`users`).

A hold marker (:func:`hold`) asks the supervisor to leave a server down until a deadline
after it stopped; it names the process it is about (a marker for an earlier process is
ignored), and it never outlives its deadline or the stack.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import psutil

REGISTRY = Path(os.environ.get("CROSSCHECK_STACK_REGISTRY", "/tmp/crosscheck-stacks"))


NAME_ENV = "CROSSCHECK_STACK_NAME"


def stack_name() -> str:
    """What names the ``crosscheck up`` stack: ``CROSSCHECK_STACK_NAME``, else this installation
    (``sys.prefix``: the virtual environment), so every run of one installation finds the same
    stack whatever its working directory."""
    return os.environ.get(NAME_ENV, "").strip() or installation()


def installation() -> str:
    """This installation of crosscheck: its Python environment (``sys.prefix``)."""
    return str(Path(sys.prefix).resolve())


def explicit_key(name: str | None = None) -> str:
    """The key of the ``crosscheck up`` stack named ``name`` (default: :func:`stack_name`)."""
    digest = hashlib.sha1((name or stack_name()).encode()).hexdigest()[:10]
    return f"up-{digest}"


def _is_pabot(proc: psutil.Process) -> bool:
    try:
        args = proc.cmdline()
    except (psutil.Error, OSError):
        return False
    for arg in args[:3]:
        base = os.path.basename(arg)
        if base in ("pabot", "pabot.py") or arg == "pabot" or arg.endswith("pabot/pabot.py"):
            return True
    return "-m" in args[:3] and "pabot" in args[:4]


def owner() -> psutil.Process:
    """The process whose life bounds an on-demand stack: a ``pabot`` ancestor (one stack
    for all of pabot's workers), else this process."""
    forced = os.environ.get("CROSSCHECK_STACK_OWNER")
    if forced:
        return psutil.Process(int(forced))
    me = psutil.Process()
    for ancestor in me.parents():
        if _is_pabot(ancestor):
            return ancestor
    return me


def run_key(proc: psutil.Process) -> str:
    return f"run-{proc.pid}-{int(proc.create_time())}"


def owner_alive(pid: int, create_time: float) -> bool:
    try:
        proc = psutil.Process(pid)
        return abs(proc.create_time() - create_time) < 1.0 and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def state_path(key: str) -> Path:
    return REGISTRY / f"{key}.json"


def runtime_dir(key: str) -> Path:
    return REGISTRY / key


def read_state(key: str) -> dict | None:
    try:
        return json.loads(state_path(key).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def write_state(key: str, state: dict) -> None:
    REGISTRY.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=REGISTRY, prefix=f".{key}.", suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(state, fh, indent=1)
    os.replace(tmp, state_path(key))


def remove_state(key: str) -> None:
    for path in (state_path(key), REGISTRY / f"{key}.lock"):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    with contextlib.suppress(OSError):
        REGISTRY.rmdir()  # only when empty


def supervisor_alive(state: dict | None) -> bool:
    if not state:
        return False
    sup = state.get("supervisor", {})
    return bool(sup) and owner_alive(sup.get("pid", -1), sup.get("create_time", 0))


def all_keys() -> list[str]:
    if not REGISTRY.is_dir():
        return []
    return sorted(p.stem for p in REGISTRY.glob("*.json") if not p.name.startswith("."))


def _users_dir(key: str) -> Path:
    return runtime_dir(key) / "users"


def add_user(key: str, user: psutil.Process, output_dir: str | None) -> None:
    """Record that the run whose life ``user`` bounds (a ``robot`` or ``pabot`` process) uses stack ``key``."""
    folder = _users_dir(key)
    if not folder.parent.is_dir():  # the stack is gone
        return
    try:
        argv = " ".join(user.cmdline())
        cwd = user.cwd()
    except (psutil.Error, OSError):
        argv, cwd = "", ""
    record = {
        "pid": user.pid,
        "create_time": user.create_time(),
        "command": argv[:300],
        "cwd": cwd,
        "output_dir": output_dir or "",
    }
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".user.", suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(record, fh)
    os.replace(tmp, folder / f"{user.pid}-{int(user.create_time())}.json")


def users(key: str) -> list[dict]:
    """The runs still alive that use stack ``key`` (:func:`add_user`), oldest first."""
    found = []
    folder = _users_dir(key)
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            record = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if owner_alive(record.get("pid", -1), record.get("create_time", 0)):
            found.append(record)
        else:
            with contextlib.suppress(OSError):
                path.unlink()
    return sorted(found, key=lambda r: r["create_time"])


MAX_HOLD = 3600.0  # no hold keeps a server down longer than this


def _hold_path(key: str, service: str) -> Path:
    return runtime_dir(key) / "holds" / f"{service}.json"


def hold(key: str, service: str, pid: int, seconds: float) -> None:
    """Ask the supervisor of ``key`` to start ``service`` again no earlier than ``seconds`` from now,
    once its process ``pid`` has stopped (also marks that stop as asked for, not a crash)."""
    path = _hold_path(key, service)
    path.parent.mkdir(parents=True, exist_ok=True)
    until = time.time() + min(max(seconds, 0.0), MAX_HOLD)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{service}.", suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump({"pid": pid, "until": until}, fh)
    os.replace(tmp, path)


def read_hold(key: str, service: str) -> dict | None:
    """The hold marker of ``service`` (``pid``, ``until``), or None."""
    try:
        found = json.loads(_hold_path(key, service).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return found if isinstance(found, dict) else None


def release(key: str, service: str) -> None:
    """Remove the hold marker of ``service``, if any."""
    with contextlib.suppress(FileNotFoundError):
        _hold_path(key, service).unlink()


@contextlib.contextmanager
def locked(key: str):
    """Serialise starts of one stack across processes (two starts at once)."""
    REGISTRY.mkdir(parents=True, exist_ok=True)
    os.chmod(REGISTRY, 0o755)
    _prune_run_locks()
    with open(REGISTRY / f"{key}.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _prune_run_locks() -> None:
    """Remove the lock files of runs that ended without a stack of their own (they used a
    ``crosscheck up`` stack): their owner is gone and no state names them."""
    for lock in REGISTRY.glob("run-*.lock"):
        key = lock.name[: -len(".lock")]
        try:
            _, pid, created = key.split("-")
            alive = owner_alive(int(pid), float(created))
        except ValueError:
            continue
        if not alive and not state_path(key).exists():
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()
