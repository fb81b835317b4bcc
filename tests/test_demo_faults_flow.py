"""The day 3 data-flow suite catches the faults seeded into the demo's producer and consumer.

Each test runs ``redis_demo_flows.robot`` (only the tests concerned) against a demo started
with one fault (``GATEWAY_FAULTS`` and the like, see ``demo_shared/faults.py``) in a robot
process with an embedded stack of its own, and asserts that the suite fails with a message
naming the channel, stream, group or table and the figures. The first test runs the same
tests against the healthy demo: they pass, so each failure below is the fault's doing.
"""

from __future__ import annotations

import re

from suite_runner import run_suites

FLOWS = "03_day3_full_stack/redis_demo_flows.robot"

DELIVERY = "Producer Messages Reach A Subscriber Within The Delivery Target"
PRODUCER_ROW = "A Message From The Demo Producer Becomes The Row The Consumer Writes"
API_ROW = "An Update Through The API Becomes The Row And The Message On Its Channel"
CATCH_UP = "The Demo Consumer Catches Up After Being Offline And Loses Only What Trimming Removed"


def only_failure(run, name: str) -> str:
    assert run.rc != 0, run.describe()
    assert name in run.failed, run.describe()
    return run.failed[name]


def test_the_data_flow_checks_pass_against_the_healthy_demo(tmp_path):
    run = run_suites(tmp_path, FLOWS, tests=[DELIVERY, PRODUCER_ROW, API_ROW, CATCH_UP])
    assert run.rc == 0, run.describe()
    assert run.statuses == {name: "PASS" for name in (DELIVERY, PRODUCER_ROW, API_ROW, CATCH_UP)}, run.describe()


def test_a_consumer_that_does_not_write_fails_the_row_check(tmp_path):
    run = run_suites(tmp_path, FLOWS, faults="consumer-skips-writes", tests=[PRODUCER_ROW])
    message = only_failure(run, PRODUCER_ROW)
    assert re.search(
        r"cache_entries has no etf_universe row 'TEST_\S+' for the message seq \d+ on "
        r"tickstock\.universe\.updated \(symbols \[",
        message,
    ), message
    assert "the update was not written" in message, message


def test_a_producer_that_skips_messages_without_a_gap_fails_the_count_asked_for(tmp_path):
    run = run_suites(tmp_path, FLOWS, faults="producer-skips-silently", tests=[DELIVERY])
    message = only_failure(run, DELIVERY)
    assert "Received count on channel 'tickstock.cache.sync_complete'" in message, message
    assert "'180'" in message and "'200'" in message, message


def test_a_producer_that_resends_under_a_fresh_seq_fails_the_duplicate_check(tmp_path):
    run = run_suites(tmp_path, FLOWS, faults="producer-resends", tests=[DELIVERY])
    message = only_failure(run, DELIVERY)
    assert "Delivery on channel 'tickstock.cache.sync_complete' missed its targets" in message, message
    assert "20 duplicates by content (same fields under another seq)" in message, message
    assert "received 200 of 200 expected" in message and "0 duplicates, 20 duplicates by content" in message, message


def test_a_consumer_that_does_not_catch_up_fails_the_offline_check(tmp_path):
    run = run_suites(tmp_path, FLOWS, faults="consumer-no-catch-up", tests=[CATCH_UP])
    message = only_failure(run, CATCH_UP)
    assert (
        "The demo's consumer (group tickstock-app) did not catch up on stream:tickstock.cache.sync_complete: "
        "processed 0 of the 15 entries left after trimming (20 published while it was offline, 5 trimmed, "
        "0 received by pub-sub); lost 20, trimming removed 5"
    ) in message, message


def test_an_api_that_announces_the_old_state_fails_the_message_check(tmp_path):
    run = run_suites(tmp_path, FLOWS, faults="api-stale-announcement", tests=[API_ROW])
    message = only_failure(run, API_ROW)
    assert re.search(
        r"The message seq \d+ on tickstock\.universe\.updated differs from the update: "
        r"symbols: message \[\], sent \['XLF', 'XLK', 'XLE'\]; count: message 0, sent 3",
        message,
    ), message
