"""The day-4 API load suite catches the load faults seeded into the demo.

Each test runs ``suites/04_day4_load/api_load.robot`` in a robot process with an embedded stack
of its own, whose demo runs with one fault (``GATEWAY_FAULTS`` and the like), and asserts that the
suite fails with a message naming the stage, the request and the figures. The first test runs
the suite against the healthy demo: it passes, so each failure below is the fault's doing.
"""

from __future__ import annotations

import re

from suite_runner import run_suites

API_LOAD = "04_day4_load/api_load.robot"
ERROR_RATE = "The Error Rate Stays Below The Go Threshold At Every Stage"
SEARCHES = "Searches Answer Within The Target At Every Stage"
READS = "Universe Reads Answer Within The Target At Every Stage"
POOL = "Database Connections Stay Within The Pool At Every Stage"


def test_the_load_suite_passes_against_the_healthy_demo(tmp_path):
    run = run_suites(tmp_path, API_LOAD)
    assert run.rc == 0 and len(run.statuses) == 10, run.describe()
    assert set(run.statuses.values()) == {"PASS"}, run.describe()
    assert not run.left_running("locust_plan.py")
    logged = run.output.read_text()  # what log.html shows (it holds it compressed)
    assert "Load stages against http://127.0.0.1:" in logged and "&lt;svg" in logged


def test_a_slow_search_fails_the_p95_target_naming_the_stage_the_request_and_the_figures(tmp_path):
    run = run_suites(tmp_path, API_LOAD, faults="slow-search")
    assert run.rc != 0, run.describe()
    assert SEARCHES in run.failed, run.describe()
    message = run.failed[SEARCHES]
    assert re.search(
        r"^p95 response time in stage 10 users, request 'POST /v1/search' of the load on http://127\.0\.0\.1:\d+ "
        r"is \d+\.\d ms, expected < 500 ms \(\d+ requests, \d+ failed; p50 \d+\.\d ms, p95 \d+\.\d ms, "
        r"p99 \d+\.\d ms, max \d+\.\d ms\)\.$",
        message,
    ), message
    assert run.statuses[READS] == "PASS", run.describe()  # the other endpoints are not slowed
    assert not run.left_running("locust_plan.py")


def test_universe_reads_answering_500_fail_the_error_rate_naming_the_stage_the_request_and_the_figures(tmp_path):
    run = run_suites(tmp_path, API_LOAD, faults="errors-universes")
    assert run.rc != 0, run.describe()
    assert ERROR_RATE in run.failed, run.describe()
    message = run.failed[ERROR_RATE]
    assert re.search(
        r"^Error rate in stage 10 users of the load on http://127\.0\.0\.1:\d+ is \d+\.\d{3} % "
        r"\(\d+ of \d+ requests failed\), expected < 0\.1 %\. Most frequent failures: "
        r"\d+ x GET /v1/universes/\{name\}: HTTP 500",
        message,
    ), message
    assert run.statuses[POOL] == "PASS", run.describe()
    assert not run.left_running("locust_plan.py")
