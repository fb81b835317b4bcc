"""One rule for time-valued targets, tested for every getter that compares a time.

A time target must carry a unit (``100 ms``, ``0.2 s``, a timedelta); a bare number
(``0.2``, ``50``, an int or a float) is refused with a message that names the figure,
the value given and the fix. With a unit the comparison converts correctly, in
either unit, in both directions. The charts in log.html draw the target the
assertion used. Real services throughout: Redis, Postgres and the demo API of the
embedded stack, the Docker engine for the sandbox getters.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from robot.api import ExecutionResult

from crosscheck.assertions import AssertionOperator, MissingTimeUnit, to_millis, to_seconds
from crosscheck.errors import ConfigurationError

ROOT = Path(__file__).resolve().parents[1]
LT, GT = AssertionOperator["<"], AssertionOperator[">"]


def kw(library, name, args=(), kwargs=None):
    """Call a keyword as Robot would: operators as AssertionOperator, names as written."""
    args = [AssertionOperator[a] if isinstance(a, str) and a in AssertionOperator.__members__ else a for a in args]
    return library.run_keyword(name.lower().replace(" ", "_"), args, kwargs or {})


# --- the rule itself ------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0.2", "50", " 50 ", 0.2, 50, "1e3"])
def test_a_bare_number_is_refused_naming_the_figure_and_the_fix(value):
    text = str(value).strip()
    for convert in (to_millis, to_seconds):
        with pytest.raises(MissingTimeUnit) as err:
            convert(value, "p95 delivery latency (ms) on channel 'c'")
        assert str(err.value) == (
            f"Expected value '{text}' for p95 delivery latency on channel 'c' has no unit: "
            f"write it as '{text} ms' or '{text} s'."
        )
        assert isinstance(err.value, ConfigurationError) and isinstance(err.value, AssertionError)


@pytest.mark.parametrize(
    "value, millis",
    [
        ("100 ms", 100.0),
        ("0.2 s", 200.0),
        ("1 min", 60000.0),
        ("0.2 ms", 0.2),
        ("250us", 0.25),
        ("1:00", 60000.0),
        (timedelta(milliseconds=7), 7.0),
    ],
)
def test_a_time_with_a_unit_converts_without_rounding_to_whole_milliseconds(value, millis):
    assert to_millis(value) == pytest.approx(millis)
    assert to_seconds(value) == pytest.approx(millis / 1000)


def test_a_string_that_is_no_time_is_refused_with_the_fix():
    with pytest.raises(
        ConfigurationError,
        match=r"^Expected value 'soon' for p95 search latency of c is not a "
        r"time: write it with a unit, e\.g\. '100 ms' or '0\.2 s'\.$",
    ):
        to_millis("soon", "p95 search latency (ms) of c")


# --- every getter whose target is a time ------------------------------------------------


@dataclass
class Getter:
    """``call(operator, expected)`` runs the getter on a real service and returns its figure."""

    call: Callable
    unit: str  # the unit of the returned figure: "ms" or "s"
    figure: str  # regex: how the refusal names the figure
    stable: bool  # True: calling again returns the same figure (no new measurement)
    untouched: Callable | None = None  # for getters that must refuse before acting: state to compare
    upper_bound_only: bool = False  # the keyword only checks "figure < target"


def messaging_lib(redis_url):
    from crosscheck.messaging import Messaging

    lib = Messaging()
    lib.connect_to_redis(redis_url)
    return lib


def delivery_latency(request):
    lib = messaging_lib(request.getfixturevalue("redis_url"))
    request.addfinalizer(lib.close)
    channel = lib.test_channel("latency")
    lib.start_listening(channel)
    lib.publish_messages(channel, 50)
    assert lib.get_received_count(AssertionOperator["=="], 50, channel=channel) == 50
    return Getter(
        lambda op, exp: kw(lib, "Get Delivery Latency", ["p95", op, exp], {"channel": channel}),
        "ms",
        rf"p95 delivery latency on channel '{re.escape(channel)}'",
        stable=True,
    )


def delivery_targets(request):
    lib = messaging_lib(request.getfixturevalue("redis_url"))
    request.addfinalizer(lib.close)
    channel = lib.test_channel("targets")
    lib.start_listening(channel)
    lib.publish_messages(channel, 50)
    p95 = lib.get_delivery_latency("p95", channel=channel)

    def call(op, exp):
        if op is None:
            return p95
        kw(lib, "Delivery Should Meet Targets", [channel], {"latency": exp, "expected": 50})
        return p95

    return Getter(call, "ms", "p95 delivery latency", stable=True, upper_bound_only=True)


def recovery_time(request):
    lib = messaging_lib(request.getfixturevalue("redis_url"))
    request.addfinalizer(lib.close)
    lib.start_listening(lib.test_channel("recovery"))
    lib.interrupt_redis(mode="kill", offline=timedelta(milliseconds=100))
    return Getter(
        lambda op, exp: kw(lib, "Get Recovery Time", [op, exp]),
        "s",
        "Recovery time after Redis kill of listener1",
        stable=True,
    )


def reply_latency(request):
    lib = messaging_lib(request.getfixturevalue("redis_url"))
    request.addfinalizer(lib.close)
    results = lib.test_channel("results")
    replies = lib.start_reply_listener(results)
    for n in range(5):
        lib.record_request_sent(replies, f"t{n}")
        lib.publish_message(results, f'{{"task_id": "t{n}"}}')
    assert lib.get_reply_statistics(replies)["replied"] == 5
    return Getter(
        lambda op, exp: kw(lib, "Get Reply Latency", [replies, "p95", op, exp]),
        "ms",
        rf"p95 reply latency for replies on channel '{re.escape(results)}' \(listener '{replies}'\)",
        stable=True,
    )


def reply_completeness(request):
    lib = messaging_lib(request.getfixturevalue("redis_url"))
    request.addfinalizer(lib.close)
    results = lib.test_channel("complete")
    replies = lib.start_reply_listener(results)
    lib.record_request_sent(replies, "t1")
    lib.publish_message(results, '{"task_id": "t1"}')
    p95 = lib.get_reply_latency(replies, "p95")

    def call(op, exp):
        if op is None:
            return p95
        kw(lib, "Reply Statistics Should Be Complete", [replies], {"latency": exp})
        return p95

    return Getter(call, "ms", "p95 reply latency", stable=True, upper_bound_only=True)


def key_ttl(request):
    lib = messaging_lib(request.getfixturevalue("redis_url"))
    request.addfinalizer(lib.close)
    lib.cleanup.push("test", "key ttl")
    key = lib.test_key("ttl")
    lib.set_key(key, "v", ttl=timedelta(seconds=60))
    return Getter(
        lambda op, exp: lib.run_keyword("Get Key TTL", [key, op, exp], {}),
        "s",
        rf"TTL of key '{re.escape(key)}' at \S+",
        stable=False,
    )


def query_latency(request):
    from crosscheck.postgres import Postgres

    lib = Postgres(request.getfixturevalue("postgres_url"))
    lib.ctx.push()
    request.addfinalizer(lambda: (lib.ctx.pop(), lib.ctx.close()))
    database = lib.ctx.database
    return Getter(
        lambda op, exp: kw(lib, "Get Query Latency", ["SELECT 1", "p95", op, exp], {"runs": 20, "warmup": 2}),
        "ms",
        rf"p95 latency of query 'SELECT 1' in database {database}",
        stable=False,
    )


def search_latency(request):
    from tests.vectors.vectors_support import open_library

    lib, call = open_library(request.getfixturevalue("postgres_url"))
    request.addfinalizer(lib.close)
    call("Create Collection", "latency", 8)
    call("Upsert Seeded Vectors", 200)
    return Getter(
        lambda op, exp: kw(lib, "Get Search Latency", ["p95", op, exp], {"queries": 20, "warmup": 2}),
        "ms",
        r"p95 search latency of collection '\S+' \(.+\)",
        stable=False,
    )


def sandbox_lib(request):
    from crosscheck.sandbox import Sandbox, runner

    request.getfixturevalue("docker_client")
    lib = Sandbox(timeout=timedelta(seconds=20))

    def close():
        listeners = lib.ROBOT_LIBRARY_LISTENER
        for listener in listeners if isinstance(listeners, list) else [listeners]:
            listener.close()
        assert runner.ours(runner.connect()) == []

    request.addfinalizer(close)
    return lib


def run_duration(request):
    lib = sandbox_lib(request)
    kw(lib, "Execute Python", ["import time\ntime.sleep(0.05)\nprint('done')"])
    return Getter(
        lambda op, exp: kw(lib, "Get Run Duration", [op, exp]),
        "ms",
        r"Run duration in sandbox container \w+ \(.+\)",
        stable=True,
    )


def cold_start(request):
    lib = sandbox_lib(request)
    return Getter(lambda op, exp: kw(lib, "Measure Cold Start", [op, exp]), "s", "Sandbox cold start", stable=False)


def histogram_quantile(request):
    from crosscheck.metrics import Metrics

    api_url = request.getfixturevalue("api_url")
    for _ in range(5):
        assert requests.get(f"{api_url}/health", timeout=5).status_code == 200
    lib = Metrics(f"{api_url}/metrics")
    snapshot = lib.scrape_metrics()
    metric = 'demo_http_request_duration_seconds{route="/health"}'
    return Getter(
        lambda op, exp: kw(lib, "Get Histogram Quantile", [0.95, metric, op, exp], {"snapshot": snapshot}),
        "s",
        r'Quantile 0\.95 of demo_http_request_duration_seconds_bucket\{route="/health"\} at http\S+',
        stable=True,
    )


def summary_quantile(request):
    from prometheus_client import CollectorRegistry, start_http_server

    from crosscheck.metrics import Metrics

    # prometheus_client's Summary has no quantiles: this exposes one as Prometheus client libraries
    # that have them do (a real endpoint, real text format).
    class Quantiles:
        def collect(self):
            from prometheus_client.core import SummaryMetricFamily

            family = SummaryMetricFamily("rpc_duration_seconds", "RPC latency", labels=["quantile"])
            family.add_sample("rpc_duration_seconds", {"quantile": "0.99"}, 0.042)
            family.add_sample("rpc_duration_seconds_count", {}, 10)
            family.add_sample("rpc_duration_seconds_sum", {}, 0.2)
            return [family]

    registry = CollectorRegistry()
    registry.register(Quantiles())
    server, thread = start_http_server(0, addr="127.0.0.1", registry=registry)
    request.addfinalizer(lambda: (server.shutdown(), server.server_close(), thread.join(5)))
    lib = Metrics(f"http://127.0.0.1:{server.server_port}/metrics")
    metric = 'rpc_duration_seconds{quantile="0.99"}'
    return Getter(
        lambda op, exp: kw(lib, "Get Metric Value", [metric, op, exp]),
        "s",
        r'rpc_duration_seconds\{quantile="0\.99"\} at http\S+',
        stable=True,
    )


def time_to_recover(request):
    from crosscheck.faults.library import Faults

    lib = Faults()
    lib.cleanup.push("test", "time to recover")
    request.addfinalizer(lambda: (lib.cleanup.close(), lib.ctx.close()))
    through = kw(lib, "Create Proxy For Service", ["redis"], {"name": "time-target"})
    kw(lib, "Start Probe", ["redis", through], {"name": "ping"})
    kw(lib, "Cut Service", ["time-target"], {"duration": "300 ms"})
    kw(lib, "Get Time To Recover", ["ping"])  # waits for the first success after the cut
    return Getter(
        lambda op, exp: kw(lib, "Get Time To Recover", ["ping", op, exp]),
        "s",
        r"Time to recover of time-target after cut of proxy 'time-target', probe 'ping'",
        stable=True,
    )


GETTERS = {
    "Messaging Get Delivery Latency": delivery_latency,
    "Messaging Delivery Should Meet Targets": delivery_targets,
    "Messaging Get Recovery Time": recovery_time,
    "Messaging Get Reply Latency": reply_latency,
    "Messaging Reply Statistics Should Be Complete": reply_completeness,
    "Messaging Get Key TTL": key_ttl,
    "Postgres Get Query Latency": query_latency,
    "Vectors Get Search Latency": search_latency,
    "Sandbox Get Run Duration": run_duration,
    "Sandbox Measure Cold Start": cold_start,
    "Metrics Get Histogram Quantile": histogram_quantile,
    "Metrics Get Metric Value (a summary's quantile)": summary_quantile,
    "Faults Get Time To Recover": time_to_recover,
}


def written_in_the_other_unit(value: float, unit: str) -> str:
    """``value`` (in ``unit``) as a time string in the other unit, so the conversion is exercised."""
    return f"{value / 1000:.9f} s" if unit == "ms" else f"{value * 1000:.6f} ms"


@pytest.mark.parametrize("name", list(GETTERS))
def test_every_time_getter_refuses_a_bare_number_and_compares_a_unit_both_ways(name, request):
    getter = GETTERS[name](request)

    before = getter.untouched() if getter.untouched else None
    for bare, text in (("0.2", "0.2"), ("50", "50"), (0.2, "0.2")):
        with pytest.raises(MissingTimeUnit) as err:
            getter.call(LT, bare)
        assert re.fullmatch(
            rf"Expected value '{re.escape(text)}' for {getter.figure} has no unit: "
            rf"write it as '{re.escape(text)} ms' or '{re.escape(text)} s'\.",
            str(err.value),
        ), str(err.value)
    if getter.untouched:
        assert getter.untouched() == before, f"{name} acted before refusing the bare number"

    if getter.stable:
        value = getter.call(None, None)
        assert value > 0
        # just above passes, just below fails: 2 % either side, written in the other unit
        assert getter.call(LT, written_in_the_other_unit(value * 1.02, getter.unit)) == value
        with pytest.raises(AssertionError) as err:
            getter.call(LT, written_in_the_other_unit(value * 0.98, getter.unit))
        assert not isinstance(err.value, MissingTimeUnit)
        if not getter.upper_bound_only:
            assert getter.call(GT, written_in_the_other_unit(value * 0.98, getter.unit)) == value
            with pytest.raises(AssertionError):
                getter.call(GT, written_in_the_other_unit(value * 1.02, getter.unit))
    else:
        # Each call measures afresh: a bound far above passes, one far below fails (1 microsecond).
        far_above, far_below = "2 min", ("0.000001 s" if getter.unit == "ms" else "0.001 ms")
        assert getter.call(LT, far_above) > 0
        with pytest.raises(AssertionError) as err:
            getter.call(LT, far_below)
        assert not isinstance(err.value, MissingTimeUnit)
        assert "0.001" in str(err.value) or "1e-06" in str(err.value), (
            f"the failure should show the converted bound: {err.value}"
        )


def test_log_delivery_statistics_target_takes_a_unit_too(redis_url):
    lib = messaging_lib(redis_url)
    try:
        channel = lib.test_channel("log")
        lib.start_listening(channel)
        lib.publish_messages(channel, 5)
        with pytest.raises(MissingTimeUnit, match=r"^Expected value '50' for delivery latency target has no unit"):
            kw(lib, "Log Delivery Statistics", [channel], {"target": "50"})
        kw(lib, "Log Delivery Statistics", [channel], {"target": "50 ms"})
    finally:
        lib.close()


def test_targets_in_the_variables_file_all_carry_units():
    sys.path.insert(0, str(ROOT / "variables"))
    try:
        import targets
    finally:
        sys.path.pop(0)
    not_times = {"MESSAGE_SUCCESS_RATE_TARGET", "CONCURRENT_OPERATIONS_TARGET", "VECTOR_RECALL_TARGET"}
    times = {k: v for k, v in vars(targets).items() if k.endswith(("_TARGET", "_TIMEOUT")) and k not in not_times}
    assert "MESSAGE_DELIVERY_TARGET" in times and "SANDBOX_COLD_START_TARGET" in times
    for name, value in times.items():
        assert isinstance(value, str), f"{name} = {value!r} must be a time string with a unit"
        to_millis(value, name)
    for name, value in targets.PERFORMANCE_REGRESSION_THRESHOLDS.items():
        if name.endswith("_time"):
            to_millis(value, name)


# --- through Robot: one line, no traceback; the chart draws the target used --------------

SUITE = """*** Settings ***
Library    crosscheck.Messaging
Library    crosscheck.Postgres
Library    crosscheck.Vectors

