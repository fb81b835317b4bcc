"""crosscheck.Sandbox keywords: the results and failure messages they promise, cleanup, the image."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from robot.api import SkipExecution

from crosscheck.assertions import AssertionOperator
from crosscheck.errors import ConfigurationError, CrosscheckError, ServiceUnavailable
from crosscheck.sandbox import Sandbox, image, policy, runner


def kw(library, name, args=(), kwargs=None):
    """Call a keyword as Robot would: operators as AssertionOperator, names as written."""
    args = [AssertionOperator[a] if isinstance(a, str) and a in AssertionOperator.__members__ else a for a in args]
    return library.run_keyword(name.lower().replace(" ", "_"), args, kwargs or {})


@pytest.fixture
def lib(engine):
    library = Sandbox(timeout=timedelta(seconds=2))
    yield library
    for listener in library.ROBOT_LIBRARY_LISTENER:
        listener.close()  # what Robot calls at the end of the run
    assert runner.ours(engine) == []


def test_refused_code_starts_no_container(lib):
    res = kw(lib, "Execute Python", ['import os\nos.system("id")'], {})
    assert res.status == "refused" and res.risk_score == 60 and res.container == ""
    assert kw(lib, "Get Limit Fired", [], {}) == "code validation (risk score 60)"


def test_syntax_error_is_reported_as_one(lib):
    res = kw(lib, "Execute Python", ["def f(:\n  pass"], {})
    assert res.status == "syntax error" and "SyntaxError" in res.stderr
    with pytest.raises(CrosscheckError, match="Code has a syntax error, so it has no risk score"):
        kw(lib, "Get Risk Score", ["def f(:"], {})


def test_enforce_risk_false_runs_and_records_the_score(lib):
    res = kw(lib, "Execute Python", ["import socket\nprint('ran')"], {"enforce_risk": False})
    assert res.status == "ok" and res.risk_score == 30 and res.stdout == "ran\n"


def test_getters_assert_and_fail_with_where(lib):
    kw(lib, "Execute Python", ["print('hello')"], {})
    assert kw(lib, "Get Stdout", ["==", "hello\n"], {}) == "hello\n"
    assert kw(lib, "Get Exit Code", ["==", "0"], {}) == 0
    kw(lib, "Get Run Duration", ["<", "10 s"], {})
    with pytest.raises(AssertionError, match=r"Run status in sandbox container \w+ \(limit: none\)"):
        kw(lib, "Get Run Status", ["==", "error"], {})
    with pytest.raises(ConfigurationError, match="Result has no field 'nope'"):
        kw(lib, "Get Run Field", ["nope"], {})


def test_getter_without_a_run_says_so():
    with pytest.raises(CrosscheckError, match="No sandbox result yet"):
        kw(Sandbox(), "Get Stdout", [], {})


def test_bad_size_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="is not understood"):
        policy.parse_size("lots")


def test_warm_mode_rejects_per_run_memory(lib):
    with pytest.raises(ConfigurationError, match="cannot change per run in warm mode"):
        kw(lib, "Execute Python", ["print(1)"], {"mode": "warm", "memory": "256 MB"})


def test_warm_mode_and_pool_keywords(lib):
    kw(lib, "Start Warm Pool", [], {"size": 1})
    assert kw(lib, "Get Warm Pool Size", ["==", "1"], {}) == 1
    res = kw(lib, "Execute Python", ["print(7)"], {"mode": "warm"})
    assert res.mode == "warm" and res.stdout == "7\n"
    kw(lib, "Stop Warm Pool", [], {})
    assert kw(lib, "Get Warm Pool Size", [], {}) == 0


def test_load_fails_naming_the_failed_runs(lib):
    with pytest.raises(CrosscheckError, match=r"2 of 2 fresh sandbox runs failed; first: error"):
        kw(lib, "Run Sandbox Load", [], {"runs": 2, "concurrency": 2, "code": "1/0"})


def test_load_and_cold_start_figures(lib):
    figures = kw(lib, "Run Sandbox Load", [], {"runs": 4, "concurrency": 2})
    assert figures["ok"] == 4 and figures["throughput_per_s"] > 0 and figures["p50_ms"] > 0
    assert kw(lib, "Measure Cold Start", ["<", "30 s"], {}) > 0
    assert kw(lib, "Get Leftover Sandbox Containers", ["==", "0"], {}) == 0


def test_leftovers_of_a_dead_run_are_removed(engine):
    client = engine
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    labels = policy.labels("leftover", "run")
    labels[policy.LABEL_RUN] = f"cc_{dead.pid}"
    cid = client.api.create_container(image.image_name(), command=["python3", "-c", "pass"], labels=labels)["Id"]
    mine = client.api.create_container(
        image.image_name(), command=["python3", "-c", "pass"], labels=policy.labels("mine", "run")
    )["Id"]
    try:
        assert runner.reap(client) >= 1
        ids = [c["Id"] for c in client.api.containers(all=True, filters={"label": "crosscheck=1"})]
        assert cid not in ids and mine in ids  # a live run's containers are left alone
    finally:
        runner.remove_quietly(client.api, cid)
        runner.remove_quietly(client.api, mine)


def test_unreachable_engine_fails_in_one_line_and_the_library_skips(monkeypatch):
    with pytest.raises(
        ServiceUnavailable,
        match=r"^Docker engine at tcp://127.0.0.1:9 refused the connection .*"
        r"fix DOCKER_HOST .*start dockerd",
    ):
        runner.connect("tcp://127.0.0.1:9")
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:9")
    monkeypatch.delenv("CROSSCHECK_REQUIRE_DOCKER", raising=False)
    with pytest.raises(SkipExecution, match="^Sandbox needs a Docker engine: Docker engine at tcp://127.0.0.1:9"):
        kw(Sandbox(), "Execute Python", ["print(1)"], {})
    monkeypatch.setenv("CROSSCHECK_REQUIRE_DOCKER", "1")  # CI that must test the sandbox: a failure, not a skip
    with pytest.raises(
        ServiceUnavailable,
        match=r"^Sandbox needs a Docker engine: .*\(CROSSCHECK_REQUIRE_DOCKER=1, "
        r"so this fails instead of skipping\)$",
    ):
        kw(Sandbox(), "Execute Python", ["print(1)"], {})


def test_missing_foreign_image_says_what_to_do(engine):
    with pytest.raises(ConfigurationError, match="is not present and cannot be pulled"):
        image.ensure(engine, "crosscheck-no-such-registry.invalid/python:0")


def test_image_has_python_and_a_non_root_user(engine):
    attrs = engine.images.get(image.image_name()).attrs["Config"]
    assert attrs["User"].startswith(str(image.SANDBOX_UID))
    assert os.environ.get("CROSSCHECK_SANDBOX_IMAGE") or attrs["Labels"].get("crosscheck.image") == "1"


def test_ten_megabytes_are_refused_before_scoring_and_without_any_container(engine, monkeypatch):
    from crosscheck.sandbox import risk

    calls = []
    real = risk.score
    monkeypatch.setattr(risk, "score", lambda *a, **k: calls.append(1) or real(*a, **k))
    library = Sandbox()
    res = kw(library, "Execute Python", ["x = 1\n" * (10 * 1024 * 1024 // 6)], {"mode": "warm"})
    assert res.status == "refused" and res.limit == "code validation (cannot score)"
    assert "over the 102400-byte cap" in res.stderr and res.container == ""
    # the scorer never ran, no pool started, the engine was not even contacted
    assert calls == [] and library.ctx.pool is None and library.ctx._client is None
    assert runner.ours(engine) == []
    with pytest.raises(CrosscheckError, match="Code cannot be scored, so it is refused: code is"):
        kw(library, "Get Risk Score", ["#" * (runner.MAX_CODE_BYTES + 1)], {})


def test_code_beyond_the_parser_is_refused_by_execute_python():
    res = kw(Sandbox(), "Execute Python", ["-" * 50000 + "1"], {"enforce_risk": False})
    assert res.status == "refused" and res.limit == "code validation (cannot score)" and "MemoryError" in res.stderr


def test_failures_name_the_configured_limits(lib):
    kw(lib, "Execute Python", ["print(1)"], {"memory": "256 MB"})
    with pytest.raises(AssertionError, match=r"under configured limits: timeout 2 s, memory 256 MiB, .*pids 64"):
        kw(lib, "Get Limit Fired", ["contains", "OOM-killed"], {})
    with pytest.raises(AssertionError, match=r"\(limit: none\) under configured limits: timeout 2 s"):
        kw(lib, "Get Run Status", ["==", "oom"], {})
    with pytest.raises(
        AssertionError, match=r"Run duration \(ms\) in sandbox container \w+ \(configured timeout 2 s\)"
    ):
        kw(lib, "Get Run Duration", ["<", "1 ms"], {})
    assert kw(lib, "Get Run Field", ["limits"], {})["memory (swap equal)"] == "256 MiB"


def test_a_pool_lives_until_its_suite_ends_and_a_container_in_flight_until_its_test_ends(lib, engine):
    cleanup = lib.ctx.cleanup  # driven here as the listener drives it in a Robot run
    cleanup.push("suite", "Suite")
    cleanup.push("test", "Suite.Test")
    kw(lib, "Start Warm Pool", [], {"size": 1})
    cid = engine.api.create_container(
        image.image_name(), command=["python3", "-c", "pass"], labels=policy.labels("inflight", "run")
    )["Id"]
    lib.ctx.track(cid)  # as a fresh run does right after creating its container
    assert cleanup.pop()[1] == []  # the test ends
    assert engine.api.containers(all=True, filters={"id": cid}) == []
    assert kw(lib, "Get Warm Pool Size", [], {}) == 1  # the pool belongs to the suite
    assert cleanup.pop()[1] == []  # the suite ends
    assert lib.ctx.pool is None
    assert [c for c in runner.ours(engine) if c["Labels"].get("crosscheck.sandbox") == "pool"] == []
