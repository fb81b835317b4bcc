"""Unhandled exceptions in logs: what counts (crosscheck.verdict.logs, pure), and the keywords on real files.

The files are written by real Python processes (an uncaught exception, ``logging.error``,
``logging.exception``) into ``tmp_path``; only what is appended after the watch is read.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest
from robot.api import ExecutionResult, SkipExecution

from crosscheck import figures
from crosscheck.assertions import AssertionOperator
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.verdict.library import Verdict
from crosscheck.verdict.logs import LogWatch, is_error_line, scan

OP = AssertionOperator
# what a process prints when an exception ends it, and an ERROR line logged before that
CRASHES = textwrap.dedent(
    """
    import logging, sys
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log = logging.getLogger("worker")
    log.info("started")
    log.warning("slow answer, ERROR budget at 80 %")
    log.error("order 17 could not be stored")
    log.info("storing order 18")
    def store(order):
        raise ValueError(f"order {order} has no id")
    store(18)
    """
)
LOGS_EXCEPTION = textwrap.dedent(
    """
    import logging, sys
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        {}["missing"]
    except KeyError:
        logging.getLogger("api").exception("request failed")
    logging.getLogger("api").info("still serving")
    """
)


def kw(lib, name, *args, **kwargs):
    args = tuple(OP[a] if isinstance(a, str) and a in OP.__members__ else a for a in args)
    name = name if name in lib.keywords else name.lower().replace(" ", "_")  # a custom name is kept as written
    return lib.run_keyword(name, list(args), kwargs)


def run_into(path: Path, code: str) -> None:
    """Run ``python -c code`` with its output appended to ``path``."""
    with open(path, "ab") as out:
        subprocess.run([sys.executable, "-c", code], stdout=out, stderr=subprocess.STDOUT, timeout=60, check=False)


def lines_of(path: Path) -> list[str]:
    return path.read_text().splitlines()


# --- what counts ---------------------------------------------------------------------------------


def test_a_traceback_is_one_finding_at_its_first_line_with_its_exception():
    text = (
        "INFO start\n"
        "Traceback (most recent call last):\n"
        '  File "app.py", line 3, in <module>\n'
        "    main()\n"
        "    ~~~~^^\n"
        "ZeroDivisionError: division by zero\n"
        "INFO after\n"
    )
    assert [f.line for f in scan(text)] == [2]
    found = scan(text, first_line=41)[0]
    assert (found.line, found.kind, found.text) == (42, "traceback", "ZeroDivisionError: division by zero")
    assert found.describe("api.log") == "api.log:42: ZeroDivisionError: division by zero (traceback)"


def test_chained_tracebacks_are_one_finding_with_the_last_exception():
    text = (
        "Traceback (most recent call last):\n"
        '  File "a.py", line 1, in f\n'
        "KeyError: 'id'\n"
        "\n"
        "During handling of the above exception, another exception occurred:\n"
        "\n"
        "Traceback (most recent call last):\n"
        '  File "a.py", line 3, in g\n'
        "RuntimeError: lookup failed\n"
    )
    found = scan(text)
    assert len(found) == 1 and found[0].line == 1 and found[0].text == "RuntimeError: lookup failed"


def test_an_error_line_right_before_a_traceback_is_its_heading():
    text = (
        "ERROR:    Exception in ASGI application\n"
        "Traceback (most recent call last):\n"
        '  File "h.py", line 9, in app\n'
        "ValueError: bad\n"
    )
    (found,) = scan(text)
    assert found.line == 1 and found.kind == "traceback"
    assert found.text == "ERROR: Exception in ASGI application -> ValueError: bad"


@pytest.mark.parametrize(
    "line",
    [
        "2024-05-01 10:00:00,123 ERROR app.db: connection lost",
        "ERROR:    Exception in ASGI application",
        "[CRITICAL] disk full",
        "2024-05-01 10:00:00.000 UTC [42] FATAL:  password authentication failed",
        'time=2024-05-01 level=error msg="boom"',
        '{"time": "2024-05-01", "level": "error", "msg": "boom"}',
    ],
)
def test_error_critical_and_fatal_lines_count(line):
    assert is_error_line(line)
    assert [f.kind for f in scan(line + "\n")] == ["error"]


@pytest.mark.parametrize(
    "line",
    [
        "2024-05-01 10:00:00 WARNING app: retrying after ERROR 503",  # the level is WARNING
        "2024-05-01 10:00:00 INFO app: error_rate=0.0",
        "INFO:     127.0.0.1:5000 - GET /errors HTTP/1.1 200",
        "consumer reconnecting after ConnectionError",
        'level=info msg="no error"',
    ],
)
def test_other_lines_do_not_count(line):
    assert not is_error_line(line)
    assert scan(line + "\n") == []


# --- the watch on real files ---------------------------------------------------------------------


def test_what_a_crashing_process_appends_is_found_with_file_and_line_but_not_what_came_before(tmp_path):
    log = tmp_path / "worker.log"
    run_into(log, CRASHES)  # before the watch: not this run's
    watch = LogWatch()
    watch.mark([log])
    run_into(log, CRASHES)  # after it
    appended = watch.check(log)
    before = len(lines_of(log)) // 2  # the same lines twice
    lines = lines_of(log)
    expected_error = next(i for i, line in enumerate(lines, 1) if i > before and " ERROR worker:" in line)
    expected_traceback = next(i for i, line in enumerate(lines, 1) if i > before and line.startswith("Traceback"))
    assert [(f.line, f.kind) for f in appended.findings] == [
        (expected_error, "error"),
        (expected_traceback, "traceback"),
    ]
    assert appended.findings[0].text.endswith("ERROR worker: order 17 could not be stored")
    assert appended.findings[1].text == "ValueError: order 18 has no id"
    assert appended.first_line == before + 1 and not appended.whole


def test_each_check_reads_only_what_came_after_the_previous_one(tmp_path):
    log = tmp_path / "api.log"
    log.write_text("INFO up\n")
    watch = LogWatch()
    watch.mark([log])
    run_into(log, LOGS_EXCEPTION)
    first = watch.check(log)
    assert [(f.line, f.text) for f in first.findings] == [(2, "ERROR api: request failed -> KeyError: 'missing'")]
    watch.advance(first)
    with open(log, "a") as out:
        out.write("INFO fine\nERROR api: second\nWARNING api: half a li")  # the last line is still being written
    second = watch.check(log)
    assert [(f.line, f.text) for f in second.findings] == [(len(lines_of(log)) - 1, "ERROR api: second")]
    watch.advance(second)
    with open(log, "a") as out:
        out.write("ne\n")
    third = watch.check(log)
    assert third.text == "WARNING api: half a line\n" and third.findings == []


def test_files_the_watch_did_not_know_are_read_whole_if_changed_since_it_began_else_not_at_all(tmp_path):
    old = tmp_path / "old.log"
    old.write_text("ERROR from a previous run\n")
    past = time.time() - 3600
    os.utime(old, (past, past))
    watch = LogWatch()
    new = tmp_path / "new.log"
    new.write_text("ERROR during this run\n")
    assert watch.check(old).findings == []
    fresh = watch.check(new)
    assert fresh.whole and [f.line for f in fresh.findings] == [1]


def test_a_rotated_file_is_read_from_its_start(tmp_path):
    log = tmp_path / "app.log"
    log.write_text("INFO one\n" * 50)
    watch = LogWatch()
    watch.mark([log])
    log.rename(tmp_path / "app.log.1")
    log.write_text("ERROR after rotation\n")
    assert [f.line for f in watch.check(log).findings] == [1]


# --- the keywords ---------------------------------------------------------------------------------


@pytest.fixture()
def verdict():
    lib = Verdict()
    yield lib
    lib.cleanup.close()


def test_the_check_fails_naming_file_and_line_and_each_exception_fails_once(verdict, tmp_path):
    log = tmp_path / "worker.log"
    run_into(log, CRASHES)
    kw(verdict, "Start Log Watch", str(log))
    assert kw(verdict, "Logs Should Have No Unhandled Exceptions", str(log)) == 0  # nothing appended yet
    run_into(log, CRASHES)
    assert kw(verdict, "Get Unhandled Exception Count", "==", 2, files=str(log)) == 2
    assert kw(verdict, "Get Unhandled Exception Count", files=[str(log)]) == 2  # the getter does not move the mark
    with pytest.raises(CrosscheckError) as failure:
        kw(verdict, "Logs Should Have No Unhandled Exceptions", str(log))
    lines = lines_of(log)
    error_line = max(i for i, line in enumerate(lines, 1) if " ERROR worker:" in line)
    traceback_line = max(i for i, line in enumerate(lines, 1) if line.startswith("Traceback"))
    assert str(failure.value) == (
        f"2 unhandled exceptions or error lines in the logs: "
        f"{log}:{error_line}: {lines[error_line - 1]}; "
        f"{log}:{traceback_line}: ValueError: order 18 has no id (traceback)."
    )
    # reported once: the next check reads only what comes after
    assert kw(verdict, "Logs Should Have No Unhandled Exceptions", str(log)) == 0
    assert kw(verdict, "Get Unhandled Exception Count", "==", "0", files=str(log)) == 0


def test_ignored_findings_are_not_counted(verdict, tmp_path):
    log = tmp_path / "a.log"
    kw(verdict, "Start Log Watch", str(log))  # does not exist yet: read from its start once it does
    log.write_text("ERROR expected: the test stopped the database\nERROR unexpected\n")
    with pytest.raises(CrosscheckError, match=r"^1 unhandled exception or error line in the logs: .*a\.log:2: "):
        kw(verdict, "Logs Should Have No Unhandled Exceptions", str(log), ignore="expected:")


def test_glob_patterns_and_missing_files(verdict, tmp_path):
    (tmp_path / "one.log").write_text("ERROR one\n")
    (tmp_path / "two.log").write_text("INFO two\n")
    assert kw(verdict, "Get Unhandled Exception Count", files=str(tmp_path / "*.log")) == 1
    with pytest.raises(ConfigurationError, match=r"^No log file matches '.*/\*\.txt'\.$"):
        kw(verdict, "Logs Should Have No Unhandled Exceptions", str(tmp_path / "*.txt"))
    with pytest.raises(ConfigurationError, match=r"^No log file at '.*/gone\.log'\.$"):
        kw(verdict, "Logs Should Have No Unhandled Exceptions", str(tmp_path / "gone.log"))
    with pytest.raises(ConfigurationError, match=r"^ignore='\(' is not a regular expression"):
        kw(verdict, "Logs Should Have No Unhandled Exceptions", str(tmp_path / "two.log"), ignore="(")


def test_by_default_the_system_under_test_logs_of_the_stack_are_read(api_url, verdict):
    files, why = verdict.ctx.system_logs()
    names = sorted(p.name for p in files)
    assert not why and names == ["demo-api.log", "demo-consumer.log"], (names, why)  # not redis, postgres, supervisor
    assert kw(verdict, "Logs Should Have No Unhandled Exceptions") >= 0


def test_without_a_system_under_test_started_by_the_stack_the_check_is_skipped_saying_why(monkeypatch, tmp_path):
    stand_in = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        monkeypatch.setenv("CROSSCHECK_STACK_OWNER", str(stand_in.pid))  # a process that owns no stack
        monkeypatch.setenv("CROSSCHECK_RESULTS_DIR", str(tmp_path))
        monkeypatch.delenv("CROSSCHECK_STACK_KEY", raising=False)
        lib = Verdict()
        with pytest.raises(SkipExecution, match=r"^No logs to read: no embedded stack runs for this run.*Name the"):
            kw(lib, "Logs Should Have No Unhandled Exceptions")
    finally:
        stand_in.kill()
        stand_in.wait(10)
    assert not psutil.pid_exists(stand_in.pid) or psutil.Process(stand_in.pid).status() == psutil.STATUS_ZOMBIE


def test_each_file_is_recorded_as_a_figure_in_the_robot_log(tmp_path):
    clean, broken = tmp_path / "clean.log", tmp_path / "broken.log"
    suite = tmp_path / "logs.robot"
    suite.write_text(
        textwrap.dedent(
            f"""
            *** Settings ***
            Library    OperatingSystem
            Library    crosscheck.Verdict

            *** Test Cases ***
            Logs Are Clean
                Create File    {clean}    INFO ok\\n
                Create File    {broken}    INFO ok\\n
                Start Log Watch    {clean}    {broken}
                Append To File    {broken}    ERROR payment service: timeout\\n
                Logs Should Have No Unhandled Exceptions    {tmp_path}/*.log
            """
        )
    )
    run = subprocess.run(
        [sys.executable, "-m", "robot", "--outputdir", str(tmp_path), str(suite)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    test = ExecutionResult(str(tmp_path / "output.xml")).suite.tests[0]
    assert test.message == (
        f"1 unhandled exception or error line in the logs: {broken}:2: ERROR payment service: timeout."
    )
    recorded = {
        f["figure"]: f
        for step in test.body
        for message in step.body
        if getattr(message, "type", "") == "MESSAGE"
        for f in figures.parse(message.message)
    }
    assert {name: f["value"] for name, f in recorded.items()} == {
        "logs.broken.exceptions": 1.0,
        "logs.clean.exceptions": 0.0,
    }
    assert recorded["logs.broken.exceptions"]["where"] == f"{broken}: line 2: ERROR payment service: timeout"
    assert re.fullmatch(r"exceptions", recorded["logs.clean.exceptions"]["unit"])