*** Test Cases ***
Delivery Latency With A Bare Number
    ${channel} =    Test Channel    bare
    Start Listening    ${channel}
    Publish Messages    ${channel}    50
    Get Delivery Latency    p95    <    0.2    channel=${channel}

Query Latency With A Bare Number
    Get Query Latency    SELECT 1    p95    <    50    runs=5

Search Latency With A Bare Number
    Create Collection    bare    8
    Upsert Seeded Vectors    100
    Get Search Latency    p95    <    50    queries=5

Delivery Latency Chart Draws The Target Used
    ${channel} =    Test Channel    chart
    Start Listening    ${channel}
    Publish Messages    ${channel}    200
    ${p95} =    Get Delivery Latency    p95    channel=${channel}
    ${target} =    Evaluate    f"{${p95} * 1.2 / 1000:.9f} s"
    Get Delivery Latency    p95    <    ${target}    channel=${channel}

Delivery Statistics Chart Draws No Target
    ${channel} =    Test Channel    plain
    Start Listening    ${channel}
    Publish Messages    ${channel}    20
    Get Delivery Statistics    ${channel}

Log Delivery Statistics Labels Its Default
    ${channel} =    Test Channel    default
    Start Listening    ${channel}
    Publish Messages    ${channel}    20
    Log Delivery Statistics    ${channel}

