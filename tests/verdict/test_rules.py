"""The Go/No-Go rules on their own (a pure engine): tests, degradation, safety figures, baselines, rules files."""

from __future__ import annotations

import json

import pytest

from crosscheck.errors import ConfigurationError
from crosscheck.verdict.baseline import Baseline, BaselineFigure
from crosscheck.verdict.rules import GO, NO_GO, UNDECIDED, Figure, Rules, TestOutcome, decide, kind_of

HERE = {"hostname": "ci-1", "cpus": 8, "cpu_model": "AMD EPYC 7763", "platform": "Linux-6.8", "python": "3.12.3"}
PASSED = [TestOutcome("Suites.Load.Searches Hold Up", "PASS", ("critical",))]


def fig(figure: str, value: float, unit: str = "ms", better: str = "lower", test: str = "Searches Hold Up") -> Figure:
    return Figure("Suites.Load", test, figure, value, unit, better, machine=HERE)


def base(*figures: tuple[str, float, str, str], machine: dict | None = None, count: int = 1) -> Baseline:
    return Baseline(
        figures={
            f"Suites.Load / Searches Hold Up / {name}": BaselineFigure(name, value, count, unit, better)
            for name, value, unit, better in figures
        },
        machine=HERE if machine is None else machine,
        when="2026-01-01T00:00:00+00:00",
        path="baseline.json",
    )


P95 = ("load.stage_100.all.p95_ms", 100.0, "ms", "lower")
RPS = ("load.stage_100.all.rps", 200.0, "requests/s", "higher")


def rules_of(verdict, severity: str) -> list[str]:
    return [r.rule for r in verdict.reasons if r.severity == severity]


# --- tests ---------------------------------------------------------------------------------


def test_a_failed_critical_test_is_no_go_and_names_the_test():
    tests = PASSED + [TestOutcome("Suites.Api.Health Answers", "FAIL", ("critical", "api"), "status 503, expected 200")]
    verdict = decide([], tests, None)
    assert verdict.state == NO_GO
    reason = verdict.reasons[0]
    assert (reason.rule, reason.what, reason.severity) == ("critical test", "Suites.Api.Health Answers", "no-go")
    assert "status 503, expected 200" in reason.detail


def test_a_failed_test_not_tagged_critical_is_undecided_with_the_reason():
    verdict = decide([], PASSED + [TestOutcome("Suites.A.Other", "FAIL", ("day1",), "*HTML* <b>boom</b>")], None)
    assert verdict.state == UNDECIDED
    assert verdict.reasons[0].detail == "failed (not tagged critical): boom"


def test_skipped_tests_are_listed_and_a_skipped_critical_test_is_undecided():
    skipped = TestOutcome("Suites.Sandbox.Runs Code", "SKIP", (), "no Docker engine at unix:///var/run/docker.sock")
    verdict = decide([], PASSED + [skipped], None)
    assert verdict.state == GO
    assert [(r.rule, r.what) for r in verdict.reasons if r.severity == "warning"] == [
        ("skipped test", "Suites.Sandbox.Runs Code")
    ]
    critical = TestOutcome("Suites.Sandbox.Runs Code", "SKIP", ("CRITICAL",), "no Docker engine")
    assert decide([], PASSED + [critical], None).state == UNDECIDED


def test_a_run_without_tests_or_with_errors_is_undecided():
    assert decide([], [], None).state == UNDECIDED
    verdict = decide([], PASSED, None, errors=["Calling method 'end_suite' of listener 'x' failed"])
    assert verdict.state == UNDECIDED and "run errors" in rules_of(verdict, "undecided")


def test_without_a_baseline_the_verdict_is_go_and_says_performance_was_not_compared():
    verdict = decide([fig(*P95[:2])], PASSED, None)
    assert verdict.state == GO
    note = [r.detail for r in verdict.reasons if r.rule == "baseline"]
    assert note == ["performance was not compared: save a baseline with `crosscheck baseline save results/`"]
    assert not verdict.compared


# --- degradation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("factor", "state"),
    [(1.03, GO), (1.05, UNDECIDED), (1.07, UNDECIDED), (1.10, UNDECIDED), (1.12, NO_GO), (0.80, GO)],
)
def test_degradation_of_a_lower_is_better_figure(factor, state):
    verdict = decide([fig(P95[0], 100 * factor)], PASSED, base(P95))
    assert verdict.state == state, verdict.reasons
    row = verdict.rows[0]
    assert row.worse == pytest.approx((factor - 1) * 100)


