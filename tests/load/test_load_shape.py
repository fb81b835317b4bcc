"""The Load library keeps the shared shape: pure engines, Locust only in the child, seed defaults."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from test_architecture import imports_of

PACKAGE = Path(__file__).resolve().parents[2] / "libraries" / "crosscheck" / "load"
PURE = ["stages.py", "statistics.py", "result.py", "monitor.py", "users.py", "runner.py"]


def test_the_pure_engines_import_nothing_from_robot():
    for rel in PURE:
        imports = imports_of(PACKAGE / rel, top_level_only=True)
        robot = sorted(m for m in imports if m.split(".")[0] in ("robot", "robotlibcore", "assertionengine"))
        assert not robot, f"{rel} imports {robot}"


def test_locust_is_never_imported_into_the_robot_process():
    code = (
        "import sys, crosscheck\n"
        "lib = crosscheck.Load('http://127.0.0.1:1')\n"
        "lib.run_keyword('add_load_request', ['GET', '/'], {})\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('locust', 'gevent', 'geventhttpclient')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out
    imported_anywhere = [
        p.name for p in PACKAGE.rglob("*.py") if p.name != "locust_plan.py" and "import locust" in p.read_text()
    ]
    assert not imported_anywhere


def test_defaults_that_are_seed_figures_come_from_the_variable_files():
    import inspect

    from crosscheck.load.keywords.stages import StageKeywords
    from crosscheck.variables import targets

    defaults = inspect.signature(StageKeywords.run_load_stages).parameters
    assert defaults["users"].default is targets.LOAD_STAGES_USERS
    assert defaults["hold"].default is targets.LOAD_STAGE_HOLD
    assert defaults["ramp"].default is targets.LOAD_RAMP
    assert defaults["think"].default is targets.LOAD_THINK_TIME