Query Latency Chart Draws The Target Used
    Get Query Latency    SELECT 1    p95    <    10 s    runs=20

Search Latency Chart Draws The Target Used
    Create Collection    chart    8
    Upsert Seeded Vectors    100
    Get Search Latency    p95    <    0.7 s    queries=20
"""

NO_UNIT = "has no unit: write it as '{0} ms' or '{0} s'."


@pytest.fixture(scope="module")
def robot_run(tmp_path_factory, redis_url, postgres_url):
    """One robot run of SUITE, in a process of its own, on this session's embedded stack."""
    folder = tmp_path_factory.mktemp("time_targets")
    suite = folder / "time_targets.robot"
    suite.write_text(SUITE)
    env = dict(os.environ)  # CROSSCHECK_STACK_KEY: the child uses this session's stack
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "robot",
            "--outputdir",
            str(folder),
            "--loglevel",
            "DEBUG",
            "--console",
            "none",
            str(suite),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    result = ExecutionResult(str(folder / "output.xml"))
    tests = {}

    def collect(suite):
        for test in suite.tests:
            tests[test.name] = test
        for child in suite.suites:
            collect(child)

    collect(result.suite)
    return proc, tests, folder


def messages_of(test) -> list:
    out = []

    def walk(item):
        for child in getattr(item, "body", []):
            if getattr(child, "type", "") == "MESSAGE":
                out.append(child)
            walk(child)

    walk(test)
    return out


