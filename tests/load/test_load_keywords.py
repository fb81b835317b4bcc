"""crosscheck.Load against a real HTTP server on 127.0.0.1: runs, figures, getters and their failures.

Every load run here is short (stages of one or two seconds) and stops by itself.
"""

from __future__ import annotations

import time
from datetime import timedelta

import psutil
import pytest

from crosscheck.assertions import AssertionOperator, MissingTimeUnit
from crosscheck.errors import ConfigurationError, CrosscheckError, ServiceUnavailable
from crosscheck.load.library import Load

OP = AssertionOperator


def locust_processes() -> list[psutil.Process]:
    """Locust processes started by this test process (children of it, or of none once it is gone)."""
    found = []
    for proc in psutil.process_iter(["cmdline", "ppid"]):
        cmdline = proc.info.get("cmdline") or []
        if "locust" in cmdline and any("locust_plan.py" in part for part in cmdline):
            found.append(proc)
    return found


@pytest.fixture()
def load(server, tmp_path, monkeypatch):
    monkeypatch.setenv("CROSSCHECK_RESULTS_DIR", str(tmp_path))
    lib = Load(server.url)
    yield lib
    lib.cleanup.close()


def kw(lib, keyword, *args, **kwargs):
    return lib.run_keyword(keyword.lower().replace(" ", "_"), list(args), kwargs)


def test_a_staged_run_gives_figures_per_stage_and_request_and_leaves_no_process(load, server):
    kw(load, "Add Load Request", "GET", "/ok", weight=3)
    kw(load, "Add Load Request", "GET", "/flaky", name="flaky")
    kw(load, "Add Load Request", "POST", "/echo", headers={"X-Api-Key": "k1"}, json={"vector": [0.1, 0.2]})
    started = time.monotonic()
    result = kw(load, "Run Load Stages", users="2, 4", hold=timedelta(seconds=1.5), ramp="instant", think="0 s")
    assert time.monotonic() - started < 30
    assert [s.users for s in result.stages] == [2, 4]
    assert server.requests_for("GET", "/ok") > 0 and server.requests_for("POST", "/echo") > 0
    assert server.bodies[-1] == b'{"vector": [0.1, 0.2]}' and server.headers[-1]["X-Api-Key"] == "k1"
    stats = kw(load, "Get Load Statistics")
    flat = stats["figures"]
    assert flat["load.stage_2.all.requests"] > 0 and flat["load.stage_4.all.requests"] > 0
    assert flat["load.stage_4./ok.error_rate_percent"] == 0.0
    assert flat["load.stage_4.flaky.error_rate_percent"] > 0
    # figures from the raw samples agree with what the server counted
    assert stats["all"]["/ok"]["requests"] == server.requests_for("GET", "/ok")
    p95 = kw(load, "Get Response Time", "p95", "stage=4", OP["<"], "5 s")
    assert 0 < p95 < 5000
    assert kw(load, "Get Throughput", "stage=2", OP[">"], 1) > 1
    assert kw(load, "Get Load Error Rate", "stage=4", OP["=="], "0 %", request="/ok") == 0.0
    assert kw(load, "Get Load Resource Usage", "generator_cpu_percent", "stage=all") >= 0
    assert kw(load, "Get Load Resource Usage", "api_rss_mb", "stage=all") > 0  # this process serves the port
    assert not locust_processes()


