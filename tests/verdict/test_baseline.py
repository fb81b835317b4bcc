"""Baselines: saved from a run's figures (medians, counts, the machine), read back, refused when unusable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import crosscheck
from crosscheck import figures
from crosscheck.errors import ConfigurationError
from crosscheck.verdict import baseline
from crosscheck.verdict.results import RunResults
from crosscheck.verdict.rules import Figure, TestOutcome

CI = {"hostname": "ci-1", "cpus": 8, "cpu_model": "AMD EPYC 7763", "platform": "Linux-6.8", "python": "3.12.3"}
OTHER = {**CI, "hostname": "ci-2"}


def run(tmp_path: Path, statuses=("PASS", "PASS"), machines=(CI, CI, CI, OTHER)) -> RunResults:
    values = [120.0, 80.0, 100.0]
    found = [
        Figure("Suites.Load", "Holds Up", "load.stage_100.all.p95_ms", v, "ms", "lower", machine=m)
        for v, m in zip(values, machines)
    ]
    found.append(Figure("Suites.Load", "", "setup.rps", 40.0, "requests/s", "higher", machine=machines[-1]))
    tests = [TestOutcome(f"Suites.Load.Test {i}", status) for i, status in enumerate(statuses)]
    return RunResults(source=tmp_path / "output.xml", name="Suites", started="2026-01-01", tests=tests, figures=found)


def test_save_keeps_the_median_and_count_per_name_and_the_machine_that_measured_most(tmp_path):
    file = tmp_path / "baseline.json"
    saved = baseline.save(run(tmp_path), file)
    data = json.loads(file.read_text())
    assert data["format"] == baseline.FORMAT == 1
    assert data["crosscheck"] == crosscheck.__version__
    assert data["machine"] == CI
    assert data["run"]["tests"] == 2 and data["run"]["failed"] == 0 and data["run"]["name"] == "Suites"
    assert data["figures"] == {
        "Suites.Load / Holds Up / load.stage_100.all.p95_ms": {
            "figure": "load.stage_100.all.p95_ms",
            "median": 100.0,
            "count": 3,
            "unit": "ms",
            "better": "lower",
        },
        "Suites.Load / setup.rps": {
            "figure": "setup.rps",
            "median": 40.0,
            "count": 1,
            "unit": "requests/s",
            "better": "higher",
        },
    }
    assert data["when"].endswith("+00:00")
    loaded = baseline.load(file)
    assert loaded.figures == saved.figures and loaded.machine == CI and loaded.path == str(file)


def test_without_recorded_machines_the_baseline_names_this_machine(tmp_path):
    results = run(tmp_path)
    results.figures = [Figure(f.suite, f.test, f.figure, f.value, f.unit, f.better) for f in results.figures]
    assert baseline.from_results(results).machine == figures.machine()


def test_a_run_with_failed_tests_is_refused_unless_forced(tmp_path):
    results = run(tmp_path, statuses=("PASS", "FAIL", "FAIL"))
    file = tmp_path / "baseline.json"
    with pytest.raises(ConfigurationError) as info:
        baseline.save(results, file)
    message = str(info.value)
    assert "has 2 failed tests (Suites.Load.Test 1, Suites.Load.Test 2)" in message
    assert "a baseline should come from a run that passed" in message and "--force" in message
    assert not file.exists()
    assert baseline.save(results, file, force=True).run["failed"] == 2 and file.exists()


def test_a_missing_baseline_names_the_file_and_how_to_save_one(tmp_path):
    with pytest.raises(ConfigurationError) as info:
        baseline.load(tmp_path / "old.json")
    assert f"Baseline file {tmp_path / 'old.json'} does not exist" in str(info.value)
    assert "crosscheck baseline save results/" in str(info.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"format": 1, "figures": {', "is not valid JSON"),
        (b"\xff\xfe\x00binary", "is not text"),
        ('{"tests": 3}', "is not a crosscheck baseline"),
        ('{"format": 1, "figures": {"a": {"median": "fast", "unit": "ms"}}}', "figure 'a' lacks a numeric 'median'"),
        ('{"format": 1, "figures": {"a": {"median": 1, "unit": "ms", "better": "up"}}}', "better='up'"),
        ('{"format": 1, "figures": []}', "'figures' is not a mapping"),
    ],
)
def test_a_corrupt_baseline_names_the_file(tmp_path, content, message):
    file = tmp_path / "baseline.json"
    if isinstance(content, bytes):
        file.write_bytes(content)
    else:
        file.write_text(content)
    with pytest.raises(ConfigurationError) as info:
        baseline.load(file)
    assert str(file) in str(info.value) and message in str(info.value)


def test_a_baseline_of_another_format_is_refused_with_the_reason(tmp_path):
    file = tmp_path / "baseline.json"
    file.write_text(json.dumps({"format": 2, "crosscheck": "9.0.0", "figures": {}}))
    with pytest.raises(ConfigurationError) as info:
        baseline.load(file)
    message = str(info.value)
    assert f"Baseline file {file} has format 2 (written by crosscheck 9.0.0)" in message
    assert f"reads format {baseline.FORMAT}" in message and "save" in message


def test_machines_are_described_and_compared():
    assert baseline.describe_machine(CI) == "ci-1 (8 CPUs, AMD EPYC 7763, Linux-6.8, Python 3.12.3)"
    assert baseline.same_machine(CI, CI) == (True, "")
    assert baseline.same_machine(CI, OTHER)[0] is False
    assert baseline.same_machine(CI, {**CI, "cpus": 16})[0] is False
    same, differences = baseline.same_machine(CI, {**CI, "platform": "Linux-6.9"})
    assert same and differences == "platform Linux-6.8 then, Linux-6.9 now"
