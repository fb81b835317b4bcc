"""crosscheck_demo.launch: start in seconds, stop leaves nothing, children die with the launcher."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import psutil
import pytest

from crosscheck_demo import launch


def _running(pid: int) -> bool:
    """Whether ``pid`` runs (not a zombie); a process that ends while it is looked at does not."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except (psutil.Error, OSError):
        return False


def gone(pids: list[int], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [p for p in pids if _running(p)]
        if not alive:
            return True
        time.sleep(0.1)
    return False


def port_closed(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as s:
        return s.connect_ex((host, int(port))) != 0


def test_start_answers_health_quickly_and_stop_leaves_no_process(redis_url, postgres_url, tmp_path):
    started = time.monotonic()
    handle = launch.start(redis_url, postgres_url, tmp_path)
    try:
        ready = time.monotonic() - started
        assert ready < 10, f"ready after {ready:.1f} s"  # the target is 5 s; margin for a loaded machine
        assert httpx.get(f"{handle.api_url}/health").status_code == 200
        assert len(handle.pids) == 2 and handle.running()
        assert handle.api_url.startswith("http://127.0.0.1:")
    finally:
        handle.stop(timeout=5)
    assert not handle.running()
    assert gone(handle.pids, timeout=1)
    assert port_closed(handle.api_url)
    assert (tmp_path / "demo-api.log").read_text() and (tmp_path / "demo-consumer.log").exists()


def test_children_die_when_the_launcher_is_killed(redis_url, postgres_url, tmp_path):
    script = (
        "import json, sys, time, pathlib\n"
        "from crosscheck_demo import launch\n"
        "h = launch.start(sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3]))\n"
        "print(json.dumps({'pids': h.pids, 'url': h.api_url}), flush=True)\n"
        "time.sleep(120)\n"
    )
    launcher = subprocess.Popen(
        [sys.executable, "-c", script, redis_url, postgres_url, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        info = json.loads(launcher.stdout.readline())
        assert all(psutil.pid_exists(p) for p in info["pids"])
        launcher.send_signal(signal.SIGKILL)
        launcher.wait(10)
        assert gone(info["pids"]), f"demo processes {info['pids']} still running after the launcher died"
        assert port_closed(info["url"])
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()


def test_start_fails_with_the_reason_when_redis_is_unreachable(postgres_url, tmp_path):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{s.getsockname()[1]}/0"
    before = {p.pid for p in psutil.Process(os.getpid()).children(recursive=True)}
    with pytest.raises(
        RuntimeError,
        match=r"demo API at http://127\.0\.0\.1:\d+ not healthy within 3 s: "
        r"GET /health answered HTTP 503 '\{\"status\":\"unavailable\",\"checks\":"
        r"\{\"redis\":\"error: ",
    ):
        launch.start(dead, postgres_url, tmp_path, ready_timeout=3)
    after = {p.pid for p in psutil.Process(os.getpid()).children(recursive=True)}
    assert gone(list(after - before), timeout=5)
