"""Through Robot: task results with an ISO ``date_done`` and request-reply pairs give percentile
tables and latency charts in log.html, figures under stable names, and warnings that quote
unreadable send times; a bare-number time target is one line, no traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from robot.api import ExecutionResult

from crosscheck import figures

ROOT = Path(__file__).resolve().parents[2]

SUITE = """*** Settings ***
Library    crosscheck.Messaging

*** Test Cases ***
Task Results With ISO Date Done
    ${channel} =    Test Channel    celery.results
    Start Listening    ${channel}    timestamp_field=date_done
    FOR    ${n}    IN RANGE    10
        ${done} =    Evaluate    (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(milliseconds=20)).isoformat()    modules=datetime
        Publish Message    ${channel}    {"task_id": "t${n}", "date_done": "${done}"}
    END
    Publish Message    ${channel}    {"task_id": "bad", "date_done": "tomorrow"}
    Get Delivery Latency    p95    <    5 s    channel=${channel}

Request Reply Pairs
    ${results} =    Test Channel    results
    ${replies} =    Start Reply Listener    ${results}    id_path=task_id
    FOR    ${n}    IN RANGE    5
        Record Request Sent    ${replies}    t${n}
        Publish Message    ${results}    {"task_id": "t${n}"}
    END
    Get Reply Latency    ${replies}    p95    <    2 s
    Reply Statistics Should Be Complete    ${replies}

Bare Number Reply Target
    ${replies} =    Start Reply Listener    ${{ "x" }}    name=bare
    Get Reply Latency    ${replies}    p95    <    100
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory, redis_url):
    folder = tmp_path_factory.mktemp("messaging_log")
    (folder / "shapes.robot").write_text(SUITE)
    proc = subprocess.run(
        [sys.executable, "-m", "robot", "--outputdir", str(folder), "--console", "none", str(folder / "shapes.robot")],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    result = ExecutionResult(str(folder / "output.xml"))
    return {t.name: t for t in result.suite.tests}, proc


def messages(test) -> list:
    out = []

    def walk(item):
        for child in getattr(item, "body", []):
            if getattr(child, "type", "") == "MESSAGE":
                out.append(child)
            walk(child)

    walk(test)
    return out


def test_iso_date_done_gives_percentiles_and_a_chart_and_quotes_the_unreadable_one(run):
    tests, _ = run
    test = tests["Task Results With ISO Date Done"]
    assert test.status == "PASS", test.message
    logged = messages(test)
    html = " ".join(m.message for m in logged)
    assert "<svg" in html and "p95 (ms)" in html and "unreadable send times" in html
    warnings = [m.message for m in logged if m.level == "WARN"]
    assert len(warnings) == 1 and "1 unreadable send times" in warnings[0]
    assert "'tomorrow' is not an ISO-8601 time" in warnings[0] and '"task_id": "bad"' in warnings[0]
    recorded = [f for m in logged for f in figures.parse(m.message)]
    assert [f["figure"] for f in recorded] == ["messaging.celery.results.p95_ms"]
    assert recorded[0]["samples"] == 10 and recorded[0]["value"] > 10


def test_request_reply_pairs_give_percentiles_a_chart_and_stable_figures(run):
    tests, _ = run
    test = tests["Request Reply Pairs"]
    assert test.status == "PASS", test.message
    logged = messages(test)
    charts = [m.message for m in logged if "<svg" in m.message]
    assert len(charts) == 2 and all("Reply latency for replies on channel" in c for c in charts)
    assert re.search(r'fill="#c00"[^>]*>target &lt; 2,000.00 ms', charts[0])
    names = {f["figure"] for m in logged for f in figures.parse(m.message)}
    assert {
        "messaging.results.reply_p95_ms",
        "messaging.results.reply_lost",
        "messaging.results.reply_duplicates",
        "messaging.results.reply_unmatched",
    } <= names


def test_a_bare_number_reply_target_is_one_line(run):
    tests, _ = run
    test = tests["Bare Number Reply Target"]
    assert test.status == "FAIL"
    assert test.message == (
        "Expected value '100' for p95 reply latency for replies on channel 'x' (listener 'bare') "
        "has no unit: write it as '100 ms' or '100 s'."
    )
