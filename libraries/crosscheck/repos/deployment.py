"""Deployment independence: a repository in a fresh virtual environment of its own, and its service started alone.

Pure: imports nothing from Robot Framework. The environment is made with ``python -m venv
--without-pip`` in a temporary folder and filled by this interpreter's pip (``pip --python``),
which keeps pip's cache: the repository, the shared repositories it declares (given by path), and
nothing of its siblings. Its packages are then imported by ``python -I`` (no current folder, no
``PYTHONPATH``, no user site) from a folder outside every repository.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from crosscheck.errors import ConfigurationError
from crosscheck.repos.repository import Repository, RepositorySet


@dataclass
class Environment:
    repo: str
    folder: Path
    python: Path
    installed: list[str] = field(default_factory=list)  # what pip was given
    seconds: float = 0.0

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def venv_python(folder: Path) -> Path:
    return folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def shared_dependencies(repo: Repository, repos: RepositorySet) -> list[Repository]:
    """The shared repositories ``repo`` declares as dependencies (by distribution name)."""
    dists = repos.by_distribution()
    found = []
    for declared in repo.requirements:
        target = dists.get(declared.name)
        if target is not None and target is not repo and target.shared and target not in found:
            found.append(target)
    return found


class InstallFailed(Exception):
    def __init__(self, message: str, output: str) -> None:
        super().__init__(message)
        self.output = output


_NOT_COPIED = (".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", ".mypy_cache", ".ruff_cache")


def create_environment(
    repo: Repository, repos: RepositorySet, pip_options: list[str], timeout: float, editable: bool = False
) -> Environment:
    folder = Path(tempfile.mkdtemp(prefix=f"crosscheck-venv-{repo.name}-"))
    started = time.monotonic()
    env = Environment(repo.name, folder, venv_python(folder))
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(folder)],
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        targets = [repo, *shared_dependencies(repo, repos)]
        env.installed = [str(t.path) for t in targets]
        argv = [sys.executable, "-m", "pip", "--python", str(env.python), "install", "--disable-pip-version-check"]
        argv += ["--no-input", *pip_options]
        for target in targets:
            # pip builds a local project in its folder (build/, *.egg-info): it gets a copy, so
            # nothing is written into the user's repository
            copy = folder / "sources" / target.path.name
            shutil.copytree(target.path, copy, ignore=shutil.ignore_patterns(*_NOT_COPIED), symlinks=True)
            argv += ["-e", str(copy)] if editable else [str(copy)]
        left = max(1.0, timeout - (time.monotonic() - started))
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=left, cwd=folder)
        except subprocess.TimeoutExpired as exc:
            raise InstallFailed(
                f"Installing repository {repo.name!r} into a fresh environment took longer than {timeout:g} s.",
                str(exc.stdout or "") + str(exc.stderr or ""),
            ) from None
        if proc.returncode != 0:
            raise InstallFailed(_install_message(repo, repos, proc.stderr + proc.stdout), proc.stderr + proc.stdout)
    except BaseException:
        env.remove()
        raise
    env.seconds = time.monotonic() - started
    return env


def _install_message(repo: Repository, repos: RepositorySet, output: str) -> str:
    dists = repos.by_distribution()
    needed = [
        (d, dists[d.name]) for d in repo.requirements if d.name in dists and dists[d.name] is not repo and not d.dev
    ]
    siblings = [f"{d.text!r} (repository {r.name}, {d.where(repo.path.parent)})" for d, r in needed if not r.shared]
    text = f"Repository {repo.name!r} does not install alone into a fresh environment"
    if siblings:
        text += f": it declares its sibling {', '.join(siblings)}, which a separate deployment does not have"
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith(("error", "×", "╰─>")) or "error:" in line.lower()]
    return text + ". pip: " + " | ".join((errors or lines)[-4:])


IMPORT_SCRIPT = """
import importlib, json, sys, traceback
results = []
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
        results.append({"package": name, "ok": True})
    except BaseException as exc:
        tb = traceback.extract_tb(exc.__traceback__)
        frame = tb[-1] if tb else None
        results.append({
            "package": name, "ok": False, "type": type(exc).__name__, "message": str(exc),
            "missing": getattr(exc, "name", None) if isinstance(exc, ImportError) else None,
            "file": frame.filename if frame else None, "line": frame.lineno if frame else None,
            "code": (frame.line or "").strip() if frame else "",
        })
