"""The embedded stack against real servers: start, stop, concurrency, faults, secrets."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psutil
import pytest
import redis

from crosscheck import config, services
from crosscheck.errors import ConfigurationError, ServiceUnavailable
from crosscheck.stack import api, registry
from crosscheck.stack.servers import RedisServer, ServerStartError, port_in_use

PY = sys.executable
SHOW_STACK = textwrap.dedent("""
    import json, sys
    from crosscheck.services import postgres, redis
    from crosscheck.stack import api
    state = api.ensure(system_under_test=False)
    print(json.dumps({"redis": redis.url(), "postgres": postgres.url(), "key": state["key"],
                      "pids": [s.get("pid") for s in state["services"].values()],
                      "supervisor": state["supervisor"]["pid"]}))
""")


def _env(tmp_path: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSCHECK_")}
    env["CROSSCHECK_RESULTS_DIR"] = str(tmp_path / "results")
    env.update(extra)
    return env


def _run(code: str, env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-c", code], env=env, capture_output=True, text=True, timeout=timeout)


def _running(pid: int) -> bool:
    """Whether ``pid`` runs (not a zombie); a process that ends while it is looked at does not."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except (psutil.Error, OSError):
        return False


def _gone(pids, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(_running(p) for p in pids if p):
            return True
        time.sleep(0.1)
    return False


def _port_free(url: str, timeout: float = 10.0) -> bool:
    """Nothing listens on the URL's port within ``timeout`` (connections in TIME_WAIT do not count)."""
    port = int(url.split(":")[2].split("/")[0])
    deadline = time.monotonic() + timeout
    while port_in_use(port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_stack_starts_within_five_seconds_and_leaves_nothing_when_its_run_ends(tmp_path):
    t0 = time.monotonic()
    proc = _run(SHOW_STACK, _env(tmp_path))
    elapsed = time.monotonic() - t0
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info["redis"].startswith("redis://127.0.0.1:")
    assert info["postgres"].startswith("postgresql://postgres@127.0.0.1:") and info["postgres"].endswith(
        "/crosscheck_test"
    )
    assert elapsed < 10, f"stack start + interpreter took {elapsed:.1f} s"
    # the owner (that python process) is gone: the supervisor stops everything
    assert _gone(info["pids"] + [info["supervisor"]]), "servers outlived their run"
    assert _port_free(info["redis"]) and _port_free(info["postgres"])
    assert not registry.runtime_dir(info["key"]).exists()
    assert not registry.state_path(info["key"]).exists()
    assert (tmp_path / "results" / "stack" / info["key"] / "redis.log").exists(), "logs stay under results/"


def test_the_stack_is_real_redis_and_real_postgres_with_pgvector(redis_url, postgres_url):
    import psycopg2

    client = redis.Redis.from_url(redis_url)
    assert client.ping()
    assert client.info("server")["redis_version"]
    client.close()
    conn = psycopg2.connect(postgres_url)
    with conn.cursor() as cur:
        cur.execute("SELECT current_database(), current_setting('listen_addresses')")
        assert cur.fetchone() == ("crosscheck_test", "127.0.0.1")
        cur.execute("SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'")
        assert cur.fetchone()[0] == 1
    conn.close()


def test_two_starts_at_once_share_one_stack(tmp_path):
    owner = subprocess.Popen(["sleep", "120"])
    try:
        env = _env(tmp_path, CROSSCHECK_STACK_OWNER=str(owner.pid))
        results = []

        def start():
            results.append(_run(SHOW_STACK, env))

        threads = [threading.Thread(target=start) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
        a, b = (json.loads(r.stdout.strip().splitlines()[-1]) for r in results)
        assert a["redis"] == b["redis"] and a["postgres"] == b["postgres"] and a["supervisor"] == b["supervisor"]
        supervisors = [
            p
            for p in psutil.process_iter(["cmdline"])
            if "crosscheck.stack.supervisor" in " ".join(p.info["cmdline"] or [])
            and a["key"] in " ".join(p.info["cmdline"] or [])
        ]
        assert len(supervisors) == 1
    finally:
        owner.kill()
        owner.wait()
    assert _gone(a["pids"] + [a["supervisor"]])


def test_a_port_already_taken_is_named(tmp_path):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        server = RedisServer(port, tmp_path / "redis", tmp_path)
        with pytest.raises(ServerStartError, match=f"port 127.0.0.1:{port} is already taken"):
            server.start()
        assert server.proc is None


def test_an_unreachable_configured_url_fails_within_five_seconds_with_the_fix():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    t0 = time.monotonic()
    with pytest.raises(ServiceUnavailable) as err:
        services.get("redis").version(f"redis://127.0.0.1:{port}/0")
    assert time.monotonic() - t0 < 5
    assert f"127.0.0.1:{port}" in str(err.value) and "CROSSCHECK_REDIS_URL" in str(err.value)


def test_a_server_that_accepts_but_never_answers_fails_within_five_seconds():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    port = silent.getsockname()[1]
    try:
        t0 = time.monotonic()
        with pytest.raises(ServiceUnavailable, match="did not answer in time .*CROSSCHECK_REDIS_URL"):
            services.get("redis").version(f"redis://127.0.0.1:{port}/0")
        t1 = time.monotonic()
        with pytest.raises(ServiceUnavailable, match="CROSSCHECK_POSTGRES_URL"):
            services.get("postgres").version(f"postgresql://u@127.0.0.1:{port}/db")
        assert time.monotonic() - t1 < 5 and t1 - t0 < 5
    finally:
        silent.close()


def test_a_malformed_url_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="must start with redis://"):
        services.get("redis").version("http://127.0.0.1:6379")


def test_a_password_never_reaches_output_log_or_exception(tmp_path, redis_url):
    secret = "s3cr3t-Pw-9911"
    port = int(redis_url.split(":")[2].split("/")[0])
    url = f"redis://default:{secret}@127.0.0.1:{port}/0"
    assert config.mask_url(url) == f"redis://default:***@127.0.0.1:{port}/0"
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead_port = closed.getsockname()[1]
    failures = [
        ("redis", ServiceUnavailable, f"redis://default:{secret}@127.0.0.1:{dead_port}/0"),
        ("postgres", ServiceUnavailable, f"postgresql://app:{secret}@127.0.0.1:{dead_port}/crosscheck_test"),
        ("redis", ConfigurationError, f"http://default:{secret}@127.0.0.1:{port}/0"),
    ]
    for service, error, bad in failures:
        with pytest.raises(error) as err:
            services.get(service).version(bad)
        assert secret not in str(err.value) and ":***@127.0.0.1" in str(err.value), str(err.value)
    env = _env(tmp_path, CROSSCHECK_REDIS_URL=url)
    status = subprocess.run([PY, "-m", "crosscheck.cli", "status"], env=env, capture_output=True, text=True, timeout=60)
    doctor = subprocess.run([PY, "-m", "crosscheck.cli", "doctor"], env=env, capture_output=True, text=True, timeout=60)
    assert "default:***@" in status.stdout
    suite = tmp_path / "secret.robot"
    suite.write_text(
        "*** Settings ***\nLibrary    crosscheck.Stack\n\n*** Test Cases ***\nReach\n"
        "    Service Should Be Reachable    redis\n    Log Service Versions\n"
    )
    run = subprocess.run(
        [PY, "-m", "robot", "--outputdir", str(tmp_path / "out"), "--loglevel", "TRACE", str(suite)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    texts = [status.stdout, status.stderr, doctor.stdout, doctor.stderr, run.stdout, run.stderr]
    texts += [p.read_text(errors="replace") for p in (tmp_path / "out").glob("*") if p.is_file()]
    assert all(secret not in t for t in texts), "the password leaked"
    assert "default:***@127.0.0.1" in run.stdout + (tmp_path / "out" / "output.xml").read_text()


@pytest.mark.parametrize(
    "url, masked",
    [
        ("redis://:s3cr3t@h:1/0", "redis://:***@h:1/0"),
        ("redis://:s3@cr3t@h:1/0", "redis://:***@h:1/0"),  # "@" in the password
        ("postgresql://app:s3/cr3t@h/db", "postgresql://app:***@h/db"),  # "/" in the password
        ("redis://:s3cr3t@h:99999/0", "redis://:***@h:99999/0"),  # malformed: port out of range
        ("redis://h:1/0", "redis://h:1/0"),
    ],
)
def test_every_form_of_password_is_masked(url, masked):
    assert config.mask_url(url) == masked
    assert config.mask_text(f"at {url}: refused") == f"at {masked}: refused"


def test_a_crashed_child_server_is_restarted_on_the_same_port_and_reported(tmp_path):
    owner = subprocess.Popen(["sleep", "120"])
    env = _env(tmp_path, CROSSCHECK_STACK_OWNER=str(owner.pid))
    try:
        info = json.loads(_run(SHOW_STACK, env).stdout.strip().splitlines()[-1])
        state = registry.read_state(info["key"])
        pid = state["services"]["redis"]["pid"]
        psutil.Process(pid).kill()  # a crash
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            state = registry.read_state(info["key"])
            if state["services"]["redis"].get("restarts") == 1 and state["services"]["redis"]["status"] == "running":
                break
            time.sleep(0.1)
        entry = state["services"]["redis"]
        assert entry["restarts"] == 1 and entry["last_exit"] == -9 and entry["pid"] != pid
        assert redis.Redis.from_url(info["redis"]).ping()  # same address
        doctor = subprocess.run(
            [PY, "-m", "crosscheck.cli", "doctor"], env=env, capture_output=True, text=True, timeout=60
        )
        assert "redis crashed and was restarted 1 time(s) (last exit -9)" in doctor.stdout
    finally:
        owner.kill()
        owner.wait()
    assert _gone(info["pids"] + [info["supervisor"], entry["pid"]])


def test_cli_up_status_down(tmp_path):
    env = _env(tmp_path, CROSSCHECK_STACK_NAME=f"test-{tmp_path}")
    up = subprocess.run(
        [PY, "-m", "crosscheck.cli", "up", "--no-sut"], env=env, capture_output=True, text=True, timeout=120
    )
    try:
        assert up.returncode == 0, up.stderr
        status = subprocess.run(
            [PY, "-m", "crosscheck.cli", "status"], env=env, capture_output=True, text=True, timeout=60
        )
        table = status.stdout.split("\n\n")[0]
        lines = {line.split()[0]: line for line in table.splitlines()[1:] if line.strip()}
        assert "running" in lines["redis"] and "embedded" in lines["redis"]
        assert "running" in lines["postgres"] and "pgvector" in lines["postgres"]
        state = registry.read_state(registry.explicit_key(env["CROSSCHECK_STACK_NAME"]))
        assert lines["redis"].split()[1] == state["services"]["redis"]["url"]
        # without a system under test the proxy server runs too, its proxies listed
        proxies = state["services"]["toxiproxy"]["proxies"]
        assert lines["toxiproxy"].split()[1] == state["services"]["toxiproxy"]["url"]
        for name in ("redis", "postgres"):
            assert f"{name} {proxies[name]['listen']} -> {proxies[name]['upstream']}" in lines["toxiproxy"]
        assert "api" not in state["services"]
        pids = [s["pid"] for s in state["services"].values() if s.get("pid")] + [state["supervisor"]["pid"]]
    finally:
        down = subprocess.run([PY, "-m", "crosscheck.cli", "down"], env=env, capture_output=True, text=True, timeout=60)
    assert down.returncode == 0 and "stopped: up-" in down.stdout
    assert _gone(pids, timeout=2)
    assert not registry.runtime_dir(state["key"]).exists()


SUITE = """*** Settings ***
Library    crosscheck.Stack
Library    OperatingSystem

*** Test Cases ***
Uses The Stack
    ${{url}} =    Get Service Url    redis
    Append To File    {marker}    ${{url}}\\n
    {body}
"""


def _wait_for(path: Path, lines: int, timeout: float = 60) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_text().split()) >= lines:
            return path.read_text().split()
        time.sleep(0.1)
    raise AssertionError(f"{path} did not get {lines} lines")


def _stack_pids_for(url: str) -> list[int]:
    port = url.split(":")[2].split("/")[0]
    return [p.pid for p in psutil.process_iter(["cmdline"]) if port in " ".join(p.info["cmdline"] or [])]


def test_ctrl_c_during_a_run_leaves_nothing_running(tmp_path):
    marker = tmp_path / "urls.txt"
    suite = tmp_path / "ctrlc.robot"
    suite.write_text(SUITE.format(marker=marker, body="Sleep    60 s"))
    run = subprocess.Popen(
        [PY, "-m", "robot", "--outputdir", str(tmp_path / "out"), str(suite)],
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = _wait_for(marker, 1)[0]
    pids = _stack_pids_for(url)
    assert pids, "the run's stack is not running"
    run.send_signal(2)  # Ctrl-C: robot stops gracefully
    time.sleep(0.5)
    run.send_signal(2)  # second Ctrl-C: robot stops at once
    run.wait(30)
    assert _gone(pids), "servers outlived an interrupted run"


def test_a_failing_run_leaves_nothing_running(tmp_path):
    marker = tmp_path / "urls.txt"
    suite = tmp_path / "failing.robot"
    suite.write_text(SUITE.format(marker=marker, body="Fail    deliberately"))
    run = subprocess.run(
        [PY, "-m", "robot", "--outputdir", str(tmp_path / "out"), str(suite)],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1
    url = marker.read_text().split()[0]
    assert _port_free(url), f"the stack's Redis at {url} outlived the run"


def test_pabot_processes_share_one_stack_and_it_stops_with_pabot(tmp_path):
    marker = tmp_path / "urls.txt"
    suites = tmp_path / "suites"
    suites.mkdir()
    for name in ("first", "second", "third"):
        (suites / f"{name}.robot").write_text(SUITE.format(marker=marker, body="Sleep    1 s"))
    pabot = Path(PY).parent / "pabot"
    run = subprocess.run(
        [str(pabot), "--processes", "2", "--outputdir", str(tmp_path / "out"), str(suites)],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    urls = marker.read_text().split()
    assert len(urls) == 3 and len(set(urls)) == 1, f"pabot processes used different stacks: {urls}"
    assert _port_free(urls[0]), f"the stack's Redis at {urls[0]} outlived the run"


def test_restart_with_clients_connected_comes_back_on_the_same_port(redis_url):
    clients = [redis.Redis.from_url(redis_url) for _ in range(5)]
    for c in clients:
        c.ping()
    down = api.restart("redis")
    assert down < 10
    assert services.get("redis").url() == redis_url
    fresh = redis.Redis.from_url(redis_url)
    assert fresh.ping()
    fresh.close()
    for c in clients:
        c.close()


def test_a_child_process_of_a_run_uses_the_runs_stack(tmp_path):
    code = SHOW_STACK + textwrap.dedent("""
        import subprocess
        child = subprocess.run([sys.executable, "-c", "from crosscheck.services import redis; print(redis.url())"],
                               capture_output=True, text=True, timeout=60)
        print("CHILD", child.stdout.strip())
    """)
    proc = _run(code, _env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    info = json.loads(lines[0])
    assert lines[-1] == f"CHILD {info['redis']}", "the child started a stack of its own"


def test_an_api_that_answers_with_an_error_is_not_reachable():
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Broken(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"database down")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Broken)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(ServiceUnavailable, match=r"not healthy: HTTP 500 on /health \(database down\)"):
            services.get("api").version(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()


SHOW_API = textwrap.dedent("""
    import json
    import httpx
    from robot.api import SkipExecution
    from crosscheck.services import api
    from crosscheck.stack import api as stack
    try:
        url = api.url()
    except SkipExecution as exc:
        print(json.dumps({"skip": str(exc)}))
    else:
        entry = stack.ensure()["services"]["api"]
        print(json.dumps({"url": url, "status": httpx.get(url + "/", timeout=5).status_code,
                          "version": entry["version"], "pids": entry.get("pids", [])}))
""")


def test_the_system_under_test_can_be_a_command_line(tmp_path):
    command = f"{PY} -m http.server $PORT --bind 127.0.0.1 --directory {tmp_path}"
    proc = _run(SHOW_API, _env(tmp_path, CROSSCHECK_SUT=command))
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info["url"].startswith("http://127.0.0.1:") and info["status"] == 200, info
    assert info["version"] == PY
    assert _gone(info["pids"]), "the system under test outlived its run"


SHOW_API_ENTRY = textwrap.dedent("""
    import json
    from robot.api import SkipExecution
    from crosscheck.stack import api as stack
    entry = stack.ensure()["services"]["api"]
    try:
        stack.embedded_url("api")
    except Exception as exc:
        entry["raised"] = str(exc)
    print(json.dumps(entry))
""")


def test_a_system_under_test_that_fails_its_first_start_is_started_again(tmp_path):
    # one transient failure at start-up (a database not ready yet, a connection dropped) must not
    # fail every test of the run: the start is tried once more, and what failed is kept
    mark = tmp_path / "started-once"
    script = f"if [ -e {mark} ]; then exec {PY} -m http.server $PORT --bind 127.0.0.1 --directory {tmp_path}; fi; touch {mark}; echo first start fails; exit 3"
    proc = _run(SHOW_API, _env(tmp_path, CROSSCHECK_SUT=f"sh -c '{script}'"))
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info["status"] == 200, info
    assert _gone(info["pids"]), "the system under test outlived its run"
    proc = _run(SHOW_API_ENTRY, _env(tmp_path, CROSSCHECK_SUT=f"sh -c '{script}'"))
    entry = json.loads(proc.stdout.strip().splitlines()[-1])
    assert entry["status"] == "running" and "failed_starts" not in entry, entry  # the mark exists: first try works
    mark.unlink()
    proc = _run(SHOW_API_ENTRY, _env(tmp_path, CROSSCHECK_SUT=f"sh -c '{script}'"))
    entry = json.loads(proc.stdout.strip().splitlines()[-1])
    assert entry["status"] == "running", entry
    (failed,) = entry["failed_starts"]
    assert "exited with code 3 while starting" in failed and "first start fails" in failed, failed


def test_a_system_under_test_that_never_starts_fails_naming_both_attempts(tmp_path):
    proc = _run(SHOW_API_ENTRY, _env(tmp_path, CROSSCHECK_SUT="sh -c 'echo cannot start; exit 4'"))
    assert proc.returncode == 0, proc.stderr
    entry = json.loads(proc.stdout.strip().splitlines()[-1])
    assert entry["status"] == "failed", entry
    assert "exited with code 4 while starting" in entry["error"] and "cannot start" in entry["error"], entry
    assert entry["error"].endswith("(start tried 2 times)"), entry
    assert "embedded api is not running (failed: " in entry["raised"], entry


def test_the_system_under_test_can_be_a_python_entry_point(tmp_path):
    (tmp_path / "my_sut.py").write_text(
        textwrap.dedent(f"""
        import subprocess, socket, sys, time

        class Handle:
            def __init__(self, proc, port):
                self.proc, self.api_url, self.pids = proc, f"http://127.0.0.1:{{port}}", [proc.pid]
            def stop(self):
                self.proc.terminate()
                self.proc.wait(5)

        def start(redis_url, postgres_url, log_dir):
            assert redis_url.startswith("redis://") and postgres_url.startswith("postgresql://")
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                     "--directory", {str(tmp_path)!r}])
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    return Handle(proc, port)
                except OSError:
                    time.sleep(0.05)
    """)
    )
    env = _env(tmp_path, CROSSCHECK_SUT="my_sut:start", PYTHONPATH=str(tmp_path))
    proc = _run(SHOW_API, env)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info["status"] == 200 and info["version"] == "my_sut:start", info
    assert _gone(info["pids"]), "the system under test outlived its run"


def test_without_a_system_under_test_the_api_is_a_skip_that_says_how_to_name_one(tmp_path):
    proc = _run(SHOW_API, _env(tmp_path, CROSSCHECK_SUT="none"))
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "CROSSCHECK_SUT=none" in info["skip"], info


def test_a_system_under_test_that_does_not_load_is_one_doctor_line(tmp_path):
    env = _env(tmp_path, CROSSCHECK_SUT="no_such_module_here:start")
    doctor = subprocess.run([PY, "-m", "crosscheck.cli", "doctor"], env=env, capture_output=True, text=True, timeout=60)
    assert doctor.returncode == 1
    assert "api: CROSSCHECK_SUT='no_such_module_here:start' does not load (ModuleNotFoundError" in doctor.stdout
    assert "Traceback" not in doctor.stdout + doctor.stderr


def test_status_lists_every_service(tmp_path):
    from crosscheck import services

    status = subprocess.run(
        [PY, "-m", "crosscheck.cli", "status"], env=_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert status.returncode == 0, status.stderr
    names = [line.split()[0] for line in status.stdout.split("\n\n")[0].splitlines()[1:] if line.strip()]
    assert names == [s.name for s in services.all_services()]
