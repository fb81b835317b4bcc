"""Which stack a process uses, from any folder; where its logs go; a run keeps its stack; `crosscheck
down` does not stop a stack under a run; `crosscheck status --json` and `crosscheck url`.

Every test names its own ``crosscheck up`` stack (``CROSSCHECK_STACK_NAME``), so it meets no other
stack of this installation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import redis

from crosscheck.stack import registry

PY = sys.executable
SHOW_STACK = textwrap.dedent("""
    import json
    from crosscheck.services import redis
    from crosscheck.stack import api
    state = api.ensure(system_under_test=False)
    print(json.dumps({"redis": redis.url(), "key": state["key"], "logs": state["logs"]}))
""")


def _env(tmp_path: Path, **extra) -> dict:
    """The environment of a user's shell: no CROSSCHECK_ variable but a stack name of this test's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSCHECK_")}
    env["CROSSCHECK_STACK_NAME"] = f"test-{tmp_path}"
    env["CROSSCHECK_SUT"] = "none"
    env["PATH"] = f"{Path(PY).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def _cli(env: dict, *args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PY, "-m", "crosscheck.cli", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def _up(env: dict, cwd: Path) -> dict:
    up = _cli(env, "up", "--no-sut", cwd=cwd)
    assert up.returncode == 0, up.stderr
    state = registry.read_state(registry.explicit_key(env["CROSSCHECK_STACK_NAME"]))
    assert state and state["status"] == "running"
    return state


def _down(env: dict, *args: str) -> subprocess.CompletedProcess:
    return _cli(env, "down", *args, timeout=60)


def _wait_for(path: Path, lines: int, timeout: float = 90) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_text().split()) >= lines:
            return path.read_text().split()
        time.sleep(0.1)
    raise AssertionError(f"{path} did not get {lines} lines")


WAITING_SUITE = """*** Settings ***
Library    crosscheck.Stack
Library    OperatingSystem

*** Test Cases ***
Uses The Stack
    ${{url}} =    Get Service Url    redis
    Append To File    {marker}    ${{url}}\\n
    Wait Until Created    {go}    90 s
    ${{again}} =    Get Service Url    redis
    Append To File    {marker}    ${{again}}\\n
"""