print(json.dumps(results))
"""


@dataclass
class ImportOutcome:
    package: str
    ok: bool
    error: str = ""
    missing: str | None = None
    file: str | None = None
    line: int | None = None
    code: str = ""


def import_alone(env: Environment, packages: list[str], timeout: float = 120) -> list[ImportOutcome]:
    """``python -I`` in ``env`` imports each package, run from an empty folder outside every repository."""
    with tempfile.TemporaryDirectory(prefix="crosscheck-import-") as cwd:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON") and k != "VIRTUAL_ENV"}
        proc = subprocess.run(
            [str(env.python), "-I", "-c", IMPORT_SCRIPT, *packages],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=cwd,
            env=clean,
        )
    if proc.returncode != 0:
        raise ConfigurationError(f"python -I in the environment of {env.repo!r} failed: {proc.stderr.strip()[-600:]}")
    outcomes = []
    for item in json.loads(proc.stdout.strip().splitlines()[-1]):
        error = "" if item["ok"] else f"{item['type']}: {item['message']}"
        outcomes.append(
            ImportOutcome(
                item["package"],
                item["ok"],
                error,
                item.get("missing"),
                item.get("file"),
                item.get("line"),
                item.get("code", ""),
            )
        )
    return outcomes


# --- a service started alone -----------------------------------------------------------------------


class Service:
    """A repository's service command run as a process group, its output in a log file."""

    def __init__(self, repo: Repository, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.repo = repo
        self.argv = argv
        self.log_dir = Path(tempfile.mkdtemp(prefix=f"crosscheck-service-{repo.name}-"))
        self.log_path = self.log_dir / "service.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        try:
            self.process = subprocess.Popen(
                argv, cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
            )
        except OSError as exc:
            self._log.close()
            shutil.rmtree(self.log_dir, ignore_errors=True)
            raise ConfigurationError(f"Cannot start {' '.join(argv)!r} for repository {repo.name!r}: {exc}") from None
        self.stopped = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def last_lines(self, count: int = 20) -> list[str]:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as log:
                return [line.rstrip("\n") for line in deque(log, maxlen=count)]
        except OSError:
            return []

    def stop(self, grace: float = 5.0) -> None:
        """Stop the process and everything it started (its process group); idempotent."""
        if self.stopped:
            return
        self.stopped = True
        try:
            if self.process.poll() is None:
                try:
                    os.killpg(self.process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                try:
                    self.process.wait(grace)
                except subprocess.TimeoutExpired:
                    os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait(grace)
            else:
                try:  # children it left behind in its group
                    os.killpg(self.process.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        finally:
            self._log.close()

    def remove_log(self) -> None:
        shutil.rmtree(self.log_dir, ignore_errors=True)


@dataclass
class StartOutcome:
    healthy: bool
    exited: bool
    returncode: int | None
    seconds: float
    last_status: str


def wait_healthy(service: Service, health_url: str | None, timeout: float, interval: float = 0.2) -> StartOutcome:
    """Polls ``health_url`` until it answers 200, the process exits, or ``timeout`` passes.

    Without ``health_url`` the service counts as started when it is still running after ``timeout``.
    """
    started = time.monotonic()
    status = "no answer yet"
    while True:
        code = service.process.poll()
        elapsed = time.monotonic() - started
        if code is not None:
            return StartOutcome(False, True, code, elapsed, status)
        if health_url:
            try:
                with urllib.request.urlopen(health_url, timeout=max(0.2, min(2.0, timeout - elapsed))) as response:
                    status = f"HTTP {response.status}"
                    if response.status == 200:
                        return StartOutcome(True, False, None, time.monotonic() - started, status)
            except urllib.error.HTTPError as exc:
                status = f"HTTP {exc.code}"
            except (urllib.error.URLError, OSError) as exc:
                status = f"no answer ({getattr(exc, 'reason', exc)})"
        if elapsed >= timeout:
            return StartOutcome(not health_url, False, None, elapsed, status)
        time.sleep(interval)


def wait_exit(service: Service, timeout: float) -> int | None:
    try:
        return service.process.wait(timeout)
    except subprocess.TimeoutExpired:
        return None
