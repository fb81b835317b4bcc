"""`crosscheck verdict` and `crosscheck baseline save` on real robot runs of tiny suites: exit codes, the printed
verdict, verdict.html, figures.json, and report.html / log.html re-rendered by rebot with the verdict."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
LIBRARY = """
from crosscheck import figures


def record_figure(name, value, unit="ms", better="lower"):
    figures.record(name, float(value), unit, better, where="the tiny suite")
"""
SUITE = """*** Settings ***
Library    figlib.py

*** Variables ***
${SCALE}            1
${FAIL_CRITICAL}    no
${FAIL_OTHER}       no

*** Test Cases ***
Searches Hold Up
    [Tags]    critical
    Record Figure    load.stage_100.all.p95_ms    ${{100 * ${SCALE}}}
    Record Figure    load.stage_100.all.rps    ${{200 / ${SCALE}}}    requests/s    higher
    Record Figure    load.stage_100.all.error_rate_percent    0.02    %
Delivery Is Fast
    [Tags]    critical
    IF    '${FAIL_CRITICAL}' == 'yes'    Fail    delivery took 250 ms, expected < 100 ms
    Record Figure    messaging.p95_ms    40
Other Check
    IF    '${FAIL_OTHER}' == 'yes'    Fail    expected 3 rows in 'symbols', got 2
