"""An assertion operator Robot cannot read is refused with the list of valid ones, and a misspelled
named argument that lands in the operator's place is named as such: through a real Robot run of
keywords of several libraries (no service is reached: the refusal comes before the keyword runs)."""

from __future__ import annotations

import pytest
from robot import run
from robot.api import ExecutionResult

from crosscheck.assertions import AssertionOperator, to_operator

SUITE = """*** Settings ***
Library    crosscheck.Messaging
Library    crosscheck.Metrics    http://127.0.0.1:9/metrics
Library    crosscheck.Postgres
Library    crosscheck.Configuration

*** Test Cases ***
Unknown Operator
    Get Delivery Latency    p95    lessthan    100 ms

Misspelled Named Argument
    Get Delivery Latency    p95    latancy=50 ms

Unknown Operator Of Another Library
    Get Metric Value    up    ===    1

Misspelled Optional Argument
    Connect To Redis    redis://127.0.0.1:9/0    alais=orders

Misspelled Argument After Varargs
    Environment Files Should Have The Same Keys    a.toml    b.toml    foldr=config

A Value With An Equals Sign That Names Nothing Close Is Still A Value
    Run Keyword And Expect Error    x=1.toml does not exist*    Environment Files Should Have The Same Keys    x=1.toml    y=2.toml

Named Operators Are Read
    Run Keyword And Expect Error    Cannot scrape*    Get Metric Value    up    less than    1
    Run Keyword And Expect Error    Cannot scrape*    Get Metric Value    up    ${None}
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("operators")
    (folder / "operators.robot").write_text(SUITE)
    run(str(folder / "operators.robot"), outputdir=str(folder), log="NONE", report="NONE", stdout=None, console="none")
    result = ExecutionResult(str(folder / "output.xml"))
    return {t.name: t for t in result.suite.all_tests}


def test_an_unknown_operator_lists_the_valid_ones(results):
    for name, given in (("Unknown Operator", "lessthan"), ("Unknown Operator Of Another Library", "===")):
        test = results[name]
        assert test.status == "FAIL"
        assert f"'{given}' is not an assertion operator; use one of: equal, equals, ==" in test.message, test.message
        assert "<=, >=, contains, not contains" in test.message


def test_a_misspelled_named_argument_is_named(results):
    message = results["Misspelled Named Argument"].message
    assert "'latancy=' names no argument of this keyword: check its spelling" in message, message


def test_operators_by_name_and_none_still_convert(results):
    assert results["Named Operators Are Read"].status == "PASS", results["Named Operators Are Read"].message
    assert to_operator("less than") is AssertionOperator["less than"]
    assert to_operator("==") is AssertionOperator["=="]
    assert to_operator(None) is None and to_operator("None") is None
    with pytest.raises(ValueError, match="'=<' is not an assertion operator"):
        to_operator("=<")


def test_a_misspelled_optional_argument_is_named_before_the_keyword_runs(results):
    message = results["Misspelled Optional Argument"].message
    assert message == (
        "ValueError: Keyword 'Connect To Redis' got unexpected named argument 'alais': did you mean 'alias'? "
        "(Robot would have passed 'alais=orders' as 'alias')"
    ), message
    message = results["Misspelled Argument After Varargs"].message
    assert "got unexpected named argument 'foldr': did you mean 'folder'?" in message, message
    assert "as 'the extra arguments'" in message
    assert results["A Value With An Equals Sign That Names Nothing Close Is Still A Value"].status == "PASS", results[
        "A Value With An Equals Sign That Names Nothing Close Is Still A Value"
    ].message
