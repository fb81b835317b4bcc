"""The day-3 resilience suites catch a demo that does not reconnect, naming the service, the target and
the time measured; and no proxy process is left after a run, passed or failed."""

from __future__ import annotations

from suite_runner import run_suites

REDIS_SUITE = "03_day3_full_stack/resilience_redis.robot"
POSTGRES_SUITE = "03_day3_full_stack/resilience_postgres.robot"
QUICK = {"RECOVERY_TIMEOUT": "8 s"}  # give up sooner than the suites' 30 s on a demo that never recovers


def test_a_consumer_that_does_not_reconnect_fails_the_redis_recovery_check(tmp_path):
    run = run_suites(
        tmp_path,
        REDIS_SUITE,
        faults="consumer-no-reconnect",
        tests=["The Consumer Reconnects, Loses The Gap's Pub-Sub Messages And Catches Up From The Stream"],
        variables=QUICK,
    )
    assert run.rc == 1, run.describe()
    (message,) = run.failed.values()
    assert message.startswith("redis did not recover (target 5 s)"), run.describe()
    assert "still failed 8 s after cut of proxy 'redis' was cleared" in message
    assert not run.left_running("crosscheck.faults.proxy")


def test_a_pool_that_does_not_reconnect_fails_the_database_recovery_check(tmp_path):
    run = run_suites(
        tmp_path,
        POSTGRES_SUITE,
        faults="pool-no-reconnect",
        tests=["The Demo's Pool Recovers From An Abrupt Postgres Stop Within The Target"],
        variables=QUICK,
    )
    assert run.rc == 1, run.describe()
    (message,) = run.failed.values()
    assert message.startswith("postgres did not recover within 8 s after postgres stopped"), run.describe()
    assert "target <= 10 s" in message and "probe 'read' never succeeded" in message
    assert "HTTP 503" in message  # the demo's own answer, as the probe last saw it
    assert not run.left_running("crosscheck.faults.proxy")


def test_the_healthy_demo_passes_both_suites_and_leaves_no_proxy_or_toxic(tmp_path):
    run = run_suites(tmp_path, REDIS_SUITE, POSTGRES_SUITE)
    assert run.rc == 0, run.describe()
    assert len(run.statuses) == 9 and set(run.statuses.values()) == {"PASS"}
    assert not run.left_running("crosscheck.faults.proxy")
