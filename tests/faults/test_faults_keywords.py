"""crosscheck.Faults keywords against a real proxy process, the embedded Redis and Postgres: faults,
their removal at the end of the scope that switched them on, recovery times, and every bad input."""

from __future__ import annotations

import socket
import time
from datetime import timedelta

import pytest
import redis as redis_py

from crosscheck.assertions import AssertionOperator, MissingTimeUnit
from crosscheck.errors import ConfigurationError, CrosscheckError, ServiceUnavailable
from crosscheck.faults.library import Faults
from crosscheck.services import redis as redis_service
from crosscheck.services.toxiproxy import ToxiproxyError

OP = AssertionOperator


def kw(lib, keyword, *args, **kwargs):
    return lib.run_keyword(keyword.lower().replace(" ", "_"), list(args), kwargs)


@pytest.fixture
def faults(fault_proxy):
    lib = Faults(fault_proxy.url)
    lib.cleanup.push("test", "a test")
    yield lib
    lib.cleanup.close()
    lib.ctx.close()


def ping(url: str) -> bool:
    client = redis_service.client(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except (redis_py.RedisError, OSError):
        return False
    finally:
        client.close()


def test_a_proxy_for_a_service_forwards_to_it_and_is_deleted_when_its_scope_ends(faults, api):
    through = kw(faults, "Create Proxy For Service", "redis", name="cache")
    assert through != redis_service.url() and ping(through)
    assert api.proxy("cache")["upstream"] in redis_service.url()
    assert kw(faults, "Get Proxy Url", "cache", service="redis") == through
    faults.cleanup.pop()
    assert "cache" not in api.proxies()
    assert not ping(through)


def test_a_cut_service_is_down_for_what_goes_through_the_proxy_and_restored_at_the_end_of_the_scope(faults, api):
    through = kw(faults, "Create Proxy For Service", "redis", name="cut-me")
    faults.cleanup.push("test", "inner")
    kw(faults, "Cut Service", "cut-me")
    assert not ping(through)
    assert ping(redis_service.url())  # the service itself is untouched
    with pytest.raises(CrosscheckError, match="already cut"):
        kw(faults, "Cut Service", "cut-me")
    _, errors = faults.cleanup.pop()  # the test that cut it ends, having failed before restoring
    assert errors == []
    assert api.proxy("cut-me")["enabled"] is True and ping(through)


def test_toxics_act_and_are_removed_when_their_scope_ends(faults, api):
    through = kw(faults, "Create Proxy For Service", "redis", name="slow")
    faults.cleanup.push("test", "inner")
    name = kw(faults, "Add Latency", "slow", "150 ms")
    assert name == "latency_downstream"
    client = redis_service.client(through, socket_timeout=5)
    started = time.perf_counter()
    client.ping()
    assert time.perf_counter() - started >= 0.15
    kw(faults, "Add Toxic", "slow", "limit_data", stream="upstream", toxicity="50 %", bytes=100000)
    assert {t["name"] for t in api.toxics("slow")} == {"latency_downstream", "limit_data_upstream"}
    faults.cleanup.pop()
    assert api.toxics("slow") == []
    started = time.perf_counter()
    client.ping()
    assert time.perf_counter() - started < 0.15
    client.close()


def test_add_toxic_takes_toxiproxy_units_or_times_with_a_unit(faults, api):
    kw(faults, "Create Proxy For Service", "redis", name="units")
    kw(faults, "Add Toxic", "units", "latency", latency="0.2 s", jitter=5)
    kw(faults, "Add Toxic", "units", "slicer", average_size=10, delay="1 ms")
    toxics = {t["name"]: t for t in api.toxics("units")}
    assert toxics["latency_downstream"]["attributes"] == {"latency": 200, "jitter": 5}
    assert toxics["slicer_downstream"]["attributes"]["delay"] == 1000  # microseconds


@pytest.mark.parametrize(
    ("keyword", "args", "kwargs", "error", "words"),
    [
        ("Add Toxic", ["bad", "lag"], {}, ConfigurationError, ["'bad'", "invalid toxic type 'lag'", "latency"]),
        (
            "Add Toxic",
            ["bad", "latency"],
            {"stream": "sideways"},
            ConfigurationError,
            ["'bad'", "upstream or downstream"],
        ),
        ("Add Toxic", ["bad", "latency"], {"latency": -5}, ConfigurationError, ["'bad'", "latency"]),
        ("Add Toxic", ["bad", "bandwidth"], {"rate": -1}, ConfigurationError, ["'bad'", "rate"]),
        ("Add Toxic", ["bad", "latency"], {"toxicity": 1.5}, ConfigurationError, ["'bad'", "toxicity", "0 to 1"]),
        ("Add Toxic", ["bad", "latency"], {"latency": "soon"}, ConfigurationError, ["latency", "soon"]),
        ("Add Latency", ["bad", "200"], {}, MissingTimeUnit, ["'200'", "latency on proxy bad", "200 ms"]),
        ("Cut Service", ["bad"], {"duration": "3"}, MissingTimeUnit, ["'3'", "proxy bad", "3 s"]),
    ],
)
def test_bad_input_names_the_proxy_and_the_fix_and_changes_nothing(faults, api, keyword, args, kwargs, error, words):
    kw(faults, "Create Proxy For Service", "redis", name="bad")
    with pytest.raises(error) as err:
        kw(faults, keyword, *args, **kwargs)
    for word in words:
        assert word in str(err.value)
    proxy = api.proxy("bad")
    assert proxy["toxics"] == [] and proxy["enabled"] is True


def test_a_proxy_to_an_upstream_that_does_not_answer_is_refused_before_it_is_created(faults, api):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ServiceUnavailable, match=f"upstream 127.0.0.1:{port} does not answer"):
        kw(faults, "Create Proxy", "nowhere", f"127.0.0.1:{port}")
    assert "nowhere" not in api.proxies()


