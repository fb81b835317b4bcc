"""Static risk scoring: findings, weights, lines, threshold, syntax errors (no engine needed)."""

import pytest

from crosscheck.sandbox import risk


def rules(code):
    return {f.rule for f in risk.score(code).findings}


def test_plain_code_scores_zero():
    report = risk.score("print(sum(range(10)))")
    assert report.score == 0 and report.findings == [] and report.verdict == "allowed"


def test_seed_003_dangerous_code_scores_60_and_is_refused():
    report = risk.score('import os\nos.system("rm -rf /")')
    assert report.score == 60
    assert report.refused and report.verdict == "refused"
    assert [(f.rule, f.weight, f.line) for f in report.findings] == [("import os", 10, 1), ("os.system", 50, 2)]


@pytest.mark.parametrize(
    "code, rule",
    [
        ("import subprocess\nsubprocess.run(['ls'])", "subprocess.run"),
        ("eval('1+1')", "eval"),
        ("exec('x=1')", "exec"),
        ("__import__('os')", "__import__"),
        ("import importlib", "import importlib"),
        ("import ctypes", "import ctypes"),
        ("import socket", "import socket"),
        ("getattr(object, name)", "reflection getattr"),
        ("getattr(object, '__subclasses__')", "reflection getattr"),
        ("().__class__.__bases__[0].__subclasses__()", "reflection __subclasses__"),
        ("open('/etc/passwd', 'w')", "open for writing"),
        ("open(path, mode=m)", "open for writing"),
        ("from os import system as s\ns('id')", "os.system"),
        ("import os as o\no.fork()", "os.fork"),
    ],
)
def test_each_dangerous_construct_is_found(code, rule):
    assert rule in rules(code)


def test_reading_a_file_and_literal_getattr_are_not_findings():
    assert rules("open('data.txt').read()\ngetattr(x, 'name')") == set()


def test_threshold_is_inclusive():
    assert risk.score("import socket", threshold=30).refused  # exactly 30
    assert not risk.score("import socket", threshold=31).refused


def test_syntax_error_is_reported_never_safe():
    report = risk.score("def broken(:\n    pass")
    assert report.syntax_error and "line 1" in report.syntax_error
    assert report.refused and report.verdict == "syntax error"


def test_findings_carry_line_numbers():
    report = risk.score("x = 1\n\nimport ctypes\n")
    assert report.findings[0].line == 3 and report.findings[0].weight == 50


def test_code_over_the_size_cap_is_refused_without_parsing(monkeypatch):
    def parse(*args, **kwargs):
        raise AssertionError("the parser was called")

    monkeypatch.setattr(risk.ast, "parse", parse)
    report = risk.score("x = 1\n" * (10 * 1024 * 1024 // 6))
    assert report.refused and report.verdict == "cannot score: refused" and report.findings == []
    assert "over the 102400-byte cap" in report.unscored


@pytest.mark.parametrize(
    "code, error",
    [
        ("-" * 50000 + "1", "MemoryError"),  # the parser's stack overflows
        ("a" + ".b" * 30000, "RecursionError"),  # the AST constructor's depth limit
        ("a" + ".b" * 3000, "RecursionError"),  # parses, too deep for the scanner
    ],
)
def test_code_beyond_the_parser_is_refused_never_raised(code, error):
    report = risk.score(code)
    assert report.refused and report.verdict == "cannot score: refused"
    assert error in report.unscored, report.unscored


def test_concurrent_scoring_is_safe():
    """Many threads scoring at once, with finalizers that switch threads in the middle of a parse
    (CPython 3.11's AST constructor keeps its depth in shared state: concurrent parses can fail)."""
    import gc
    import sys
    import threading
    import time

    code = (
        "import os\nx = " + "[" * 80 + "a.b" + "]" * 80 + "\ny = " + "+".join(["f(a.b.c)"] * 60) + "\nos.system('id')\n"
    )
    expected = risk.score(code)
    errors: list[str] = []

    class Yield:
        def __del__(self):
            time.sleep(0)

    def work():
        for _ in range(40):
            junk = [Yield() for _ in range(5)]
            junk.append(junk)
            del junk
            try:
                got = risk.score(code)
                unscored = getattr(got, "unscored", None)
                if (got.score, unscored, len(got.findings)) != (expected.score, None, len(expected.findings)):
                    errors.append(f"score {got.score}, unscored {unscored}")
            except BaseException as exc:  # noqa: BLE001 - any crash is the failure under test
                errors.append(f"{type(exc).__name__}: {exc}")

    interval, thresholds = sys.getswitchinterval(), gc.get_threshold()
    sys.setswitchinterval(1e-6)
    gc.set_threshold(20, 2, 2)
    try:
        threads = [threading.Thread(target=work) for _ in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
        gc.set_threshold(*thresholds)
    assert errors == [] and expected.score == 60
