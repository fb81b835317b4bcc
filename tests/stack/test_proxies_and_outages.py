"""The embedded stack's fault proxies and outages of its servers, against real processes:
the system under test goes through the proxies while the suite's connections stay direct,
a dead proxy server comes back with its proxies, restarts keep servers down for a while
(never for good) and Postgres keeps what it committed."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time

import httpx
import psutil
import psycopg2
import pytest
import redis

from crosscheck import services
from crosscheck.services import toxiproxy
from crosscheck.stack import api, registry
from crosscheck.stack.servers import via

PY = sys.executable


# These tests cut the demo off and crash servers: they run on a private stack, so the tests after
# them find the shared stack's servers, pools and metrics as they were.
@pytest.fixture(scope="module", autouse=True)
def private_stack():
    api.start_private()
    try:
        yield
    finally:
        api.stop_private()


@pytest.fixture(scope="module")
def redis_url(private_stack) -> str:
    return services.get("redis").url()


@pytest.fixture(scope="module")
def postgres_url(private_stack) -> str:
    return services.get("postgres").url()


@pytest.fixture(scope="module")
def api_url(private_stack) -> str:
    return services.get("api").url()


def _state() -> dict:
    return api.ensure()


def _wait(predicate, timeout: float = 15.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while True:
        found = predicate()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:g} s")
        time.sleep(0.05)


def _health(api_url: str) -> int:
    try:
        return httpx.get(f"{api_url}/health", timeout=5).status_code
    except httpx.HTTPError:
        return 0


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return False
    except OSError:
        return True


def test_a_url_through_a_proxy_keeps_everything_but_host_and_port():
    assert via("redis://:s3cr3t@127.0.0.1:1/3", "127.0.0.1:9") == "redis://:s3cr3t@127.0.0.1:9/3"
    assert via("postgresql://postgres@127.0.0.1:5/crosscheck_test?sslmode=disable", "127.0.0.1:6") == (
        "postgresql://postgres@127.0.0.1:6/crosscheck_test?sslmode=disable"
    )
    assert via("redis://127.0.0.1:1/0", "127.0.0.1:2") == "redis://127.0.0.1:2/0"


def test_the_stack_runs_a_proxy_server_with_one_proxy_per_server(redis_url, postgres_url):
    state = _state()
    entry = state["services"]["toxiproxy"]
    assert entry["status"] == "running" and entry["version"].startswith("2.") and psutil.pid_exists(entry["pid"])
    assert toxiproxy.url() == entry["url"] == services.get("toxiproxy").url()
    assert set(entry["proxies"]) == {"redis", "postgres"}
    with toxiproxy.client() as client:
        served = client.proxies()
    for name in ("redis", "postgres"):
        server, proxy = state["services"][name], entry["proxies"][name]
        assert proxy["upstream"] == f"127.0.0.1:{server['port']}"
        assert proxy["listen"].startswith("127.0.0.1:") and proxy["listen"] != proxy["upstream"]
        assert proxy["url"] == via(server["url"], proxy["listen"])
        assert served[name]["listen"] == proxy["listen"] and served[name]["upstream"] == proxy["upstream"]
        assert served[name]["enabled"] and not served[name]["toxics"]
    # the suite's own connections stay direct
    assert redis_url == state["services"]["redis"]["url"] and postgres_url == state["services"]["postgres"]["url"]
    proxied = redis.Redis.from_url(entry["proxies"]["redis"]["url"], socket_timeout=5)
    assert proxied.ping()  # and the proxy really forwards
    proxied.close()


def test_the_system_under_test_uses_the_proxies_and_the_suite_does_not(api_url, redis_url):
    state = _state()
    proxies = state["services"]["toxiproxy"]["proxies"]
    environments = [psutil.Process(pid).environ() for pid in state["services"]["api"]["pids"]]
    for env in environments:  # the gateway's and the consumer's, each under its own prefix
        prefix = "GATEWAY_" if "GATEWAY_REDIS_URL" in env else "CONSUMER_"
        assert env[f"{prefix}REDIS_URL"] == proxies["redis"]["url"]
        assert env[f"{prefix}POSTGRES_URL"] == proxies["postgres"]["url"]
    direct = redis.Redis.from_url(redis_url, socket_timeout=5)
    assert _health(api_url) == 200
    with toxiproxy.client() as client:
        try:
            client.update_proxy("redis", enabled=False)
            _wait(lambda: _health(api_url) == 503, what="/health answering 503 with the redis proxy cut")
            assert direct.ping(), "the suite's own Redis connection went through the proxy"
        finally:
            client.update_proxy("redis", enabled=True)
    _wait(lambda: _health(api_url) == 200, what="/health answering 200 with the redis proxy back")
    direct.close()


def test_a_dead_proxy_server_comes_back_with_its_proxies_on_the_same_ports_and_no_toxics(api_url):
    before = _state()["services"]["toxiproxy"]
    with toxiproxy.client() as client:
        client.add_toxic("postgres", "latency", attributes={"latency": 100})
    down = api.restart("toxiproxy")
    after = api.ensure()["services"]["toxiproxy"]
    assert 0 < down < 10
    assert after["status"] == "running" and after["pid"] != before["pid"] and not psutil.pid_exists(before["pid"])
    assert after["restarts"] == before.get("restarts", 0) + 1
    assert after["proxies"] == before["proxies"], "the system under test's addresses changed"
    with toxiproxy.client() as client:
        served = client.proxies()
    assert {name: p["listen"] for name, p in served.items()} == {n: p["listen"] for n, p in before["proxies"].items()}
    assert all(p["enabled"] and not p["toxics"] for p in served.values()), served
    _wait(lambda: _health(api_url) == 200, what="/health answering 200 through the new proxy server")
    doctor = subprocess.run([PY, "-m", "crosscheck.cli", "doctor"], capture_output=True, text=True, timeout=60)
    assert "toxiproxy crashed" not in doctor.stdout, "an asked-for restart was reported as a crash"


def test_restart_refuses_what_it_cannot_do_before_stopping_anything(monkeypatch, redis_url):
    pid = _state()["services"]["redis"]["pid"]
    with pytest.raises(api.StackError, match="redis cannot be stopped with mode='immediate': use kill"):
        api.restart("redis", mode="immediate")
    with pytest.raises(api.StackError, match="crosscheck restarts only its embedded servers"):
        api.restart("api")
    with pytest.raises(api.StackError, match="down_for must be between 0 and 3600 seconds"):
        api.restart("redis", down_for=registry.MAX_HOLD + 1)
    monkeypatch.setenv("CROSSCHECK_REDIS_URL", redis_url)
    with pytest.raises(api.StackError, match="crosscheck only restarts servers it started itself"):
        api.restart("redis")
    monkeypatch.delenv("CROSSCHECK_REDIS_URL")
    assert api.ensure()["services"]["redis"]["pid"] == pid


def test_postgres_stopped_immediately_keeps_what_it_committed_and_stays_down_for_its_hold(postgres_url):
    table = f"cc_outage_{os.getpid()}"
    conn = psycopg2.connect(postgres_url, application_name="crosscheck-pytest")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {table} (n int)")
        cur.execute(f"INSERT INTO {table} SELECT generate_series(1, 1000)")  # committed just before the stop
    conn.close()
    key = _state()["key"]
    port = _state()["services"]["postgres"]["port"]
    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(down=api.restart("postgres", down_for=1, mode="immediate")))
    worker.start()
    try:
        held = _wait(
            lambda: (registry.read_state(key) or {}).get("services", {}).get("postgres", {}).get("status") == "held",
            timeout=5,
            what="postgres being held down",
        )
        assert held and registry.read_hold(key, "postgres") is not None
        # held down, it keeps its address: a client meets the outage, not a stack error
        assert services.get("postgres").url() == postgres_url
        assert _refused(port)
    finally:
        worker.join(60)
    assert 1.0 <= result["down"] < 10, result
    assert registry.read_hold(key, "postgres") is None
    entry = api.ensure()["services"]["postgres"]
    assert entry["status"] == "running" and entry["port"] == port
    conn = psycopg2.connect(postgres_url, application_name="crosscheck-pytest")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table}")
        assert cur.fetchone()[0] == 1000, "a committed row was lost"
        cur.execute(f"DROP TABLE {table}")
    conn.close()


def test_a_killed_postgres_comes_back_on_its_port(postgres_url):
    down = api.restart("postgres", mode="kill")
    assert 0 < down < 15
    conn = psycopg2.connect(postgres_url, application_name="crosscheck-pytest", connect_timeout=5)
    with conn.cursor() as cur:
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)
    conn.close()


def test_redis_down_for_a_while_is_measured_from_the_kill_to_its_first_answer(redis_url):
    down = api.restart("redis", down_for=0.5)
    assert 0.5 <= down < 5
    assert redis.Redis.from_url(redis_url).ping()


HOLD = textwrap.dedent("""
    import json, os, signal
    from crosscheck.stack import api, registry
    state = api.ensure(system_under_test=False)
    entry = state["services"]["redis"]
    registry.hold(state["key"], "redis", entry["pid"], 10 ** 6)  # asks for far more than the limit
    os.kill(entry["pid"], signal.SIGKILL)
    print(json.dumps({"key": state["key"], "supervisor": state["supervisor"]["pid"],
                      "pids": [e.get("pid") for e in state["services"].values()],
                      "hold": registry.read_hold(state["key"], "redis")}))
