"""Every library's measuring keywords record their figures for the verdict, under stable names.

One small suite runs a cheap measuring keyword of each library against the embedded stack (in a
robot process of its own, with its own results folder); the figures are read back from
output.xml as the verdict reads them. A second run of the same suite must give the same names:
nothing run-specific (a namespace, a port, a pid) may end up in a figure's name.
"""

from __future__ import annotations

import os
from pathlib import Path

from crosscheck.verdict.results import read
from suite_runner import run_suites

SUITE = """\
*** Settings ***
Library    crosscheck.Messaging
Library    crosscheck.Postgres
Library    crosscheck.Vectors
Library    crosscheck.Load
Library    crosscheck.Faults
Library    crosscheck.Sandbox


*** Test Cases ***
Messaging Delivery
    ${channel} =    Test Channel    tickstock.universe.updated
    Start Listening    ${channel}
    Publish Messages    ${channel}    20
    Get Delivery Latency    p95    channel=${channel}
    Get Success Rate    channel=${channel}
    Get Lost Count    channel=${channel}

Postgres Query Latency
    Get Query Latency    SELECT %s::int + 1    p95    runs=5    warmup=1    parameters=${{[41]}}

Vectors Search
    Create Collection    docs    8
    Upsert Seeded Vectors    60
    Create HNSW Index
    Get Search Latency    p95    queries=10    warmup=1
    Get Recall At K    5    queries=5

Load Stage
    Add Load Request    GET    /health
    Run Load Stages    users=2    hold=1 s    ramp=instant    think=0 s

Faults Recovery
    Start Probe    http    /health
    Cut Service    redis    duration=0.3 s
    Get Time To Recover    http

Sandbox Cold Start
    Measure Cold Start
"""

# figure name -> (unit, better); the test that records it
EXPECTED = {
    "Messaging Delivery": {
        "messaging.tickstock.universe.updated.p95_ms": ("ms", "lower"),
        "messaging.tickstock.universe.updated.success_rate": ("%", "higher"),
        "messaging.tickstock.universe.updated.lost": ("count", "lower"),
        "messaging.tickstock.universe.updated.publish_rate": ("msg/s", "higher"),
    },
    "Postgres Query Latency": {"postgres.query.select_int.p95_ms": ("ms", "lower")},
    "Vectors Search": {
        "vectors.docs.search_p95_ms": ("ms", "lower"),
        "vectors.docs.recall_at_5": ("ratio", "higher"),
    },
    "Load Stage": {
        "load.stage_2.all.rps": ("requests/s", "higher"),
        "load.stage_2.all.p95_ms": ("ms", "lower"),
        "load.stage_2.all.p99_ms": ("ms", "lower"),
        "load.stage_2.all.error_rate_percent": ("%", "lower"),
        "load.stage_2.health.p95_ms": ("ms", "lower"),
        "load.stage_2.health.error_rate_percent": ("%", "lower"),
    },
    "Faults Recovery": {"faults.redis.recovery_s": ("s", "lower")},
    "Sandbox Cold Start": {"sandbox.cold_start_s": ("s", "lower")},
}


def _run(tmp_path: Path) -> tuple[dict[str, str], set[str], dict[tuple[str, str], tuple[str, str]]]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    suite = tmp_path / "figures_recorded.robot"
    suite.write_text(SUITE, encoding="utf-8")
    run = run_suites(tmp_path, suite, timeout=900)
    assert run.output.exists(), run.describe()
    results = read(run.output)
    found = {(f.test.rsplit(".", 1)[-1], f.figure): (f.unit, f.better) for f in results.figures}
    return run.statuses, {f.name for f in results.figures}, found


def test_every_library_records_its_figures_under_stable_names(tmp_path):
    statuses, names, found = _run(tmp_path / "first")
    sandbox = statuses.get("Sandbox Cold Start")
    if os.environ.get("CROSSCHECK_REQUIRE_DOCKER"):
        assert sandbox == "PASS", statuses
    expected = {
        test: figures for test, figures in EXPECTED.items() if test != "Sandbox Cold Start" or sandbox == "PASS"
    }
    for test in expected:
        assert statuses.get(test) == "PASS", statuses
    missing = []
    for test, figures in expected.items():
        for figure, kind in figures.items():
            if found.get((test, figure)) != kind:
                missing.append(f"{test} / {figure}: {found.get((test, figure))}, expected {kind}")
    recorded = sorted(f"{test} / {figure}" for test, figure in found)
    assert not missing, "\n".join(missing + ["recorded:", *recorded])
    for _, figure in found:
        assert figure == figure.lower() and "cc_" not in figure and " " not in figure, figure

    _, again, _ = _run(tmp_path / "second")
    if sandbox != "PASS":
        names = {n for n in names if "Sandbox" not in n}
        again = {n for n in again if "Sandbox" not in n}
    assert again == names, (
        f"only in the first run: {sorted(names - again)}; only in the second: {sorted(again - names)}"
    )
