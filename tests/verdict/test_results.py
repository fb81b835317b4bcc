"""Figures recorded with crosscheck.figures.record, read back from real output.xml files: plain robot runs,
pabot runs in several processes, and shards merged with rebot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crosscheck import figures
from crosscheck.errors import ConfigurationError
from crosscheck.verdict import results

BIN = Path(sys.executable).parent
LIBRARY = """
import os
from crosscheck import figures


def record_figure(name, value, unit="ms", better="lower", where=""):
    figures.record(name, float(value), unit, better, where=where or f"process {os.getpid()}")
"""


def write_suites(folder: Path, suites: dict[str, str]) -> Path:
    """``suites`` (name -> test cases) as .robot files in ``folder/suites``, with the figure library beside."""
    (folder / "suites").mkdir(parents=True, exist_ok=True)
    (folder / "figlib.py").write_text(LIBRARY)
    for name, tests in suites.items():
        (folder / "suites" / f"{name}.robot").write_text(
            f"*** Settings ***\nLibrary    figlib.py\n\n*** Test Cases ***\n{tests}"
        )
    return folder / "suites"


def run(folder: Path, tool: str, out: str, *options: str) -> Path:
    """``robot`` or ``pabot`` on ``folder/suites`` into ``folder/out``; returns the output folder."""
    command = [sys.executable, "-m", "robot"] if tool == "robot" else [str(BIN / "pabot")]
    done = subprocess.run(
        [*command, "--pythonpath", str(folder), "--outputdir", str(folder / out), *options, str(folder / "suites")],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode < 250, done.stdout + done.stderr
    return folder / out


def rebot(folder: Path, out: str, *outputs: Path, merge: bool) -> Path:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "robot.rebot",
            *(["--merge"] if merge else []),
            "--outputdir",
            str(folder / out),
            "--output",
            "output.xml",
            *map(str, outputs),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode < 250, done.stdout + done.stderr
    return folder / out


def seen(run_results: results.RunResults) -> tuple[list, list]:
    tests = sorted((t.name, t.status) for t in run_results.tests)
    found = sorted((f.name, f.value, f.unit, f.better) for f in run_results.figures)
    return tests, found


LOAD = """Searches Hold Up
    [Tags]    critical    load
    Record Figure    load.stage_100.all.p95_ms    123.4    where=stage 100 -- of <the> "load" & more
    Record Figure    load.stage_100.all.rps    50    requests/s    higher
Delivery Fails
    [Tags]    critical
    Record Figure    messaging.p95_ms    250
    Fail    delivery took 250 ms, expected < 100 ms
Skipped Without Docker
    Skip    no Docker engine
