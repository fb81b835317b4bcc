"""No Locust process outlives its run: after a keyword timeout fails the test, Ctrl-C, or a killed robot."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

SUITE = """*** Settings ***
Library    crosscheck.Load    {url}

*** Test Cases ***
A Long Load Run
    [Timeout]    {timeout}
    Add Load Request    GET    /ok
    Run Load Stages    users=2    hold=60 s    ramp=instant    think=0.05 s
"""


def locust_under(directory: Path) -> list[psutil.Process]:
    """Locust processes whose working directory is under ``directory`` (every run's own folder)."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if "locust" in (proc.info.get("cmdline") or []) and proc.cwd().startswith(str(directory)):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def robot(tmp_path: Path, url: str, timeout: str) -> subprocess.Popen:
    suite = tmp_path / "long.robot"
    suite.write_text(SUITE.format(url=url, timeout=timeout))
    env = {**os.environ, "CROSSCHECK_RESULTS_DIR": str(tmp_path / "results")}
    return subprocess.Popen(
        [sys.executable, "-m", "robot", "--outputdir", str(tmp_path / "out"), "--console", "none", str(suite)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def test_a_killed_robot_leaves_no_locust_process(server, tmp_path):
    proc = robot(tmp_path, server.url, "2 min")
    try:
        assert wait_for(lambda: locust_under(tmp_path / "results"), 30), "Locust never started"
        assert wait_for(lambda: server.requests_for("GET", "/ok") > 0, 20)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert wait_for(lambda: not locust_under(tmp_path / "results"), 5), locust_under(tmp_path / "results")
    finally:
        if proc.poll() is None:
            proc.kill()
        for left in locust_under(tmp_path / "results"):
            left.kill()


def test_a_test_that_fails_by_timeout_leaves_no_locust_process(server, tmp_path):
    proc = robot(tmp_path, server.url, "6 s")
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1, out
    assert not locust_under(tmp_path / "results")
    output = (tmp_path / "out" / "output.xml").read_text()
    assert "Test timeout 6 seconds exceeded." in output


def test_ctrl_c_during_a_load_run_leaves_no_locust_process(server, tmp_path):
    proc = robot(tmp_path, server.url, "2 min")
    try:
        assert wait_for(lambda: locust_under(tmp_path / "results"), 30), "Locust never started"
        assert wait_for(lambda: server.requests_for("GET", "/ok") > 0, 20)
        proc.send_signal(signal.SIGINT)  # Ctrl-C: robot stops the running keyword gracefully
        time.sleep(1)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # a second Ctrl-C: robot stops at once
        proc.wait(30)
        assert wait_for(lambda: not locust_under(tmp_path / "results"), 5), locust_under(tmp_path / "results")
    finally:
        if proc.poll() is None:
            proc.kill()
        for left in locust_under(tmp_path / "results"):
            left.kill()