def test_a_listen_address_in_use_is_refused_naming_it(faults):
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        upstream = redis_service.url().split("@")[-1].split("/")[2]
        with pytest.raises(ToxiproxyError) as err:
            kw(faults, "Create Proxy", "taken", upstream, listen=f"127.0.0.1:{port}")
    assert f"127.0.0.1:{port}" in str(err.value) and err.value.status == 409


def test_recovery_time_runs_from_the_restore_to_the_first_success_and_fails_naming_service_and_target(faults):
    through = kw(faults, "Create Proxy For Service", "redis", name="outage")
    kw(faults, "Start Probe", "redis", through, name="ping")
    time.sleep(0.2)
    kw(faults, "Cut Service", "outage", duration="1 s")
    seconds = kw(faults, "Get Time To Recover", "ping", OP["<="], "2 s")
    assert 0 <= seconds < 1.0
    attempts = faults.ctx.timeline.probe_attempts("ping")
    assert any(not a.ok for a in attempts) and any(a.ok for a in attempts)
    with pytest.raises(AssertionError) as err:
        kw(faults, "Get Time To Recover", "ping", OP["<"], "0 ms")
    assert "outage" in str(err.value) and "recovered" in str(err.value)
    with pytest.raises(MissingTimeUnit):
        kw(faults, "Get Time To Recover", "ping", OP["<="], "5")


def test_a_probe_that_never_succeeds_after_the_fault_fails_with_its_last_error(faults):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    kw(faults, "Create Proxy For Service", "redis", name="blip")
    kw(faults, "Start Probe", "redis", f"redis://127.0.0.1:{dead}/0", name="dead")
    kw(faults, "Reset Connections", "blip")
    with pytest.raises(CrosscheckError) as err:
        kw(faults, "Get Time To Recover", "dead", OP["<="], "5 s", timeout=timedelta(seconds=1))
    message = str(err.value)
    assert "did not recover within 1 s" in message and "target <= 5 s" in message
    assert "last error" in message and "Connection" in message


def test_recovery_needs_a_cleared_fault_and_a_probe(faults):
    with pytest.raises(CrosscheckError, match="no fault has been cleared yet"):
        kw(faults, "Get Time To Recover", "http")
    kw(faults, "Create Proxy For Service", "redis", name="p")
    kw(faults, "Reset Connections", "p")
    with pytest.raises(ConfigurationError, match="no probe named 'http'"):
        kw(faults, "Get Time To Recover", "http")
    with pytest.raises(ConfigurationError, match="unknown probe kind"):
        kw(faults, "Start Probe", "smtp")


def test_terminating_sessions_of_an_unknown_application_fails_and_names_those_connected(faults):
    with pytest.raises(CrosscheckError) as err:
        kw(faults, "Terminate Database Sessions", "no-such-application")
    assert "no session of application 'no-such-application'" in str(err.value)
    assert "nothing terminated" in str(err.value)


def test_terminating_sessions_ends_them(faults):
    from crosscheck.services import postgres

    victim = postgres.connect(application_name="crosscheck-victim")
    try:
        assert kw(faults, "Terminate Database Sessions", "crosscheck-victim") == 1
        with pytest.raises(Exception), victim.cursor() as cur:  # noqa: B017 - the session is gone
            cur.execute("SELECT 1")
    finally:
        victim.close()


def test_probes_stop_when_their_scope_ends(faults):
    faults.cleanup.push("test", "inner")
    kw(faults, "Start Probe", "postgres", name="db")
    runner = faults.ctx.probe("db")
    assert runner.running
    faults.cleanup.pop()
    assert not runner.running


def test_a_toxic_whose_proxy_was_deleted_meanwhile_is_no_cleanup_error(faults, api):
    kw(faults, "Create Proxy For Service", "redis", name="gone")
    faults.cleanup.push("test", "inner")
    kw(faults, "Add Latency", "gone", "10 ms")
    kw(faults, "Delete Proxy", "gone")
    _, errors = faults.cleanup.pop()
    assert errors == []
    assert "gone" not in api.proxies()
