"""Run ready suites in a robot process of their own, with its own embedded stack.

Used to prove that a suite catches a fault seeded into the demo: the demo of that
run is started with faults switched on (``GATEWAY_FAULTS``, ``CONSUMER_FAULTS``, ``PRODUCER_FAULTS``: see ``demo_shared/faults.py``),
and the result says which tests failed and with what message.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from robot.api import ExecutionResult, ResultVisitor

from demo_shared import faults as demo_faults

ROOT = Path(__file__).resolve().parents[1]
SUITES = ROOT / "suites"


@dataclass
class SuiteRun:
    rc: int
    output: Path
    stdout: str
    results_dir: Path  # every process of the run carries it as CROSSCHECK_RESULTS_DIR
    statuses: dict[str, str] = field(default_factory=dict)  # test name -> PASS / FAIL / SKIP
    messages: dict[str, str] = field(default_factory=dict)  # test name -> message

    @property
    def failed(self) -> dict[str, str]:
        return {name: self.messages[name] for name, status in self.statuses.items() if status == "FAIL"}

    def left_running(self, marker: str, grace: float = 5.0) -> list[str]:
        """This run's processes whose command line has ``marker`` and that still run after ``grace`` s.

        Told apart from other runs on the machine (a second test session, a ``make run``) by the
        results folder in their environment, not by a count before and after."""
        deadline = time.monotonic() + grace
        while True:
            found = []
            for proc in psutil.process_iter(["cmdline"]):
                cmdline = " ".join(proc.info.get("cmdline") or [])
                if marker not in cmdline:
                    continue
                try:
                    ours = proc.environ().get("CROSSCHECK_RESULTS_DIR") == str(self.results_dir)
                except psutil.Error:
                    continue
                if ours:
                    found.append(f"{proc.pid}: {cmdline}")
            if not found or time.monotonic() > deadline:
                return found
            time.sleep(0.2)

    def describe(self) -> str:
        lines = [f"robot rc={self.rc}, output {self.output}"]
        lines += [f"  {status:4} {name}: {self.messages.get(name, '')[:400]}" for name, status in self.statuses.items()]
        return "\n".join(lines)


class _Collect(ResultVisitor):
    def __init__(self, run: SuiteRun):
        self.run = run

    def visit_test(self, test):
        self.run.statuses[test.name] = test.status
        self.run.messages[test.name] = test.message


def run_suites(
    tmp_path: Path,
    *suites: str | Path,
    faults: str | list[str] = "",
    include: list[str] = (),
    tests: list[str] = (),
    variables: dict[str, str] | None = None,
    timeout: float = 600,
) -> SuiteRun:
    """Run ``suites`` (paths relative to ``suites/`` or absolute) in a fresh robot process.

    The process gets its own results folder and its own embedded stack, whose demo
    runs with ``faults`` switched on. No service configuration of this process leaks in.
    """
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("CROSSCHECK_", "GATEWAY_", "CONSUMER_", "PRODUCER_"))
    }
    env["CROSSCHECK_RESULTS_DIR"] = str(tmp_path / "results")
    env["CROSSCHECK_STACK_NAME"] = f"suite-runner-{tmp_path}"  # no `crosscheck up` stack of this installation
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # crosscheck-demo
    if faults:
        env.update(demo_faults.environment(faults.split(",") if isinstance(faults, str) else list(faults)))
    if os.environ.get("CROSSCHECK_REQUIRE_DOCKER"):
        env["CROSSCHECK_REQUIRE_DOCKER"] = os.environ["CROSSCHECK_REQUIRE_DOCKER"]
    out = tmp_path / "out"
    argv = [
        sys.executable,
        "-m",
        "robot",
        "--outputdir",
        str(out),
        "--log",
        "log.html",
        "--report",
        "NONE",
        "--console",
        "dotted",
    ]
    for tag in include:
        argv += ["--include", tag]
    for name in tests:
        argv += ["--test", name]
    for name, value in (variables or {}).items():
        argv += ["--variable", f"{name}:{value}"]
    argv += [str(s if Path(s).is_absolute() else SUITES / s) for s in suites]
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    run = SuiteRun(proc.returncode, out / "output.xml", proc.stdout + proc.stderr, tmp_path / "results")
    if run.output.exists():
        ExecutionResult(str(run.output)).visit(_Collect(run))
    return run
