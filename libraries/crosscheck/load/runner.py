"""Runs Locust in child processes: one local runner, or a master and N workers on 127.0.0.1.

Locust monkey-patches the interpreter with gevent, so it never runs in the Robot process:
every Locust process is a child started here, in a process group of its own, that dies
with its parent (``PR_SET_PDEATHSIG``) and is killed, group and all, by :meth:`LocustRun.kill`
(which the keyword registers with the library's cleanup before any load starts).
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crosscheck.config import mask_url, scrub
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.load.stages import Stage, total_seconds
from crosscheck.load.statistics import Sample, parse_line
from crosscheck.ports import free_port

PLAN_FILE = Path(__file__).with_name("locust_plan.py")
START_GRACE = 20.0  # seconds for Locust to start (and workers to connect) before the first stage
STOP_GRACE = 15.0  # seconds after the last stage before the processes are killed
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass


def _preexec() -> Callable[[], None] | None:
    return _die_with_parent if sys.platform.startswith("linux") else None


def locust_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "locust", *args]


def check_locustfile(path: str | Path, timeout: float = 60.0) -> list[str]:
    """The user classes ``path`` defines (``locust --list``); a file that does not import is refused."""
    file = Path(path)
    if not file.is_file():
        raise ConfigurationError(f"Locustfile {str(path)!r} does not exist.")
    try:
        done = subprocess.run(
            locust_command("-f", str(file), "--list"),
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=_preexec(),  # noqa: PLW1509 - prctl only, no locks taken
        )
    except subprocess.TimeoutExpired:
        raise ConfigurationError(f"Locustfile {str(path)!r} did not import within {timeout:g} s.") from None
    if done.returncode != 0:
        tail = [line for line in done.stderr.strip().splitlines() if line.strip()][-3:]
        raise ConfigurationError(
            f"Locustfile {str(path)!r} does not import: {' | '.join(tail) or 'locust --list failed'}; "
            "fix it (run 'locust -f <file> --list' to see the error)."
        )
    classes = [line.strip() for line in done.stdout.splitlines()[1:] if line.strip()]
    if not classes:
        raise ConfigurationError(f"Locustfile {str(path)!r} defines no User class to run.")
    return classes


@dataclass
class RawRun:
    """What the child processes left: samples, the run's start (epoch s), user counts, exit codes."""

    samples: list[Sample]
    t0: float
    users: list[tuple[float, int]]
    codes: list[int | None]
    stderr: str
    directory: Path


@dataclass
class LocustRun:
    """The Locust processes of one run, and the files they write in ``directory``."""

    directory: Path
    stages: list[Stage]
    host: str
    requests: list[dict[str, Any]]
    locustfile: str | None = None
    workers: int = 0
    think: tuple[float, float] = (0.0, 0.0)
    timeout: float = 10.0
    procs: list[subprocess.Popen] = field(default_factory=list)

    @property
    def bound(self) -> float:
        """Seconds after which the run is stopped, whatever happens: the stages plus grace."""
        return total_seconds(self.stages) + START_GRACE + STOP_GRACE

    def _spec(self) -> Path:
        samples = self.directory / "samples"
        samples.mkdir(parents=True, exist_ok=True)
        spec = {
            "host": self.host,
            "stages": [[s.end, s.users, s.rate] for s in self.stages],
            "requests": self.requests,
            "samples_dir": str(samples),
            "timeline": str(self.directory / "timeline.tsv"),
            "think": list(self.think),
            "timeout": self.timeout,
        }
        path = self.directory / "spec.json"
        path.write_text(json.dumps(spec), encoding="utf-8")
        return path

    def _start(self, args: list[str], name: str, env: dict[str, str]) -> subprocess.Popen:
        log = open(self.directory / f"{name}.log", "wb")  # noqa: SIM115 - the child owns it until it ends
        try:
            proc = subprocess.Popen(
                locust_command(*args),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.directory,
                start_new_session=True,
                preexec_fn=_preexec(),  # noqa: PLW1509
            )
        finally:
            log.close()
        self.procs.append(proc)
        return proc

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env["CROSSCHECK_LOAD_SPEC"] = str(self._spec())
        env["PYTHONUNBUFFERED"] = "1"
        files = str(PLAN_FILE) + (f",{self.locustfile}" if self.locustfile else "")
        common = ["-f", files, "--headless", "--host", self.host, "--loglevel", "WARNING", "--only-summary"]
        limit = ["--stop-timeout", "2"]  # the shape ends the run; wait() kills it at the bound
        if self.workers <= 0:
            self._start([*common, *limit, "--exit-code-on-error", "0"], "locust", env)
            return
        port = free_port()
        master = [
            *common,
            *limit,
            "--exit-code-on-error",
            "0",
            "--master",
            "--master-bind-host",
            "127.0.0.1",
            "--master-bind-port",
            str(port),
            "--expect-workers",
            str(self.workers),
            "--expect-workers-max-wait",
            str(int(START_GRACE)),
        ]
        self._start(master, "master", env)
        for i in range(self.workers):
            worker = ["-f", files, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]
            self._start([*worker, "--loglevel", "WARNING"], f"worker-{i + 1}", env)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def running(self) -> bool:
        return any(p.poll() is None for p in self.procs)

    def wait(self, tick: Callable[[], object] | None = None, interval: float = 1.0) -> None:
        """Wait until every process has ended, calling ``tick`` every ``interval`` s; kill at the bound."""
        deadline = time.monotonic() + self.bound
        next_tick = time.monotonic()
        while self.running():
            now = time.monotonic()
            if now >= deadline:
                self.kill()
                break
            if tick is not None and now >= next_tick:
                tick()
                next_tick = now + interval
            time.sleep(0.1)

    def kill(self) -> None:
        """Kill every Locust process of this run and its process group; a no-op when they have ended."""
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    proc.kill()
        for proc in self.procs:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                pass

    def collect(self) -> RawRun:
        samples: list[Sample] = []
        for path in sorted((self.directory / "samples").glob("samples-*.tsv")):
            with open(path, encoding="utf-8", errors="replace") as lines:
                for line in lines:
                    sample = parse_line(line)
                    if sample is not None:
                        samples.append(sample)
        samples.sort(key=lambda s: s.t)
        t0, users = 0.0, []
        timeline = self.directory / "timeline.tsv"
        if timeline.exists():
            for line in timeline.read_text(encoding="utf-8").splitlines():
                parts = line.split("\t")
                if parts[0] == "start" and len(parts) == 2 and not t0:
                    t0 = float(parts[1])
                elif parts[0] == "users" and len(parts) == 3:
                    users.append((float(parts[1]), int(parts[2])))
        stderr = []
        for log in sorted(self.directory.glob("*.log")):
            text = log.read_text(encoding="utf-8", errors="replace").strip()
            if text:
                stderr.append(f"[{log.stem}] " + "\n".join(text.splitlines()[-15:]))
        return RawRun(
            samples, t0, users, [p.returncode for p in self.procs], scrub("\n".join(stderr), self.host), self.directory
        )


def failed_to_run(raw: RawRun, host: str) -> CrosscheckError | None:
    """An error when Locust did not run the plan (it crashed, or never started the stages)."""
    if raw.t0 and raw.samples:
        return None
    codes = ", ".join("killed" if c is None or c < 0 else str(c) for c in raw.codes)
    detail = raw.stderr.strip() or "no output"
    if not raw.t0:
        what = "Locust did not start the stages"
    else:
        what = "Locust ran but recorded no request"
    return CrosscheckError(
        f"{what} against {mask_url(host)} (exit codes {codes}); its output, in {raw.directory}:\n{detail[-2000:]}"
    )
