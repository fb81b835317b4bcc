"""Private stacks: a process's own Redis, Postgres, proxies and system under test, and the
libraries' default connections following the switch to it and back. Real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from crosscheck import services
from crosscheck.core import Cleanup
from crosscheck.stack import api, registry, sut

PY = sys.executable
NAMES = ("redis", "postgres", "api", "toxiproxy")


def _url(name: str) -> str:
    if name == "toxiproxy":
        from crosscheck.services import toxiproxy

        return toxiproxy.SERVICE.url()
    return services.get(name).url()


def _pids(state: dict) -> list[int]:
    """Every process of a stack: its supervisor, servers, proxy server and system under test."""
    pids = [state["supervisor"]["pid"]]
    for entry in state["services"].values():
        pids += [entry["pid"]] if entry.get("pid") else []
        pids += entry.get("pids", [])
    return pids


def _gone(pids: list[int], timeout: float = 10.0) -> list[int]:
    """The processes of ``pids`` still alive after ``timeout`` (zombies count as gone)."""
    deadline = time.monotonic() + timeout
    while True:
        alive = []
        for pid in pids:
            try:
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    alive.append(pid)
            except psutil.Error:
                pass
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def _listening_on(ports: set[int]) -> list[str]:
    """Processes that still have one of ``ports`` open for listening."""
    found = []
    for conn in psutil.net_connections("tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port in ports:
            found.append(f"{conn.pid}:{conn.laddr.port}")
    return found


def _contexts():
    from crosscheck.messaging.context import Context
    from crosscheck.postgres.context import PostgresContext
    from crosscheck.vectors.context import VectorsContext

    made = Context(), PostgresContext(), VectorsContext()
    for ctx in made:
        ctx.cleanup = Cleanup("test")
    return made


def test_a_private_stack_is_used_until_stopped_and_the_default_connections_follow(redis_url, postgres_url, monkeypatch):
    if sut.problem():
        pytest.skip(f"no system under test to start: {sut.problem()}")
    shared = {name: _url(name) for name in NAMES}
    # addresses exported for child processes (Export Redis Url, Export Postgres Url) follow the switch
    monkeypatch.setenv("CC_TEST_REDIS", redis_url.replace("/0", "/5"))
    monkeypatch.setenv("CC_TEST_POSTGRES", postgres_url.rsplit("/", 1)[0] + "/postgres")
    monkeypatch.setenv("CC_TEST_OTHER", "redis://127.0.0.1:1/0")
    messaging, pg, vectors = _contexts()
    try:
        assert messaging.connection().url == redis_url
        first_default = messaging.connection()
        assert pg.query("SELECT 1") == [(1,)] and pg.url == postgres_url
        assert vectors.backend.describe().endswith(postgres_url.split("://", 1)[1])
        inherited = os.environ.get(api.INHERITED)

        t0 = time.monotonic()
        state = api.start_private()
        started = time.monotonic() - t0
        try:
            key = state["key"]
            assert key.startswith(f"private-{os.getpid()}-") and os.environ[api.INHERITED] == key
            assert state["owner"]["pid"] == os.getpid()
            private = {name: _url(name) for name in NAMES}
            for name in NAMES:
                assert private[name] != shared[name], f"{name} is shared: {private[name]}"
            assert private["api"] == state["services"]["api"]["url"]
            assert os.environ["CC_TEST_REDIS"] == private["redis"].replace("/0", "/5")
            assert os.environ["CC_TEST_POSTGRES"] == private["postgres"].rsplit("/", 1)[0] + "/postgres"
            assert os.environ["CC_TEST_OTHER"] == "redis://127.0.0.1:1/0"
            proxies = state["services"]["toxiproxy"]["proxies"]
            assert {name: p["upstream"] for name, p in proxies.items()} == {
                name: f"127.0.0.1:{state['services'][name]['port']}" for name in ("redis", "postgres")
            }

            # the cached default connections move to the private servers on their next use
            moved = messaging.connection()
            assert moved.url == private["redis"] and moved is not first_default
            assert moved.run(moved.client.ping)
            assert messaging.connection() is moved, "reconnected although the address did not change"
            assert pg.url == private["postgres"]
            assert pg.query("SELECT current_setting('port')::int") == [(state["services"]["postgres"]["port"],)]
            conn = pg.conn
            assert pg.conn is conn, "reconnected although the address did not change"
            assert vectors.backend.describe().endswith(private["postgres"].split("://", 1)[1])

            # a child process uses the private stack too
            child = subprocess.run(
                [PY, "-c", "from crosscheck.services import redis; print(redis.url())"],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert child.stdout.strip() == private["redis"], child.stderr
        finally:
            assert api.stop_private()
        assert os.environ.get(api.INHERITED) == inherited
        assert os.environ["CC_TEST_REDIS"] == redis_url.replace("/0", "/5")
        assert os.environ["CC_TEST_POSTGRES"] == postgres_url.rsplit("/", 1)[0] + "/postgres"
        assert not api.stop_private(), "a second stop found another private stack"

        # nothing of the private stack is left: processes, ports, files
        assert not _gone(_pids(state)), "processes of the private stack outlived it"
        ports = {state["services"][name]["port"] for name in ("redis", "postgres")}
        ports |= {int(p["listen"].rsplit(":", 1)[1]) for p in proxies.values()}
        assert not _listening_on(ports)
        assert not registry.state_path(key).exists() and not registry.runtime_dir(key).exists()
        children = [
            " ".join(p.cmdline()[:3]) for p in psutil.Process().children(recursive=True) if p.pid in _pids(state)
        ]
        assert not children, children

        # and the defaults come back to the shared stack
        assert {name: _url(name) for name in NAMES} == shared
        assert messaging.connection().url == redis_url
        assert pg.url == postgres_url and pg.query("SELECT 1") == [(1,)]
        assert vectors.backend.describe().endswith(postgres_url.split("://", 1)[1])
        assert started < 30, f"the private stack took {started:.1f} s to start"
    finally:
        messaging.close()
        pg.close()
        vectors.close()


def test_a_private_stack_that_died_is_an_error_not_the_shared_stack(redis_url):
    state = api.start_private(system_under_test=False)
    try:
        psutil.Process(state["supervisor"]["pid"]).kill()
        deadline = time.monotonic() + 10
        while registry.supervisor_alive(registry.read_state(state["key"])) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(api.RECHECK)
        with pytest.raises(api.StackError, match=f"the private stack {state['key']} stopped unexpectedly"):
            services.get("redis").url()
    finally:
        api.stop_private()
    assert not _gone(_pids(state))
    assert services.get("redis").url() == redis_url


SUITE = """*** Settings ***
Library    crosscheck.Stack
Library    crosscheck.Messaging
Library    OperatingSystem
{setup}

