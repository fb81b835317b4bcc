"""A user's own repository: the wheel installed in a fresh virtual environment, suites in a folder outside
this clone using the packaged resources and variables, and `crosscheck init` against the demo started as
if it were the user's system (the session's embedded stack), its suites passing as written."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGED = sorted(p.name for p in (ROOT / "libraries" / "crosscheck" / "resources").glob("*.resource"))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def user_venv(tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel built from this clone (dependencies from pip's cache/index)."""
    base = tmp_path_factory.mktemp("user")
    wheels = base / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    wheel = next(wheels.glob("robotframework_crosscheck-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    missing = [n for n in PACKAGED if f"crosscheck/resources/{n}" not in names]
    assert not missing, f"packaged resources missing from the wheel: {missing}"
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    install = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-2000:]
    return venv


def _env(venv: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CROSSCHECK_", "VIRTUAL_ENV", "PYTHON"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["CROSSCHECK_SUT"] = "none"  # the demo is not installed there; the user's system is reached by URL
    env.update(extra)
    return env


def test_packaged_resources_and_variables_work_from_any_folder(user_venv, tmp_path, redis_url):
    own = tmp_path / "elsewhere"
    own.mkdir()
    imports = "\n".join(f"Resource    crosscheck/resources/{name}" for name in PACKAGED)
    (own / "own.robot").write_text(
        "*** Settings ***\n"
        f"{imports}\n"
        "Variables    crosscheck.variables.targets\n"
        "Variables    crosscheck.variables.channels\n"
        "Suite Setup    The Services Given For This Run Are Used\n\n"
        "*** Test Cases ***\n"
        "Seed Constants Are There\n"
        "    Should Be Equal    ${MESSAGE_DELIVERY_TARGET}    100 ms\n"
        "    Should Contain    ${REQUIRED_CHANNELS}    tickstock.universe.updated\n\n"
        "Delivery On My Channel Meets The Targets\n"
        "    Delivery On A Private Copy Of The Channel Meets The Targets    orders.created    count=50\n"
    )
    run = subprocess.run(
        [
            str(user_venv / "bin" / "robot"),
            "--variable",
            f"CROSSCHECK_REDIS_URL:{redis_url}",
            "--outputdir",
            "out",
            "own.robot",
        ],
        cwd=own,
        env=_env(user_venv),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    where = subprocess.run(
        [str(user_venv / "bin" / "python"), "-c", "import crosscheck; print(crosscheck.__file__)"],
        cwd=own,
        env=_env(user_venv),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(user_venv) in where and str(ROOT) not in where, where


def test_crosscheck_init_in_an_empty_folder_writes_suites_that_pass(
    user_venv, tmp_path, redis_url, postgres_url, api_url
):
    own = tmp_path / "my-system"
    own.mkdir()
    env = _env(user_venv)
    init = subprocess.run(
        [
            str(user_venv / "bin" / "crosscheck"),
            "init",
            "--redis-url",
            redis_url,
            "--postgres-url",
            postgres_url,
            "--api-url",
            api_url,
        ],
        cwd=own,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert init.returncode == 0, init.stderr
    assert (own / "suites" / "03_api_contracts.robot").exists() and (own / "expected" / "schema.yaml").exists()
    run = subprocess.run(
        [str(user_venv / "bin" / "robot"), "--argumentfile", "crosscheck.args", "--console", "dotted", "suites/"],
        cwd=own,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert " 0 failed" in run.stdout
    again = subprocess.run(
        [str(user_venv / "bin" / "crosscheck"), "init", "--redis-url", redis_url],
        cwd=own,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 2 and "crosscheck.args" in again.stderr and "--force" in again.stderr