def test_a_process_in_another_folder_uses_the_crosscheck_up_stack(tmp_path):
    env = _env(tmp_path)
    here, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    here.mkdir()
    elsewhere.mkdir()
    state = _up(env, here)
    try:
        proc = subprocess.run(
            [PY, "-c", SHOW_STACK], env=env, cwd=elsewhere, capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 0, proc.stderr
        info = json.loads(proc.stdout.strip().splitlines()[-1])
        assert info["key"] == state["key"] and info["redis"] == state["services"]["redis"]["url"]
        assert registry.all_keys().count(state["key"]) == 1
        status = _cli(env, "status", cwd=elsewhere)
        assert f"stack: {state['key']}, started by `crosscheck up` as CROSSCHECK_STACK_NAME=" in status.stdout
        assert "from any folder" in status.stdout
        assert f"logs:  {here / 'results' / 'stack' / state['key']}" in status.stdout
    finally:
        down = _down(env)
    assert down.returncode == 0 and f"stopped: {state['key']}" in down.stdout, down.stderr


def test_the_installation_names_the_up_stack_when_no_name_is_given(tmp_path):
    env = _env(tmp_path)
    del env["CROSSCHECK_STACK_NAME"]
    code = "from crosscheck.stack import registry; print(registry.stack_name()); print(registry.explicit_key())"
    a = subprocess.run([PY, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, check=True)
    (tmp_path / "b").mkdir()
    b = subprocess.run([PY, "-c", code], env=env, cwd=tmp_path / "b", capture_output=True, text=True, check=True)
    assert a.stdout == b.stdout
    assert a.stdout.splitlines()[0] == str(Path(sys.prefix).resolve())


def test_a_runs_own_stack_writes_its_logs_under_the_runs_output_folder(tmp_path):
    marker, go = tmp_path / "urls.txt", tmp_path / "go"
    go.touch()
    suite = tmp_path / "logs.robot"
    suite.write_text(WAITING_SUITE.format(marker=marker, go=go))
    run = subprocess.run(
        [
            PY,
            "-m",
            "robot",
            "--outputdir",
            "out/run1",
            "--output",
            "NONE",
            "--report",
            "NONE",
            "--log",
            "NONE",
            "logs.robot",
        ],
        env=_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    logs = list((tmp_path / "out" / "run1" / "stack").glob("run-*/redis.log"))
    assert len(logs) == 1, list((tmp_path / "out").rglob("*"))
    assert not (tmp_path / "results" / "stack").exists(), "logs went to ./results/stack, not to --outputdir"


def test_a_pabot_run_keeps_its_stack_when_crosscheck_up_starts_one_meanwhile(tmp_path):
    env = _env(tmp_path)
    marker, go = tmp_path / "urls.txt", tmp_path / "go"
    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "a_first.robot").write_text(WAITING_SUITE.format(marker=marker, go=go))
    (suites / "b_second.robot").write_text(WAITING_SUITE.format(marker=marker, go=go))
    run = subprocess.Popen(
        [str(Path(PY).parent / "pabot"), "--processes", "1", "--outputdir", "out", str(suites)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        first = _wait_for(marker, 1)[0]
        state = _up(env, tmp_path)  # a `crosscheck up` while the run is under way
        up_url = state["services"]["redis"]["url"]
        go.touch()
        out, _ = run.communicate(timeout=180)
        assert run.returncode == 0, out[-3000:]
    finally:
        if run.poll() is None:
            run.kill()
        _down(env, "--force")
    urls = marker.read_text().split()
    assert len(urls) == 4 and set(urls) == {first}, f"the run changed stacks: {urls}"
    assert up_url != first
    logs = list((tmp_path / "out" / "stack").glob("run-*/redis.log"))
    assert len(logs) == 1, "the stack's logs are not in the pabot run's output folder"


def test_down_refuses_a_stack_a_live_run_uses_and_force_stops_it(tmp_path):
    env = _env(tmp_path)
    state = _up(env, tmp_path)
    marker, go = tmp_path / "urls.txt", tmp_path / "go"
    (tmp_path / "uses_up.robot").write_text(WAITING_SUITE.format(marker=marker, go=go))
    run = subprocess.Popen(
        [PY, "-m", "robot", "--outputdir", str(tmp_path / "out"), "uses_up.robot"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = _wait_for(marker, 1)[0]
        assert url == state["services"]["redis"]["url"], "the run did not use the `crosscheck up` stack"
        refused = _down(env)
        assert refused.returncode == 2
        message = refused.stderr.strip()
        assert message.startswith(f"crosscheck down: stack {state['key']} is in use by a run: pid {run.pid} ("), message
        started = time.strftime("%Y-%m-%d %H:%M", time.localtime(psutil.Process(run.pid).create_time()))
        assert f"started {started}" in message and f"output {tmp_path / 'out'}" in message
        assert "crosscheck down --force" in message
        assert redis.Redis.from_url(url).ping(), "the refused down stopped the stack anyway"
        status = json.loads(_cli(env, "status", "--json").stdout)
        assert [u["pid"] for u in status["stack"]["used_by"]] == [run.pid]
        forced = _down(env, "--force")
        assert forced.returncode == 0 and f"stopped: {state['key']}" in forced.stdout, forced.stderr
        go.touch()
        out, _ = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
        _down(env, "--force")
    # the run does not move silently to another stack: its next use fails, saying why
    assert run.returncode == 1, out[-2000:]
    assert f"the stack started with `crosscheck up` {state['key']} stopped unexpectedly under this run" in out
    assert len(marker.read_text().split()) == 1


def test_down_stops_the_stack_once_the_runs_that_used_it_have_ended(tmp_path):
    env = _env(tmp_path)
    state = _up(env, tmp_path)
    proc = subprocess.run([PY, "-c", SHOW_STACK], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert json.loads(proc.stdout.strip().splitlines()[-1])["key"] == state["key"]
    down = _down(env)
    assert down.returncode == 0 and f"stopped: {state['key']}" in down.stdout, down.stderr


def test_status_json_and_url_name_the_stack_and_its_addresses(tmp_path):
    env = _env(tmp_path)
    state = _up(env, tmp_path)
    try:
        status = _cli(env, "status", "--json")
        assert status.returncode == 0, status.stderr
        found = json.loads(status.stdout)
        assert found["stack"]["key"] == state["key"] and found["stack"]["kind"] == "up"
        assert found["stack"]["logs"] == state["logs"]
        rows = {row["service"]: row for row in found["services"]}
        assert rows["redis"]["address"] == state["services"]["redis"]["url"] and rows["redis"]["state"] == "running"
        for service in ("redis", "postgres"):
            url = _cli(env, "url", service)
            assert url.returncode == 0 and url.stdout.strip() == state["services"][service]["url"], url.stderr
    finally:
        _down(env, "--force")
    gone = _cli(env, "url", "redis")
    assert gone.returncode == 2 and gone.stdout == ""
    assert gone.stderr.strip() == (
        "crosscheck url: redis is not configured (CROSSCHECK_REDIS_URL) and no embedded stack is running: "
        "start one with `crosscheck up`"
    )
    idle = json.loads(_cli(env, "status", "--json").stdout)
    assert idle["stack"]["key"] is None and "crosscheck up" in idle["stack"]["why"]


def test_url_masks_a_password_unless_asked_and_names_unknown_services(tmp_path):
    env = _env(tmp_path, CROSSCHECK_REDIS_URL="redis://:s3cr3t-99@cache.example:6380/4")
    masked = _cli(env, "url", "redis")
    assert masked.returncode == 0 and masked.stdout.strip() == "redis://:***@cache.example:6380/4"
    shown = _cli(env, "url", "redis", "--show-password")
    assert shown.stdout.strip() == "redis://:s3cr3t-99@cache.example:6380/4"
    unknown = _cli(env, "url", "mysql")
    assert unknown.returncode == 2
    assert "unknown service 'mysql': use one of redis, postgres, api, qdrant, docker, toxiproxy" in unknown.stderr
    qdrant = _cli(env, "url", "qdrant")
    assert qdrant.returncode == 2 and "qdrant is not configured (CROSSCHECK_QDRANT_URL)" in qdrant.stderr


def test_an_inherited_up_stack_that_is_gone_is_an_error_not_a_new_stack(tmp_path):
    env = _env(tmp_path, CROSSCHECK_STACK_KEY="up-0000000000")
    proc = subprocess.run([PY, "-c", SHOW_STACK], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert (
        "StackError: the stack started with `crosscheck up` up-0000000000 stopped unexpectedly under this run"
        in proc.stderr
    )


def test_lock_files_of_runs_that_ended_are_removed_and_live_ones_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "REGISTRY", tmp_path)
    me = psutil.Process()
    live = registry.run_key(me)
    ended = "run-999999-1700000000"  # no such process
    with_state = "run-999998-1700000000"  # ended, but a state still names it: its supervisor's to remove
    for key in (live, ended, with_state):
        (tmp_path / f"{key}.lock").touch()
    (tmp_path / f"{with_state}.json").write_text("{}")
    (tmp_path / "up-abc.lock").touch()
    with registry.locked("up-abc"):
        pass
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([f"{live}.lock", f"{with_state}.lock", f"{with_state}.json", "up-abc.lock"])