"""


def robot_run(folder: Path, out: str = "results", *options: str) -> Path:
    if not (folder / "suites").exists():
        (folder / "suites").mkdir()
        (folder / "suites" / "checks.robot").write_text(SUITE)
        (folder / "figlib.py").write_text(LIBRARY)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "robot",
            "--pythonpath",
            str(folder),
            "--outputdir",
            str(folder / out),
            *options,
            str(folder / "suites"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (folder / out / "output.xml").is_file()
    return folder / out


def crosscheck(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "crosscheck"), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def report_strings(page: Path) -> str:
    """The texts of a Robot report or log (its JavaScript model keeps long strings zlib-compressed)."""
    texts = []
    for chunk in re.findall(r'window\.output\["strings"\]\.concat\((\[.*?\])\);', page.read_text(), re.S):
        for item in json.loads(chunk.replace("\\x3c", "<")):
            texts.append(item[1:] if item.startswith("*") else zlib.decompress(base64.b64decode(item)).decode())
    return "\n".join(texts)


def test_a_failing_critical_test_is_no_go_everywhere_a_reader_looks(tmp_path):
    out = robot_run(tmp_path, "results", "--variable", "FAIL_CRITICAL:yes")
    done = crosscheck("verdict", out, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Verdict: NO-GO (1 no-go, "), lines[0]
    assert (
        "  NO-GO      critical test: Suites.Checks.Delivery Is Fast: failed: delivery took 250 ms, expected < 100 ms"
    ) in lines
    assert any("performance was not compared" in line for line in lines)
    page = (out / "verdict.html").read_text()
    assert ">NO-GO</div>" in page and "delivery took 250 ms, expected &lt; 100 ms" in page
    assert "http" not in page.replace("http://www.w3.org/2000/svg", ""), "no external assets"
    figures = json.loads((out / "figures.json").read_text())
    assert [f["figure"] for f in figures["figures"]] == [
        "load.stage_100.all.p95_ms",
        "load.stage_100.all.rps",
        "load.stage_100.all.error_rate_percent",
    ]
    for name in ("report.html", "log.html"):
        texts = report_strings(out / name)
        assert "Verdict reasons" in texts and "<b>NO-GO</b>" in texts, name
        assert "Suites.Checks.Delivery Is Fast: failed: delivery took 250 ms, expected &lt; 100 ms" in texts, name
    assert (out / "output.xml").read_text().count("Verdict") == 0, "output.xml is left as it is"


def test_against_a_baseline_3_percent_worse_is_go_7_undecided_12_no_go(tmp_path):
    saved = crosscheck("baseline", "save", robot_run(tmp_path, "base"), cwd=tmp_path)
    assert saved.returncode == 0, saved.stderr
    assert saved.stdout.startswith("Baseline saved to baseline.json: 4 figures (from 4 measurements) of 3 tests")
    assert (tmp_path / "baseline.json").is_file()
    for scale, rc, state in (("1.03", 0, "GO"), ("1.07", 2, "UNDECIDED"), ("1.12", 1, "NO-GO")):
        out = robot_run(tmp_path, f"run{scale}", "--variable", f"SCALE:{scale}")
        done = crosscheck("verdict", out, "--baseline", "baseline.json", cwd=tmp_path)
        assert done.returncode == rc, done.stdout + done.stderr
        assert done.stdout.startswith(f"Verdict: {state} ("), done.stdout
        assert "performance was not compared" not in done.stdout
        assert f">{state}</div>" in (out / "verdict.html").read_text()
    assert "load.stage_100.all.p95_ms: 112 ms vs 100 ms in the baseline: 12.0 % worse" in done.stdout
    chart = (out / "verdict.html").read_text()
    assert "<svg" in chart and ">+12.0 %</text>" in chart and ">UNDECIDED</text>" in chart, "bars over the bands"
    assert "load.stage_100.all.rps: 178.6 requests/s vs 200 requests/s in the baseline: 10.7 % worse" in done.stdout


def test_a_rules_file_moves_the_limits(tmp_path):
    crosscheck("baseline", "save", robot_run(tmp_path, "base"), "-o", "base.json", cwd=tmp_path)
    (tmp_path / "rules.yaml").write_text("figures:\n  'load.*': {warn: 8, fail: 15}\n")
    out = robot_run(tmp_path, "now", "--variable", "SCALE:1.07")
    done = crosscheck("verdict", out, "--baseline", "base.json", "--rules", "rules.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout
    assert "rules.yaml" in (out / "verdict.html").read_text()


def test_a_failed_test_not_tagged_critical_is_undecided(tmp_path):
    done = crosscheck("verdict", robot_run(tmp_path, "results", "--variable", "FAIL_OTHER:yes"), cwd=tmp_path)
    assert done.returncode == 2
    assert "  UNDECIDED  failed test: Suites.Checks.Other Check: failed (not tagged critical)" in done.stdout


def test_without_a_baseline_a_passing_run_is_go_with_the_note(tmp_path):
    done = crosscheck("verdict", robot_run(tmp_path), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == "Verdict: GO (1 info, 2 ok)"
    assert (
        "  INFO       baseline: performance was not compared: save a baseline with `crosscheck baseline save results/`"
    ) in done.stdout


def test_the_report_and_log_keep_their_names(tmp_path):
    out = robot_run(tmp_path, "results", "--report", "summary.html", "--log", "details.html")
    done = crosscheck("verdict", out, cwd=tmp_path)
    assert done.returncode == 0
    assert not (out / "report.html").exists() and not (out / "log.html").exists()
    assert "<b>GO</b>" in report_strings(out / "summary.html")
    assert '"logURL":"details.html"' in (out / "summary.html").read_text()
    assert "Verdict reasons" in report_strings(out / "details.html")


def test_baseline_save_refuses_a_run_with_failed_tests_unless_forced(tmp_path):
    out = robot_run(tmp_path, "results", "--variable", "FAIL_CRITICAL:yes")
    done = crosscheck("baseline", "save", out, "-o", "b.json", cwd=tmp_path)
    assert done.returncode == 3 and not (tmp_path / "b.json").exists()
    assert "has 1 failed test (Suites.Checks.Delivery Is Fast)" in done.stderr and "--force" in done.stderr
    forced = crosscheck("baseline", "save", out, "-o", "b.json", "--force", cwd=tmp_path)
    assert forced.returncode == 0 and "Saved with --force although 1 tests failed." in forced.stdout


@pytest.fixture(scope="module")
def one_run(tmp_path_factory) -> Path:
    return robot_run(tmp_path_factory.mktemp("one"))


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        ("", ["verdict", "{tmp}/nowhere"], "nowhere does not exist"),
        ("", ["verdict", "{tmp}"], "No output.xml in {tmp}: run the suites first"),
        ("output.xml:<robot><suite", ["verdict", "{tmp}"], "{tmp}/output.xml is not a readable Robot Framework output"),
        (
            "b.json:{not json",
            ["verdict", "{run}", "--baseline", "{tmp}/b.json"],
            "Baseline file {tmp}/b.json is not valid JSON",
        ),
        (
            'b.json:{"format": 7, "figures": {}}',
            ["verdict", "{run}", "--baseline", "{tmp}/b.json"],
            "Baseline file {tmp}/b.json has format 7",
        ),
        ("", ["verdict", "{run}", "--baseline", "{tmp}/none.json"], "Baseline file {tmp}/none.json does not exist"),
        (
            "r.yaml:defaults: {warn: 20}",
            ["verdict", "{run}", "--rules", "{tmp}/r.yaml"],
            "'warn' (20 %) is above 'fail'",
        ),
        ("", ["verdict"], "the following arguments are required: RESULTS_DIR"),
        ("", ["baseline", "save", "{tmp}"], "No output.xml in {tmp}"),
        ("", ["baseline", "keep", "{run}"], "invalid choice: 'keep'"),
    ],
)
def test_bad_input_exits_3_naming_the_file(tmp_path, one_run, setup, args, message):
    if setup:
        name, content = setup.split(":", 1)
        (tmp_path / name).write_text(content)
    done = crosscheck(*(a.format(tmp=tmp_path, run=one_run) for a in args), cwd=tmp_path)
    assert done.returncode == 3, done.stdout + done.stderr
    assert message.format(tmp=tmp_path) in done.stderr
    assert "Traceback" not in done.stderr