def test_robot_shows_the_refusal_as_one_line(robot_run):
    _, tests, _ = robot_run
    delivery = tests["Delivery Latency With A Bare Number"]
    assert delivery.status == "FAIL"
    assert re.fullmatch(
        r"Expected value '0\.2' for p95 delivery latency on channel '\S+' " + re.escape(NO_UNIT.format("0.2")),
        delivery.message,
    ), delivery.message
    query = tests["Query Latency With A Bare Number"]
    assert query.status == "FAIL"
    assert re.fullmatch(
        r"Expected value '50' for p95 latency of query 'SELECT 1' in database \S+ " + re.escape(NO_UNIT.format("50")),
        query.message,
    ), query.message
    search = tests["Search Latency With A Bare Number"]
    assert search.status == "FAIL"
    assert re.fullmatch(
        r"Expected value '50' for p95 search latency of collection \S+ .*" + re.escape(NO_UNIT.format("50")),
        search.message,
    ), search.message
    for test in (delivery, query, search):
        assert "\n" not in test.message and "Traceback" not in test.message
        assert not any("Traceback" in m.message for m in messages_of(test) if m.level in ("FAIL", "ERROR", "WARN"))


SVG = re.compile(r"<svg.*?</svg>", re.S)


def charts(test) -> list[str]:
    return [svg for m in messages_of(test) for svg in SVG.findall(m.message)]


