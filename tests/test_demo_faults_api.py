"""The API-contract and search suites catch the faults seeded into the demo's API.

Each test runs a ready suite against a demo started with one fault
(``GATEWAY_FAULTS`` and the like, see ``demo_shared/faults.py``) in a robot process with an
embedded stack of its own, and asserts that the suite fails with a message naming the
operation, field, status or figures that are wrong. The first test runs the same suites
against the healthy demo: they pass, so each failure below is the fault's doing.
"""

from __future__ import annotations

import pytest

from suite_runner import run_suites

API_CONTRACTS = "01_day1_individual/api_contracts.robot"
DEMO_SEARCH = "01_day1_individual/vectors_demo_search.robot"
POOLING = "02_day2_paired/api_keys_and_pooling.robot"
RATE_LIMITS = "02_day2_paired/rate_limits_and_workers.robot"

COMPATIBLE = "The Served Document Is Compatible With The Previous Release"
WRITE_AND_READ = "A Universe Written And Read Through The API Answers As Documented"
HEALTH = "Health Answers As Documented"
DIFFERENT_NORMS = "The API Ranks Documents Of Different Norms By The Declared Distance"
BURST = "A Burst Of Keyed Requests Is Counted And The Pool Returns To Idle"


def only_failure(run, name: str) -> str:
    assert run.rc != 0, run.describe()
    assert name in run.failed, run.describe()
    return run.failed[name]


@pytest.mark.slow
def test_the_suites_pass_against_the_healthy_demo(tmp_path):
    run = run_suites(tmp_path, API_CONTRACTS, DEMO_SEARCH, POOLING, RATE_LIMITS)
    assert run.rc == 0 and run.statuses, run.describe()
    assert set(run.statuses.values()) == {"PASS"}, run.describe()
    for name in (COMPATIBLE, WRITE_AND_READ, HEALTH, DIFFERENT_NORMS, BURST):
        assert run.statuses.get(name) == "PASS", run.describe()


def test_a_request_field_made_required_fails_the_compatibility_check(tmp_path):
    run = run_suites(tmp_path, API_CONTRACTS, faults="api-field-required", tests=[COMPATIBLE])
    message = only_failure(run, COMPATIBLE)
    assert "1 breaking change from crosscheck demo API gateway 1.0.0 to crosscheck demo API gateway 1.1.0" in message
    assert "POST /v1/search request body $.top_k: became required" in message


def test_a_success_status_the_document_does_not_list_fails_the_contract_check(tmp_path):
    run = run_suites(tmp_path, API_CONTRACTS, faults="api-status-201", tests=[WRITE_AND_READ])
    message = only_failure(run, WRITE_AND_READ)
    assert (
        "PUT /v1/universes/TEST_" in message
        and "-> 201 (crosscheck demo API gateway 1.0.0) does not match its contract" in message
    ), message
    assert "status: expected one of the documented statuses" in message and "got 201" in message, message


def test_a_search_ranking_with_another_distance_fails_the_exact_search_check(tmp_path):
    run = run_suites(tmp_path, DEMO_SEARCH, faults="search-wrong-distance", tests=[DIFFERENT_NORMS])
    message = only_failure(run, DIFFERENT_NORMS)
    assert "/v1/search ranked ['doc-etf-basics', 'TEST_norm_short'" in message, message
    assert "an exact cosine search of the documents table ['TEST_norm_long', 'doc-etf-basics'" in message, message


def test_health_answering_500_names_the_status_and_the_body(tmp_path):
    run = run_suites(tmp_path, API_CONTRACTS, faults="health-500", tests=[HEALTH])
    message = only_failure(run, HEALTH)
    assert "GET /health answered HTTP 500" in message, message
    assert "health check crashed" in message, message  # the start of the body
    assert "expected HTTP 200" in message, message


@pytest.mark.slow  # the waiting requests give up after the pool's 30 s
def test_a_leaking_pool_is_reported_with_the_pool_figures(tmp_path):
    run = run_suites(tmp_path, POOLING, faults="pool-leak", tests=[BURST])
    message = only_failure(run, BURST)
    assert "POST /v1/search" in message, message
    assert "the API's connection pool: 30 in use" in message, message
    assert "(size 20 + overflow 10 = 30)" in message and "the pool is exhausted" in message, message
    assert "Postgres: 30 connections of crosscheck-demo-api" in message, message
    assert "Check that the API is running" not in message, message