def test_degradation_is_direction_aware():
    lower = decide([fig(RPS[0], 176, "requests/s", "higher")], PASSED, base(RPS))
    assert lower.state == NO_GO
    reason = next(r for r in lower.reasons if r.severity == "no-go")
    assert reason.rule == "degradation" and "12.0 % worse (higher is better)" in reason.detail
    assert lower.rows[0].change == pytest.approx(-12.0) and lower.rows[0].worse == pytest.approx(12.0)
    higher = decide([fig(RPS[0], 224, "requests/s", "higher")], PASSED, base(RPS))
    assert higher.state == GO and higher.rows[0].worse == pytest.approx(-12.0)


def test_a_figure_measured_several_times_is_compared_on_its_median():
    runs = [fig(P95[0], v) for v in (101.0, 180.0, 99.0)]  # one outlier: the median is 101
    verdict = decide(runs, PASSED, base(P95))
    assert verdict.state == GO
    assert verdict.rows[0].now == 101 and verdict.rows[0].now_count == 3
    worse = [fig(P95[0], v) for v in (108.0, 107.0, 90.0)]
    verdict = decide(worse, PASSED, base(P95, count=5))
    assert verdict.state == UNDECIDED
    assert "(median of 3) vs 100 ms in the baseline (median of 5)" in verdict.reasons[0].detail


def test_a_figure_on_one_side_only_is_listed_never_skipped():
    verdict = decide([fig("load.stage_50.all.p95_ms", 80)], PASSED, base(P95))
    assert verdict.state == GO
    listed = {(r.rule, r.what.rsplit(" / ", 1)[-1], r.severity) for r in verdict.reasons}
    assert ("missing figure", "load.stage_100.all.p95_ms", "info") in listed
    assert ("new figure", "load.stage_50.all.p95_ms", "info") in listed
    assert {row.name.rsplit(" / ", 1)[-1]: (row.base, row.now) for row in verdict.rows} == {
        "load.stage_100.all.p95_ms": (100.0, None),
        "load.stage_50.all.p95_ms": (None, 80.0),
    }


def test_a_changed_unit_or_direction_is_not_compared_silently():
    verdict = decide([fig(P95[0], 0.1, unit="s")], PASSED, base(P95))
    assert verdict.state == UNDECIDED
    assert verdict.reasons[0].rule == "not comparable" and "in ms" in verdict.reasons[0].detail


def test_a_baseline_of_zero_has_no_percentage():
    zero = ("retries", 0.0, "count", "lower")
    assert decide([fig("retries", 0, "count")], PASSED, base(zero)).state == GO
    verdict = decide([fig("retries", 3, "count")], PASSED, base(zero))
    assert verdict.state == UNDECIDED and "no percentage" in verdict.reasons[0].detail


# --- machines ------------------------------------------------------------------------------


def test_a_baseline_from_another_machine_is_named_as_such():
    other = {"hostname": "laptop", "cpus": 4, "cpu_model": "Apple M2", "platform": "macOS-14", "python": "3.12.3"}
    verdict = decide([fig(P95[0], 103)], PASSED, base(P95, machine=other))
    machine = [r for r in verdict.reasons if r.rule == "machine"]
    assert len(machine) == 1 and machine[0].severity == "warning"
    assert "another machine" in machine[0].detail
    assert "laptop (4 CPUs, Apple M2" in machine[0].detail and "ci-1 (8 CPUs, AMD EPYC 7763" in machine[0].detail
    same = decide([fig(P95[0], 103)], PASSED, base(P95, machine={**HERE, "python": "3.11.9"}))
    notes = [r for r in same.reasons if r.rule == "machine"]
    assert [r.severity for r in notes] == ["info"] and "Python 3.11.9 then, 3.12.3 now" in notes[0].detail
    assert not [r for r in decide([fig(P95[0], 103)], PASSED, base(P95)).reasons if r.rule == "machine"]


# --- safety figures ------------------------------------------------------------------------


def test_leaks_exceptions_and_error_rates():
    assert kind_of("api.memory.leak", "leak") == "leak"
    assert kind_of("logs.api.unhandled_exceptions", "count") == "exceptions"
    assert kind_of("load.stage_100.all.error_rate_percent", "%") == "error_rate"
    assert kind_of("load.stage_100.all.error_rate", "count") == "performance"
    leak = decide([fig("api.memory.leak", 0, "leak"), fig("api.memory.leak", 1, "leak")], PASSED, None)
    assert leak.state == NO_GO and "1 of 2 checks" in leak.reasons[0].detail
    assert decide([fig("api.memory.leak", 0, "leak")], PASSED, None).state == GO
    exceptions = decide([fig("logs.api.exceptions", 2, "count")], PASSED, None)
    assert exceptions.state == NO_GO and exceptions.reasons[0].rule == "exceptions"
    rate = decide([fig("load.all.error_rate_percent", 0.2, "%")], PASSED, None)
    assert rate.state == NO_GO and "0.2 % is over the 0.1 % limit" in rate.reasons[0].detail
    assert decide([fig("load.all.error_rate_percent", 0.1, "%")], PASSED, None).state == UNDECIDED
    fine = decide([fig("load.all.error_rate_percent", 0.05, "%"), fig("api.memory.leak", 0, "leak")], PASSED, None)
    assert fine.state == GO
    assert {r.rule for r in fine.reasons if r.severity == "ok"} == {"tests", "leak", "error rate"}