def target_line(svg: str) -> tuple[float | None, str | None, bool]:
    """(x of the red target line or None, its label or None, label says off the chart)."""
    line = re.search(r'<line x1="([\d.]+)" y1="\d+" x2="[\d.]+" y2="\d+" stroke="#c00"', svg)
    label = re.search(r'<text [^>]*fill="#c00"[^>]*>([^<]*)</text>', svg)
    text = label.group(1) if label else None
    return (float(line.group(1)) if line else None), text, bool(text and "off the chart" in text)


def axis(svg: str) -> tuple[float, float, bool]:
    """(low, high, overflow bar) of the value axis, read from the axis labels."""
    low = re.search(r'<text x="40" y="164">([^<]*)</text>', svg)
    high = re.search(r'<text x="550" y="164" text-anchor="end">([^<]*)</text>', svg)
    hi_text = high.group(1)
    return (float(low.group(1).replace(",", "")), float(hi_text.split()[0].replace(",", "")), "beyond" in hi_text)


def test_the_delivery_chart_draws_the_target_the_assertion_used_where_it_lies(robot_run):
    _, tests, _ = robot_run
    test = tests["Delivery Latency Chart Draws The Target Used"]
    assert test.status == "PASS", test.message
    first, second = charts(test)
    assert target_line(first) == (None, None, False), "no target line without an assertion"
    x, label, off = target_line(second)
    found = re.fullmatch(r"target &lt; ([\d,.]+) ms", label or "")
    assert found and not off, label
    used = [float(m) * 1000 for msg in messages_of(test) for m in re.findall(r"\$\{target\} = ([\d.]+) s", msg.message)]
    assert len(used) == 1
    target = used[0]  # the target given to the assertion, in seconds, as ms
    assert float(found.group(1).replace(",", "")) == pytest.approx(target, abs=0.005)
    low, high, overflow = axis(second)
    assert not overflow
    # The line sits where the target lies on the axis (40 px margin, 510 px of axis); the axis
    # ends are read from labels rounded to 0.01, hence the tolerance.
    assert x == pytest.approx(40 + 510 * (target - low) / (high - low), abs=1 + 510 * 0.01 / (high - low))


def test_a_chart_without_an_assertion_draws_no_target_and_a_default_is_labelled(robot_run):
    _, tests, _ = robot_run
    (plain,) = charts(tests["Delivery Statistics Chart Draws No Target"])
    assert target_line(plain) == (None, None, False) and "target" not in plain
    (default,) = charts(tests["Log Delivery Statistics Labels Its Default"])
    assert "default target 100.00 ms" in target_line(default)[1]


@pytest.mark.parametrize(
    "name, target_ms",
    [("Query Latency Chart Draws The Target Used", 10000.0), ("Search Latency Chart Draws The Target Used", 700.0)],
)
def test_postgres_and_vector_charts_draw_the_target_the_assertion_used(robot_run, name, target_ms):
    _, tests, _ = robot_run
    test = tests[name]
    assert test.status == "PASS", test.message
    svgs = charts(test)
    x, label, off = target_line(svgs[-1])
    assert label and label.startswith(f"target &lt; {target_ms:,.2f} ms"), label
    if not off:
        low, high, _ = axis(svgs[-1])
        assert x == pytest.approx(40 + 510 * (target_ms - low) / (high - low), abs=1 + 510 * 0.01 / (high - low))