*** Test Cases ***
Uses A Stack
    ${{url}} =    Get Service Url    redis
    ${{api}} =    Get Service Url    toxiproxy
    Append To File    {marker}    {name} ${{url}} ${{api}} %{{CROSSCHECK_STACK_KEY}}\\n
    ${{key}} =    Test Key    n
    {body}
"""
PRIVATE = "Suite Setup    Use A Private Stack"


def test_use_a_private_stack_lasts_for_its_suite_and_its_cleanup_comes_last(tmp_path):
    marker = tmp_path / "urls.txt"
    suites = tmp_path / "suites"
    suites.mkdir()
    # the stream added in Suite Setup is deleted by Messaging's suite cleanup, which needs the private Redis;
    # the test namespace of the next suite is dropped on that suite's Redis, not on the stopped one
    first = "Suite Setup    Run Keywords    Use A Private Stack    AND    Add Stream Entry    cc.private    payload=x"
    plan = (
        ("breaks", first, 'Publish Message    private.test.channel    {"n": 1}'),
        ("breaks_too", PRIVATE, "No Operation"),
        ("reads", "", "No Operation"),
    )
    for order, (name, setup, body) in enumerate(plan):
        text = SUITE.format(setup=setup, marker=marker, name=name, body=body)
        (suites / f"{order}_{name}.robot").write_text(text)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSCHECK_")}
    env["CROSSCHECK_RESULTS_DIR"] = str(tmp_path / "results")
    env["CROSSCHECK_SUT"] = "none"
    run = subprocess.run(
        [PY, "-m", "robot", "--outputdir", str(tmp_path / "out"), str(suites)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert "[ ERROR ]" not in run.stdout + run.stderr, run.stdout[-3000:]
    lines = dict((line.split()[0], line.split()[1:]) for line in marker.read_text().splitlines())
    assert lines["breaks"][2].startswith("private-") and lines["breaks_too"][2].startswith("private-")
    assert not lines["reads"][2].startswith("private-")
    for a, b in (("breaks", "reads"), ("breaks_too", "reads"), ("breaks", "breaks_too")):
        assert lines[a][0] != lines[b][0] and lines[a][1] != lines[b][1], (a, b, lines)
    for name in ("breaks", "breaks_too"):
        assert not list(Path(registry.REGISTRY).glob(f"{lines[name][2]}*")), "the private stack's files remain"
        port = int(lines[name][0].split(":")[2].split("/")[0])
        assert not _listening_on({port}), "a private Redis outlived its suite"