def test_the_getters_fail_naming_the_stage_the_request_and_the_figures(load):
    kw(load, "Add Load Request", "GET", "/flaky", name="flaky")
    kw(load, "Add Load Request", "GET", "/slow", name="GET /slow/{id}")
    kw(load, "Run Load Stages", users="2", hold=timedelta(seconds=1.5), ramp="instant", think="0 s")
    with pytest.raises(AssertionError) as err:
        kw(load, "Get Load Error Rate", "stage=2", OP["<"], "0.1 %", request="flaky")
    message = str(err.value)
    assert message.startswith("Error rate in stage 2 users, request 'flaky' of the load on http://127.0.0.1:")
    assert "expected < 0.1 %" in message and "requests failed" in message
    assert "x GET flaky: HTTP 500" in message
    with pytest.raises(AssertionError) as err:
        kw(load, "Get Response Time", "p95", "stage=2", OP["<"], "1 ms", request="GET /slow/{id}")
    message = str(err.value)
    assert message.startswith(
        "p95 response time in stage 2 users, request 'GET /slow/{id}' of the load on http://127.0.0.1:"
    )
    assert "expected < 1 ms (" in message and "p50 " in message and "p99 " in message and "max " in message
    with pytest.raises(
        AssertionError, match=r"Throughput in the whole run of the load on .* requests/s .* expected >= 1e\+06"
    ):
        kw(load, "Get Throughput", "stage=all", OP[">="], 1000000)
    with pytest.raises(MissingTimeUnit, match=r"Expected value '500' for p95 response time in stage 2 users"):
        kw(load, "Get Response Time", "p95", "stage=2", OP["<"], "500")
    with pytest.raises(ConfigurationError, match=r"No stage of 50 users in the last run \(stages: 2\)"):
        kw(load, "Get Response Time", "p95", "stage=50")
    with pytest.raises(ConfigurationError, match=r"No request named 'nope' in the last load run"):
        kw(load, "Get Load Error Rate", "stage=all", request="nope")
    with pytest.raises(CrosscheckError, match=r"No db_connections for stage 2 users: .*database=True"):
        kw(load, "Get Load Resource Usage", "db_connections", "stage=2")
    with pytest.raises(CrosscheckError, match=r"No redis_clients for the whole run: .*redis=True"):
        kw(load, "Get Load Resource Usage", "redis_clients", "stage=all")
    with pytest.raises(ConfigurationError, match=r"figure must be one of api_cpu_percent, .*redis_clients"):
        kw(load, "Get Load Resource Usage", "disk")


def test_no_figure_can_be_read_before_a_run(load):
    with pytest.raises(CrosscheckError, match=r"No load run yet: run `Run Load Stages`"):
        kw(load, "Get Throughput")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"users": "10 -> 50"}, "Unknown stage format '10 -> 50'"),
        ({"users": "10, 0"}, "Every stage needs at least one user: got 0"),
        ({"users": "-5"}, "Every stage needs at least one user: got -5"),
        ({"users": "10", "hold": timedelta(seconds=-5)}, "hold must be a positive duration"),
        ({"users": "10", "hold": "soon"}, "hold must be a duration such as '30 s'"),
        ({"users": "10", "ramp": "quickly"}, "Unknown ramp format 'quickly'"),
        ({"users": "10", "workers": -1}, "workers must be from 0"),
    ],
)
def test_bad_input_is_refused_before_any_load_starts(load, server, kwargs, message):
    kw(load, "Add Load Request", "GET", "/ok")
    started = time.monotonic()
    with pytest.raises(ConfigurationError, match=message):
        kw(load, "Run Load Stages", **kwargs)
    assert time.monotonic() - started < 2
    assert server.requests_for("GET", "/ok") == 0 and not locust_processes()


def test_requests_and_targets_that_are_not_http_are_refused(load):
    with pytest.raises(ConfigurationError, match=r"Load target 'ftp://127.0.0.1/x' is not an HTTP URL"):
        kw(load, "Set Load Target", "ftp://127.0.0.1/x")
    with pytest.raises(ConfigurationError, match=r"Request URL 'file:///etc/passwd' is not an HTTP URL"):
        kw(load, "Add Load Request", "GET", "file:///etc/passwd")
    with pytest.raises(ConfigurationError, match=r"Request path 'health' must start with '/'"):
        kw(load, "Add Load Request", "GET", "health")
    with pytest.raises(ConfigurationError, match=r"Unknown HTTP method 'FETCH'"):
        kw(load, "Add Load Request", "FETCH", "/ok")
    with pytest.raises(ConfigurationError, match=r"weight must be a whole number of 1 or more, got 0"):
        kw(load, "Add Load Request", "GET", "/ok", weight=0)
    with pytest.raises(ConfigurationError, match=r"No users to run: add requests with `Add Load Request`"):
        kw(load, "Run Load Stages", users="1", hold="1 s")


