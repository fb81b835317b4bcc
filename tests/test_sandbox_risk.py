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


@pytest.mark.parametrize("code, rule", [
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
])
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