"""


def test_figures_come_back_with_their_suite_test_unit_and_direction(tmp_path):
    suites = write_suites(tmp_path, {"load": LOAD})
    (suites / "load.robot").write_text(
        (suites / "load.robot")
        .read_text()
        .replace(
            "Library    figlib.py\n", "Library    figlib.py\nSuite Setup    Record Figure    setup.warmup_ms    7\n"
        )
    )
    out = run(tmp_path, "robot", "out")
    read = results.read(out)
    assert read.source == out / "output.xml" and read.name == "Suites"
    assert [(t.name, t.status, t.critical) for t in read.tests] == [
        ("Suites.Load.Searches Hold Up", "PASS", True),
        ("Suites.Load.Delivery Fails", "FAIL", True),
        ("Suites.Load.Skipped Without Docker", "SKIP", False),
    ]
    assert read.tests[1].message == "delivery took 250 ms, expected < 100 ms"
    names = [(f.name, f.value, f.unit, f.better) for f in read.figures]
    assert names == [
        ("Suites.Load / setup.warmup_ms", 7.0, "ms", "lower"),
        ("Suites.Load / Searches Hold Up / load.stage_100.all.p95_ms", 123.4, "ms", "lower"),
        ("Suites.Load / Searches Hold Up / load.stage_100.all.rps", 50.0, "requests/s", "higher"),
        ("Suites.Load / Delivery Fails / messaging.p95_ms", 250.0, "ms", "lower"),
    ]
    assert read.figures[1].where == 'stage 100 -- of <the> "load" & more'
    assert read.figures[1].machine == figures.machine()
    xml = (out / "output.xml").read_text()
    assert "figure &lt;b&gt;load.stage_100.all.p95_ms&lt;/b&gt; = 123.4 ms (lower is better)" in xml


def test_figures_json_lists_every_measurement(tmp_path):
    write_suites(tmp_path, {"load": LOAD})
    read = results.read(run(tmp_path, "robot", "out") / "output.xml")
    file = results.write_figures(read)
    assert file == tmp_path / "out" / "figures.json"
    data = json.loads(file.read_text())
    assert data["format"] == 1 and data["output"] == str((tmp_path / "out" / "output.xml").resolve())
    first = data["figures"][0]
    assert {k: first[k] for k in ("name", "suite", "test", "figure", "value", "unit", "better")} == {
        "name": "Suites.Load / Searches Hold Up / load.stage_100.all.p95_ms",
        "suite": "Suites.Load",
        "test": "Searches Hold Up",
        "figure": "load.stage_100.all.p95_ms",
        "value": 123.4,
        "unit": "ms",
        "better": "lower",
    }
    assert first["machine"]["hostname"] == figures.machine()["hostname"]
    assert len(data["figures"]) == 3


def test_figures_recorded_in_two_pabot_processes_are_merged(tmp_path):
    write_suites(
        tmp_path,
        {
            "first": "One\n    Record Figure    first.p95_ms    10\n    Sleep    0.5 s\n",
            "second": "Two\n    Record Figure    second.p95_ms    20\n    Sleep    0.5 s\n",
        },
    )
    out = run(tmp_path, "pabot", "out", "--processes", "2")
    read = results.read(out)
    assert sorted(f.name for f in read.figures) == [
        "Suites.First / One / first.p95_ms",
        "Suites.Second / Two / second.p95_ms",
    ]
    data = json.loads(results.write_figures(read).read_text())
    processes = {f["where"] for f in data["figures"]}
    assert len(processes) == 2 and f"process {os.getpid()}" not in processes, processes


SHARDED = {
    name: f"{name.title()} Works\n    [Tags]    critical\n    Record Figure    {name}.p95_ms    {value}\n"
    f"    Record Figure    {name}.rps    {value * 2}    requests/s    higher\n"
    f"{name.title()} Counts\n    Record Figure    {name}.count_ms    1\n    Record Figure    {name}.count_ms    3\n"
    for name, value in (("alpha", 10), ("beta", 20), ("gamma", 30), ("delta", 40))
}


def test_shards_merged_with_rebot_give_the_tests_and_figures_of_one_whole_run(tmp_path):
    write_suites(tmp_path, SHARDED)
    whole_folder = run(tmp_path, "robot", "whole")
    whole = results.read(whole_folder)
    first = run(tmp_path, "pabot", "shard1", "--shard", "1/2", "--processes", "2")
    second = run(tmp_path, "pabot", "shard2", "--shard", "2/2", "--processes", "2")
    parts = [results.read(first), results.read(second)]
    assert all(0 < len(p.tests) < len(whole.tests) for p in parts), "each shard runs part of the suites"
    assert len(parts[0].tests) + len(parts[1].tests) == len(whole.tests) == 8
    merged = results.read(rebot(tmp_path, "merged", first / "output.xml", second / "output.xml", merge=True))
    combined = results.read(rebot(tmp_path, "combined", first / "output.xml", second / "output.xml", merge=False))
    assert seen(merged) == seen(whole)
    assert seen(combined) == seen(whole), "a plain rebot combination reads as the whole run"
    assert combined.name == "Suites" and len(whole.figures) == 16
    crosscheck = str(BIN / "crosscheck")
    saved = subprocess.run([crosscheck, "baseline", "save", str(whole_folder), "-o", str(tmp_path / "whole.json")])
    assert saved.returncode == 0
    for folder in (merged.folder, combined.folder):
        done = subprocess.run(
            [crosscheck, "verdict", str(folder), "--baseline", str(tmp_path / "whole.json")],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.startswith("Verdict: GO (") and "12 of 12 figures compared" in done.stdout, done.stdout


def test_a_missing_output_says_what_to_do(tmp_path):
    with pytest.raises(ConfigurationError, match=r"No output.xml in .*: run the suites first"):
        results.read(tmp_path)
    (tmp_path / "xunit.xml").write_text("<testsuite/>")
    with pytest.raises(ConfigurationError, match=r"it has xunit.xml: pass the one robot wrote"):
        results.read(tmp_path)
    with pytest.raises(ConfigurationError, match=r"nowhere does not exist: give a results folder"):
        results.read(tmp_path / "nowhere")


@pytest.mark.parametrize("content", ["", "<robot><suite name='x'>", "not xml at all"])
def test_a_corrupt_output_names_the_file(tmp_path, content):
    (tmp_path / "output.xml").write_text(content)
    with pytest.raises(ConfigurationError) as info:
        results.read(tmp_path)
    assert f"{tmp_path / 'output.xml'} is not a readable Robot Framework output" in str(info.value)


# --- the message itself --------------------------------------------------------------------


def test_the_message_reads_as_a_line_and_carries_the_figure_as_json():
    text = figures.message("load.p95_ms", 1234.5, "ms", "lower", where="a --> b <!-- c", samples=[1, 2, 3, 4])
    assert text.startswith('<span class="crosscheck-figure">figure <b>load.p95_ms</b> = 1,234.5 ms (lower is better)')
    assert "in a --&gt; b &lt;!-- c, from 4 samples (median 2.5 ms)</span>" in text
    comment = text[text.index("<!--crosscheck-figure") + 4 : -3]
    assert "--" not in comment.removeprefix("crosscheck-figure") and ">" not in comment
    (data,) = figures.parse(text)
    assert data["where"] == "a --> b <!-- c" and data["samples"] == 4 and data["median"] == 2.5
    assert data["values"] == [1.0, 2.0, 3.0, 4.0] and data["format"] == 1
    many = figures.parse(figures.message("x", 1, "ms", "lower", samples=list(range(100))))[0]
    assert many["samples"] == 100 and "values" not in many
    assert figures.parse("an ordinary message") == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("load.p95_ms", 1.0, "", "lower"), "Figure 'load.p95_ms' has no unit"),
        (("load.p95_ms", 1.0, "ms", "smaller"), "better must be 'lower' or 'higher', got 'smaller'"),
        (("load.p95_ms", float("nan"), "ms", "lower"), "value nan is not a finite number"),
        (("load.p95_ms", float("inf"), "ms", "lower"), "value inf is not a finite number"),
        (("load.p95_ms", "fast", "ms", "lower"), "value 'fast' is not a number"),
        (("", 1.0, "ms", "lower"), "A figure needs a name"),
    ],
)
def test_record_refuses_a_figure_it_could_not_compare(args, message):
    with pytest.raises(ConfigurationError) as info:
        figures.record(*args)
    assert message in str(info.value)


def test_record_outside_a_robot_run_does_nothing(capsys):
    figures.record("load.p95_ms", 1.0, "ms", "lower")
    assert capsys.readouterr() == ("", "")