def test_an_unreachable_target_fails_within_five_seconds_naming_it_with_the_password_masked(load, dead_url):
    kw(load, "Set Load Target", dead_url)
    kw(load, "Add Load Request", "GET", "/ok")
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable) as err:
        kw(load, "Run Load Stages", users="5", hold="1 s")
    assert time.monotonic() - started < 5
    message = str(err.value)
    assert message.startswith(f"Load target {dead_url.replace('s3cret', '***')} refused the connection")
    assert "s3cret" not in message and "start it" in message and "no load was started" in message
    assert not locust_processes()


def test_a_locustfile_that_does_not_import_is_refused(load, tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("from locust import HttpUser\nimport no_such_module_here\n")
    with pytest.raises(ConfigurationError, match=r"Locustfile '.*broken.py' does not import: .*no_such_module_here"):
        kw(load, "Use Locustfile", str(broken))
    empty = tmp_path / "empty.py"
    empty.write_text("X = 1\n")
    with pytest.raises(ConfigurationError, match="defines no User class"):
        kw(load, "Use Locustfile", str(empty))
    with pytest.raises(ConfigurationError, match="does not exist"):
        kw(load, "Use Locustfile", str(tmp_path / "missing.py"))


def test_the_suites_own_locustfile_runs_in_the_stages(load, server, tmp_path):
    own = tmp_path / "own_locustfile.py"
    own.write_text(
        "from locust import FastHttpUser, constant, task\n\n"
        "class Reader(FastHttpUser):\n"
        "    wait_time = constant(0.01)\n\n"
        "    @task\n"
        "    def read(self):\n"
        "        self.client.get('/ok', name='own read')\n"
    )
    assert kw(load, "Use Locustfile", str(own)) == ["Reader"]
    kw(load, "Run Load Stages", users="3", hold="1 s", ramp="instant")
    assert kw(load, "Get Load Error Rate", "stage=3", OP["=="], 0, request="own read") == 0
    assert server.requests_for("GET", "/ok") > 0 and not locust_processes()


def test_two_workers_give_the_same_figures(load, server):
    kw(load, "Add Load Request", "GET", "/ok")
    result = kw(load, "Run Load Stages", users="4", hold="2 s", ramp="instant", think="0.01 s", workers=2)
    assert result.workers == 2
    stats = kw(load, "Get Load Statistics")
    assert stats["workers"] == 2 and stats["stages"][0]["figures"]["all"]["requests"] > 0
    assert stats["all"]["/ok"]["requests"] == server.requests_for("GET", "/ok")
    samples = list((result.directory / "samples").glob("samples-*.tsv"))
    assert len(samples) == 2  # one file per worker process
    assert not locust_processes()


def test_the_kill_is_registered_with_the_cleanup_before_the_load_starts(load):
    kw(load, "Add Load Request", "GET", "/ok")
    kw(load, "Run Load Stages", users="1", hold="1 s", ramp="instant")
    actions = [what for what, _ in load.cleanup.current.actions]
    assert any(what.startswith("Locust processes of the load run against http://127.0.0.1:") for what in actions)
    assert load.cleanup.close() == []  # the processes are gone already: the kill is a no-op


def test_degradation_between_stages_is_a_figure_with_its_own_getter(load):
    kw(load, "Add Load Request", "GET", "/slow")
    kw(load, "Run Load Stages", users="1, 3", hold="1 s", ramp="instant", think="0 s")
    p95 = kw(load, "Get Load Degradation", "p95", "stage=3", OP["<"], "10000 %")
    assert p95 == pytest.approx(
        100 * (kw(load, "Get Response Time", "p95", "stage=3") / kw(load, "Get Response Time", "p95", "stage=1") - 1)
    )
    per_user = kw(load, "Get Load Degradation", "rps_per_user", "stage=3")
    assert -100 < per_user < 100
    assert kw(load, "Get Load Degradation", "error_rate", "stage=3", OP["=="], 0) == 0
    with pytest.raises(AssertionError, match=r"p95 degradation \(%\) from stage 1 users to stage 3 users"):
        kw(load, "Get Load Degradation", "p95", "stage=3", OP["<"], "-1000 %")
    with pytest.raises(ConfigurationError, match=r"Unknown statistic 'p95x'"):
        kw(load, "Get Load Degradation", "p95x", "stage=3")
    stats = kw(load, "Get Load Statistics")
    assert stats["figures"]["load.stage_3.degradation_p95_percent"] == pytest.approx(p95, abs=0.01)
