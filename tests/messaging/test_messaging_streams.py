"""crosscheck.Messaging streams and resilience keywords against a real Redis."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest

from crosscheck.assertions import AssertionOperator
from crosscheck.errors import ConfigurationError, CrosscheckError

EQ = AssertionOperator("==")
LE = AssertionOperator("<=")


def test_consumer_group_read_acknowledge_pending(lib):
    stream = lib.test_key("stream:tickstock.universe.updated")
    lib.create_consumer_group(stream, "tickstock-app", start="0")
    with pytest.raises(CrosscheckError, match="Consumer group 'tickstock-app' already exists"):
        lib.create_consumer_group(stream, "tickstock-app")
    lib.add_stream_entries(stream, 20, body={"universe": "TEST_u"})
    entries = lib.read_as_consumer(stream, "tickstock-app", "worker-1", count=15)
    assert [e["payload"]["seq"] for e in entries] == list(range(1, 16))
    assert lib.get_pending_count(stream, "tickstock-app", EQ, 15) == 15
    assert lib.acknowledge_entries(stream, "tickstock-app", *entries[:10]) == 10
    assert lib.get_pending_count(stream, "tickstock-app", consumer="worker-1") == 5
    with pytest.raises(AssertionError, match="Pending entries of group 'tickstock-app' on stream"):
        lib.get_pending_count(stream, "tickstock-app", EQ, 0)
    with pytest.raises(CrosscheckError, match="No consumer group 'nope' on stream"):
        lib.read_as_consumer(stream, "nope", "w")


def test_stale_entries_are_claimed_by_another_consumer(lib):
    stream = lib.test_key("claims")
    lib.create_consumer_group(stream, "g", start="0")
    lib.add_stream_entries(stream, 5)
    lib.read_as_consumer(stream, "g", "crashed")
    time.sleep(0.25)
    claimed = lib.claim_stale_entries(stream, "g", "rescuer", min_idle=timedelta(milliseconds=200))
    assert len(claimed) == 5
    assert lib.get_pending_count(stream, "g", consumer="rescuer") == 5


def test_offline_consumer_catches_up_on_everything(lib):
    stream = lib.test_key("offline")
    lib.create_consumer_group(stream, "g")
    lib.add_stream_entries(stream, 10)
    first = lib.read_as_consumer(stream, "g", "worker", count=4)  # read, then goes away unacked
    lib.add_stream_entries(stream, 300)  # published while it is away
    caught = lib.catch_up_as_consumer(stream, "g", "worker")
    assert [e["payload"]["seq"] for e in caught] == [e["payload"]["seq"] for e in first] + list(range(5, 311))
    assert lib.get_pending_count(stream, "g", EQ, 0) == 0
    assert lib.get_stream_loss(stream, "g", EQ, 0) == 0


def test_entries_trimmed_by_maxlen_are_reported_as_loss(lib):
    stream = lib.test_key("trimmed")
    lib.create_consumer_group(stream, "g")
    lib.add_stream_entries(stream, 500, maxlen=100)
    caught = lib.catch_up_as_consumer(stream, "g", "late")
    assert len(caught) == 100
    assert lib.get_stream_length(stream, EQ, 100) == 100
    with pytest.raises(AssertionError) as err:
        lib.get_stream_loss(stream, "g", EQ, 0)
    assert f"Entries of stream {stream!r} lost to trimming before group 'g' read them (500 added) '400'" in str(
        err.value
    )


def test_stream_entries_are_read_without_a_group_and_trimmed_exactly(lib):
    stream = lib.test_key("stream:tickstock.cache.sync_complete")
    lib.create_consumer_group(stream, "g")
    lib.add_stream_entries(stream, 10, body={"task": "eod_cache_sync"})
    oldest = lib.get_stream_entries(stream, 3)
    newest = lib.get_stream_entries(stream, 3, newest=True)
    assert [e["payload"]["seq"] for e in oldest] == [1, 2, 3]
    assert [e["payload"]["seq"] for e in newest] == [8, 9, 10]
    everything = lib.get_stream_entries(stream, 100)
    assert lib.trim_stream(stream, minid=everything[4]["id"]) == 4  # entries 1-4 go
    assert [e["payload"]["seq"] for e in lib.get_stream_entries(stream)] == list(range(5, 11))
    assert lib.trim_stream(stream, maxlen=2) == 4
    caught = lib.catch_up_as_consumer(stream, "g", "late")
    assert [e["payload"]["seq"] for e in caught] == [9, 10]
    with pytest.raises(AssertionError, match=r"lost to trimming before group 'g' read them \(10 added\) '8'"):
        lib.get_stream_loss(stream, "g", EQ, 0)
    assert lib.get_stream_entries(lib.test_key("no-such-stream")) == []


def test_trim_stream_needs_exactly_one_bound(lib):
    stream = lib.test_key("trim-args")
    with pytest.raises(ConfigurationError, match="Trim Stream needs exactly one of maxlen and minid"):
        lib.trim_stream(stream)
    with pytest.raises(ConfigurationError, match="Trim Stream needs exactly one of maxlen and minid"):
        lib.trim_stream(stream, maxlen=1, minid="0-1")
    with pytest.raises(CrosscheckError, match=f"Could not trim stream {stream!r}"):
        lib.trim_stream(stream, minid="not-an-id")


def test_listener_recovers_after_its_connection_is_killed_and_gap_is_lost(lib):
    channel = lib.test_channel("tickstock.universe.updated")
    stream = lib.test_key("stream:gap")
    lib.create_consumer_group(stream, "g")
    lib.start_listening(channel)
    lib.publish_messages(channel, 10)
    assert lib.interrupt_redis(mode="kill", offline=timedelta(milliseconds=800)) == "kill"
    time.sleep(0.2)
    lib.publish_messages(channel, 25)  # nobody subscribed: lost for pub-sub
    lib.add_stream_entries(stream, 25)  # kept for streams
    recovery = lib.get_recovery_time(LE, "5 s")
    assert 0.5 < recovery < 5
    lib.publish_messages(channel, 10)
    stats = lib.get_delivery_statistics(channel)
    assert (stats["expected"], stats["unique"], stats["lost"]) == (45, 20, 25)
    with pytest.raises(CrosscheckError) as err:
        lib.delivery_should_meet_targets(channel, latency="10 s")
    assert "success rate 44.4 % < 95 % (20 of 45 arrived, 25 lost)" in str(err.value)
    assert "the listener lost its connection 1 times (last: " in str(err.value)
    assert len(lib.catch_up_as_consumer(stream, "g", "back")) == 25


def test_recovery_without_a_fault_or_in_time_fails(lib):
    with pytest.raises(CrosscheckError, match="No fault to recover from"):
        lib.get_recovery_time()
    lib.start_listening(lib.test_channel("slow"))
    lib.interrupt_redis(mode="kill", offline=timedelta(seconds=3))
    with pytest.raises(
        CrosscheckError, match=r"Listeners 'listener1' did not receive again within 0.5 s after the Redis kill"
    ):
        lib.get_recovery_time(timeout=timedelta(milliseconds=500))


@pytest.mark.skipif(bool(os.environ.get("CROSSCHECK_REDIS_URL")), reason="restarts only the embedded Redis")
def test_listener_recovers_after_embedded_redis_restart(lib):
    channel = lib.test_channel("restart")
    lib.start_listening(channel)
    assert lib.interrupt_redis() == "restart"
    assert lib.get_recovery_time(LE, "5 s") < 5
    lib.publish_messages(channel, 5)
    assert lib.get_received_count(EQ, 5, channel=channel) == 5


def test_server_gone_mid_test_fails_with_one_line_naming_it(make_lib, tmp_path):
    from crosscheck.errors import ServiceUnavailable
    from crosscheck.ports import free_port
    from crosscheck.stack.servers import RedisServer

    server = RedisServer(free_port(), tmp_path, tmp_path)
    server.start()
    lib = make_lib()
    try:
        lib.connect_to_redis(server.url)
        channel = lib.test_channel("gone")
        lib.start_listening(channel)
        lib.interrupt_redis(mode="kill")
        server.stop()
        started = time.monotonic()
        with pytest.raises(CrosscheckError, match=r"did not receive again within 0.3 s .*last errors: listener1: "):
            lib.get_recovery_time(timeout=timedelta(milliseconds=300))
        gone = rf"^Redis at {server.url} refused the connection \(nothing listens there\) \(.*\): start it"
        with pytest.raises(ServiceUnavailable, match=gone):
            lib.publish_messages(channel, 10)
        with pytest.raises(ServiceUnavailable, match=gone):
            lib.add_stream_entry(lib.test_key("s"), payload="x")
        with pytest.raises(ServiceUnavailable, match=gone):
            lib.interrupt_redis(mode="kill")
        assert time.monotonic() - started < 10
    finally:
        server.stop()
