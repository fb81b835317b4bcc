"""The recovery timeline (pure): recovery time from the fault cleared to the first success after it."""

from __future__ import annotations

import re

from crosscheck.faults.recovery import Attempt, Timeline
from crosscheck.faults.report import events_table, timeline_chart


def _timeline() -> tuple[Timeline, object]:
    t = Timeline()
    fault = t.fault_on("cut of proxy 'redis'", "redis", at=10.0)
    for at, ok in [(9.5, True), (10.2, False), (10.7, False), (12.9, False), (13.4, False), (13.6, True), (14.0, True)]:
        t.record(Attempt("http", at - 0.01, at, ok, "" if ok else "HTTP 503 redis unavailable"))
    t.fault_off(fault, at=13.0)
    return t, fault


def test_recovery_time_runs_from_the_fault_cleared_to_the_first_success_after_it():
    t, fault = _timeline()
    r = t.recovery("http", fault)
    assert r.first_failure.ended == 10.2
    assert r.first_success.ended == 13.6  # not the success at 9.5, before the fault
    assert abs(r.seconds - 0.6) < 1e-9
    assert r.failures_during == 3  # 10.2, 10.7, 12.9 (13.4 came after the fault was cleared)
    assert r.last_error == "HTTP 503 redis unavailable"


def test_no_success_after_the_fault_means_no_recovery_time():
    t = Timeline()
    fault = t.fault_on("cut", "redis", at=1.0)
    t.record(Attempt("http", 0.5, 0.6, True))
    t.record(Attempt("http", 1.5, 1.6, False, "refused"))
    t.fault_off(fault, at=2.0)
    t.record(Attempt("http", 2.5, 2.6, False, "still refused"))
    r = t.recovery("http", fault)
    assert r.seconds is None and r.first_success is None
    assert r.last_error == "still refused"


def test_a_fault_still_on_has_no_recovery_time_and_is_active():
    t = Timeline()
    fault = t.fault_on("latency on proxy 'postgres'", "postgres", at=1.0)
    t.record(Attempt("postgres", 1.1, 1.3, True))
    assert t.recovery("postgres", fault).seconds is None
    assert t.active() == [fault]
    assert t.last_cleared() is None


def test_last_cleared_is_the_fault_cleared_last_and_can_be_named_by_service():
    t = Timeline()
    a = t.fault_on("cut redis", "redis", at=1.0)
    b = t.fault_on("cut postgres", "postgres", at=2.0)
    t.fault_off(b, at=3.0)
    t.fault_off(a, at=4.0)
    assert t.last_cleared() is a
    assert t.last_cleared("postgres") is b


def test_the_chart_shows_the_fault_band_both_kinds_of_attempt_and_the_markers():
    t, fault = _timeline()
    r = t.recovery("http", fault)
    svg = timeline_chart(t, [r], "Recovery of redis")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "cut of proxy &#x27;redis&#x27;" in svg
    assert svg.count("<circle") == 7 + 2  # the attempts, and two in the legend
    assert "#2e8b57" in svg and "#c62828" in svg  # answered and failed attempts
    table = events_table(t, [r])
    events = re.findall(r"<td[^>]*>(fault on|fault off|first failure|first success)</td>", table)
    assert events == ["fault on", "first failure", "fault off", "first success"]
    assert "recovered in 600 ms" in table


def test_the_chart_window_leaves_out_what_ended_before_it():
    t, fault = _timeline()
    svg = timeline_chart(t, [t.recovery("http", fault)], "window", since=10.0)
    assert svg.count("<circle") == 6 + 2  # the attempt at 9.5 is outside; two in the legend


def test_with_one_recovery_the_chart_leaves_out_faults_of_earlier_tests():
    t, fault = _timeline()
    old = t.fault_on("an earlier cut", "redis", at=9.0)
    t.fault_off(old, at=9.2)
    svg = timeline_chart(t, [t.recovery("http", fault)], "focus", since=fault.on - 1.0)
    assert "an earlier cut" not in svg and "cut of proxy" in svg