def test_an_error_rate_is_judged_on_its_worst_value_not_against_the_baseline():
    old = ("load.all.error_rate_percent", 0.01, "%", "lower")
    verdict = decide([fig(old[0], 0.05, "%")], PASSED, base(old))  # five times the baseline, still under 0.1 %
    assert verdict.state == GO


# --- rules files ---------------------------------------------------------------------------


def test_rules_override_per_figure_glob_in_file_order(tmp_path):
    file = tmp_path / "rules.yaml"
    file.write_text(
        "defaults:\n  warn: 4\n  fail: 8\n"
        "figures:\n"
        "  'load.*.p95_ms': {warn: 10, fail: 20}\n"
        "  '*stage_100*': {fail: 30}\n"
        "  '*.rps': {ignore: true}\n"
    )
    rules = Rules.load(file)
    assert rules.source == str(file)
    rule = rules.for_figure("Suites.Load / T / load.stage_100.all.p95_ms", "load.stage_100.all.p95_ms")
    assert (rule.warn, rule.fail, rule.patterns) == (10, 30, ("load.*.p95_ms", "*stage_100*"))
    assert rules.for_figure("S / T / other_ms", "other_ms").warn == 4
    assert decide([fig(P95[0], 125)], PASSED, base(P95), rules).state == UNDECIDED  # 25 %: between 10 and 30
    ignored = decide([fig(RPS[0], 10, "requests/s", "higher")], PASSED, base(RPS), rules)
    assert ignored.state == GO and ("ignored", "info") in {(r.rule, r.severity) for r in ignored.reasons}


def test_a_target_with_its_tolerance_works_without_a_baseline(tmp_path):
    file = tmp_path / "rules.json"
    file.write_text(json.dumps({"figures": {"messaging.*.p95_ms": {"target": 100}}}))
    rules = Rules.load(file)
    name = "messaging.tickstock.universe.updated.p95_ms"
    assert decide([fig(name, 90)], PASSED, None, rules).state == GO
    within = decide([fig(name, 120)], PASSED, None, rules)
    assert within.state == UNDECIDED
    assert "within the 25 % tolerance (limit 125 ms)" in within.reasons[0].detail
    beyond = decide([fig(name, 130)], PASSED, None, rules)
    assert beyond.state == NO_GO and beyond.reasons[0].rule == "target"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("figures:\n  '*': {wran: 3}\n", "unknown key 'wran'"),
        ("defaults: {warn: 12, fail: 10}\n", "'warn' (12 %) is above 'fail' (10 %)"),
        ("defaults: {warn: fast}\n", "'warn' must be a number"),
        ("defaults: {target: 3}\n", "a 'target' belongs to a figure"),
        ("figures: [a, b]\n", "'figures' must map a figure glob"),
        ("thresholds: {}\n", "unknown section 'thresholds'"),
        ("figures: {a: {ignore: 1}}\n", "'ignore' must be true or false"),
        ("figures:\n  - a: [\n", "is not valid YAML at line"),
    ],
)
def test_a_bad_rules_file_is_refused_naming_the_file(tmp_path, text, message):
    file = tmp_path / "rules.yaml"
    file.write_text(text)
    with pytest.raises(ConfigurationError, match="rules.yaml") as info:
        Rules.load(file)
    assert message in str(info.value)


def test_a_missing_rules_file_names_the_path(tmp_path):
    with pytest.raises(ConfigurationError, match=r"Rules file .*nothing.yaml does not exist"):
        Rules.load(tmp_path / "nothing.yaml")


def test_the_defaults_are_the_seed_figures():
    from crosscheck.variables import targets

    rule = Rules().defaults
    assert rule.warn == targets.GO_MAX_PERFORMANCE_DEGRADATION_PERCENT
    assert rule.fail == targets.NO_GO_PERFORMANCE_DEGRADATION_PERCENT
    assert rule.error_rate == targets.GO_MAX_ERROR_RATE_PERCENT
    assert rule.tolerance == 25