""")


def test_a_hold_has_a_deadline_and_goes_with_its_stack(tmp_path):
    owner = subprocess.Popen(["sleep", "120"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSCHECK_")}
    env.update(CROSSCHECK_RESULTS_DIR=str(tmp_path / "results"), CROSSCHECK_STACK_OWNER=str(owner.pid))
    try:
        run = subprocess.run([PY, "-c", HOLD], env=env, capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        info = json.loads(run.stdout.strip().splitlines()[-1])
        assert info["hold"]["until"] <= time.time() + registry.MAX_HOLD
        _wait(
            lambda: registry.read_state(info["key"])["services"]["redis"]["status"] == "held",
            what="redis being held down",
        )
        assert registry.read_state(info["key"])["services"]["redis"]["held_until"] == info["hold"]["until"]
    finally:
        owner.kill()
        owner.wait()
    # the owner is gone: the stack stops, held server or not, and its marker goes with it
    _wait(lambda: not registry.state_path(info["key"]).exists(), what="the stack stopping")
    assert not registry.runtime_dir(info["key"]).exists()
    _wait(
        lambda: not any(psutil.pid_exists(p) for p in info["pids"] + [info["supervisor"]] if p),
        timeout=10,
        what="every process of the stack ending",
    )


SHOW = textwrap.dedent("""
    import json
    from crosscheck.stack import api
    state = api.ensure(system_under_test=False)
    print(json.dumps({"key": state["key"], "supervisor": state["supervisor"]["pid"],
                      "pids": {name: e.get("pid") for name, e in state["services"].items()}}))
""")


def test_stop_ends_the_proxy_server_of_a_stack_whose_supervisor_was_killed(tmp_path):
    owner = subprocess.Popen(["sleep", "120"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSCHECK_")}
    env.update(CROSSCHECK_RESULTS_DIR=str(tmp_path / "results"), CROSSCHECK_STACK_OWNER=str(owner.pid))
    try:
        run = subprocess.run([PY, "-c", SHOW], env=env, capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        info = json.loads(run.stdout.strip().splitlines()[-1])
        assert set(info["pids"]) == {"redis", "postgres", "toxiproxy"} and all(info["pids"].values())
        psutil.Process(info["supervisor"]).kill()
        assert api.stop(info["key"])
        pids = list(info["pids"].values()) + [info["supervisor"]]
        _wait(lambda: not any(psutil.pid_exists(p) for p in pids), timeout=10, what="every process ending")
        assert not registry.state_path(info["key"]).exists() and not registry.runtime_dir(info["key"]).exists()
    finally:
        owner.kill()
        owner.wait()
