"""One Robot run of a small checkpoint-2 suite against a repository set in tmp_path: passes, failures, log tables."""

from __future__ import annotations

from suite_runner import run_suites

SUITE = """
*** Settings ***
Library    crosscheck.Repos

*** Test Cases ***
Repositories Do Not Import Each Other
    [Tags]    checkpoint2
    Use Repositories    {base}    shared=sample_shared
    Repositories Should Not Import Each Other

A Cross Import Is Caught
    [Tags]    checkpoint2
    Use Repositories    {base}    shared=sample_shared
    Run Keyword And Expect Error    *sample_producer/leak.py:1 (sample_producer.leak) imports sample_consumer*
    ...    Repositories Should Not Import Each Other

Resources Are Not Shared
    [Tags]    checkpoint2
    Use Repositories    {base}    shared=sample_shared
    Repositories Should Not Share Resources
"""


def test_a_checkpoint2_suite_runs_in_robot(repos, tmp_path):
    repos("shared", "sample_shared")
    repos(
        "producer",
        "sample_producer",
        files={"{pkg}/leak.py": "import sample_consumer\n", "config/p.toml": "port = 8101\n"},
    )
    repos("consumer", "sample_consumer", files={"config/c.toml": "port = 8102\n"})
    suite = tmp_path / "checkpoint2.robot"
    suite.write_text(SUITE.format(base=repos.base))
    run = run_suites(tmp_path, suite, timeout=120)
    assert run.statuses == {
        "Repositories Do Not Import Each Other": "FAIL",
        "A Cross Import Is Caught": "PASS",
        "Resources Are Not Shared": "PASS",
    }, run.describe()
    assert (
        "producer -> consumer: producer/sample_producer/leak.py:1"
        in run.messages["Repositories Do Not Import Each Other"]
    )
    log = run.output.read_text()  # what log.html shows
    assert "import-linter contracts on" in log and "claims of 2 repositories" in log
