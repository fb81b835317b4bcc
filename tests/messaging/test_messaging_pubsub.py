"""crosscheck.Messaging pub-sub keywords against a real Redis: delivery, failures, contracts."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest

from crosscheck.assertions import AssertionOperator
from crosscheck.errors import ConfigurationError, CrosscheckError, ServiceUnavailable

SECOND = timedelta(seconds=1)
EQ, GE, LT = AssertionOperator("=="), AssertionOperator(">="), AssertionOperator("<")
CONTRACT = {
    "type": "object",
    "required": ["seq", "sent_at", "universe", "symbols"],
    "properties": {
        "seq": {"type": "integer"},
        "sent_at": {"type": "number"},
        "universe": {"type": "string"},
        "symbols": {"type": "array", "items": {"type": "string"}},
    },
}


def sut_publish(raw, channel, seqs, delay=0.0, channel_for=None):
    """Publish as the system under test would: {"seq", "sent_at"}, no run tag."""
    for seq in seqs:
        raw.publish(channel_for or channel, json.dumps({"seq": seq, "sent_at": time.time() - delay}))


def test_stamped_messages_are_all_delivered_in_order(lib):
    channel = lib.test_channel("tickstock.universe.updated")
    lib.start_listening(channel)
    lib.publish_messages(channel, 300, rate="1000/s")
    stats = lib.delivery_should_meet_targets(channel, latency="1 s")
    assert stats["unique"] == stats["expected"] == 300
    assert stats["out_of_order"] == stats["duplicates"] == 0
    assert lib.get_received_count(EQ, 300, channel=channel) == 300
    assert lib.get_published_count(EQ, 300, channel=channel) == 300
    assert 0 < lib.get_delivery_latency("p50", LT, "1 s", channel=channel) < 1000


def test_message_published_right_after_start_listening_is_received(lib, raw):
    channel = lib.test_channel("first")
    lib.start_listening(channel)
    raw.publish(channel, "hello")
    assert lib.wait_for_message(channel, timeout=SECOND, value="hello")["data"] == "hello"


def test_pipelined_publish_carries_seq_and_timestamp(lib):
    channel = lib.test_channel("pipelined")
    lib.start_listening(channel)
    lib.publish_messages(channel, 2500)
    lib.publish_messages(channel, 10, body={"universe": "TEST_x"})
    assert lib.get_received_count(EQ, 2510, channel=channel) == 2510
    messages = lib.get_received_messages(channel)
    assert len(messages) == 2510
    assert [m["payload"]["seq"] for m in messages] == list(range(1, 2511))
    assert messages[-1]["payload"]["universe"] == "TEST_x"
    assert all(abs(m["payload"]["sent_at"] - time.time()) < 60 for m in messages)


def test_wait_for_message_matches_field_jsonpath_and_regex(lib, raw):
    channel = lib.test_channel("conditions")
    lib.start_listening(channel)
    raw.publish(channel, json.dumps({"universe": "a", "symbols": ["QQQ"]}))
    raw.publish(channel, json.dumps({"universe": "b", "symbols": ["SPY", "IWM"]}))
    raw.publish(channel, b"not json \xff")
    assert lib.wait_for_message(channel, SECOND, field="universe", value="b")["payload"]["universe"] == "b"
    assert lib.wait_for_message(channel, SECOND, jsonpath="$.symbols[0]", value="QQQ")["payload"]["universe"] == "a"
    assert lib.wait_for_message(channel, SECOND, regex=r"^not json")["payload"] is None


def test_wait_for_message_timeout_lists_what_arrived(lib, raw):
    channel = lib.test_channel("timeout")
    lib.start_listening(channel)
    raw.publish(channel, json.dumps({"universe": "other"}))
    raw.publish(channel, "plain text")
    with pytest.raises(CrosscheckError) as err:
        lib.wait_for_message(channel, timedelta(milliseconds=300), field="universe", value="wanted")
    text = str(err.value)
    assert f"No message on channel {channel!r} matching universe == 'wanted' within 0.3 s" in text
    assert "2 arrived" in text and "1 not JSON" in text and '"universe": "other"' in text


def test_wait_for_message_timeout_when_nothing_arrived(lib):
    channel = lib.test_channel("silent")
    lib.start_listening(channel)
    with pytest.raises(CrosscheckError, match=r"within 0.2 s; nothing arrived on"):
        lib.wait_for_message(channel, timedelta(milliseconds=200))


def test_patterns_receive_and_observed_channel_names_are_checked(lib, raw):
    ns = lib.get_test_namespace()
    lib.start_listening(patterns=[f"{ns}.tickstock.*"])
    raw.publish(f"{ns}.tickstock.universe.updated", "{}")
    raw.publish(f"{ns}.tickstock.Universe-Updated", "{}")
    lib.wait_for_message(f"{ns}.tickstock.Universe-Updated", SECOND)
    with pytest.raises(CrosscheckError) as err:
        lib.observed_channels_should_match_pattern()
    assert "1 of 2 channel names do not match" in str(err.value)
    assert "tickstock.Universe-Updated" in str(err.value)
    lib.channel_names_should_match_pattern("tickstock.universe.updated", "tickstock.cache.sync_complete")


def test_required_channels_need_a_subscriber(lib):
    listened = lib.test_channel("tickstock.universe.updated")
    nobody = lib.test_channel("tickstock.cache.sync_complete")
    lib.start_listening(listened)
    assert lib.get_subscriber_count(listened, GE, 1) == 1
    with pytest.raises(CrosscheckError, match=r"1 of 2 required channels have no subscriber .*sync_complete"):
        lib.channels_should_have_subscribers(listened, nobody)


# --- a system under test that drops, delays, reorders, duplicates or renames -----------


def test_dropped_messages_fail_naming_channel_and_figures(lib, raw):
    channel = lib.test_channel("tickstock.universe.updated")
    lib.start_listening(channel)
    sut_publish(raw, channel, [s for s in range(1, 101) if s % 10])  # every 10th dropped
    with pytest.raises(CrosscheckError) as err:
        lib.delivery_should_meet_targets(channel, expected=100)
    text = str(err.value)
    assert f"Delivery on channel {channel!r} missed its targets" in text
    assert "success rate 90.0 % < 95 % (90 of 100 arrived, 10 lost)" in text
    assert lib.get_lost_count(channel=channel, expected=100) == 10
    with pytest.raises(AssertionError, match="Success rate"):
        lib.get_success_rate(GE, 95, channel=channel, expected=100)


def test_gaps_in_sut_seq_count_as_lost_without_expected(lib, raw):
    channel = lib.test_channel("gaps")
    lib.start_listening(channel)
    sut_publish(raw, channel, [1, 2, 3, 7, 8, 9, 10])
    stats = lib.get_delivery_statistics(channel)
    assert (stats["expected"], stats["lost"]) == (10, 3)


def test_delayed_messages_fail_with_the_latency_figure(lib, raw):
    channel = lib.test_channel("tickstock.cache.sync_complete")
    lib.start_listening(channel)
    sut_publish(raw, channel, range(1, 51), delay=0.3)  # sent_at 300 ms in the past
    with pytest.raises(CrosscheckError) as err:
        lib.delivery_should_meet_targets(channel, expected=50)
    assert f"Delivery on channel {channel!r} missed its targets: p95 latency 3" in str(err.value)
    assert "ms >= target 100 ms" in str(err.value)
    with pytest.raises(AssertionError) as err:
        lib.get_delivery_latency("p95", LT, "100 ms", channel=channel)
    assert "p95 delivery latency (ms) on channel" in str(err.value) and channel in str(err.value)


def test_reordered_messages_fail_with_out_of_order_count(lib, raw):
    channel = lib.test_channel("tickstock.etf.correlation_update")
    lib.start_listening(channel)
    sut_publish(raw, channel, [1, 2, 4, 3, 5, 7, 6, 8, 9, 10])
    with pytest.raises(CrosscheckError) as err:
        lib.delivery_should_meet_targets(channel, expected=10)
    assert f"Delivery on channel {channel!r} missed its targets: 2 out of order" in str(err.value)
    assert lib.get_out_of_order_count(channel=channel) == 2
    with pytest.raises(AssertionError, match=r"Out-of-order messages on channel .* '2' \(int\) should be '0'"):
        lib.get_out_of_order_count(EQ, 0, channel=channel)


def test_duplicated_messages_fail_with_duplicate_count(lib, raw):
    channel = lib.test_channel("tickstock.cache.ipo_assignment")
    lib.start_listening(channel)
    sut_publish(raw, channel, [1, 2, 2, 3, 4, 4, 4, 5])
    with pytest.raises(CrosscheckError) as err:
        lib.delivery_should_meet_targets(channel, expected=5)
    assert f"Delivery on channel {channel!r} missed its targets: 3 duplicates" in str(err.value)
    assert lib.get_received_count(channel=channel) == 5
    with pytest.raises(AssertionError, match="Duplicate messages on channel"):
        lib.get_duplicate_count(EQ, 0, channel=channel)


def test_content_resent_under_a_fresh_seq_fails_as_duplicates_by_content(lib, raw):
    channel = lib.test_channel("tickstock.cache.sync_complete")
    lib.start_listening(channel)
    bodies = [{"task": "eod_cache_sync", "universes_updated": n} for n in (1, 2, 2, 3, 1)]  # 3rd and 5th re-sent
    for seq, body in enumerate(bodies, 1):
        raw.publish(channel, json.dumps({"seq": seq, "sent_at": time.time(), **body}))
    stats = lib.get_delivery_statistics(channel, expected=5)
    assert (stats["unique"], stats["duplicates"], stats["content_duplicates"]) == (5, 0, 2)
    with pytest.raises(CrosscheckError) as err:
        lib.delivery_should_meet_targets(channel, expected=5)
    assert (
        f"Delivery on channel {channel!r} missed its targets: 2 duplicates by content (same fields under another seq)"
    ) in str(err.value)
    assert "0 duplicates, 2 duplicates by content" in str(err.value)
    assert lib.delivery_should_meet_targets(channel, expected=5, duplicates_allowed=True)["content_duplicates"] == 2
    assert lib.get_duplicate_count(EQ, 0, channel=channel) == 0
    assert lib.get_duplicate_count(EQ, 2, channel=channel, by="content") == 2
    with pytest.raises(
        AssertionError,
        match=r"Duplicate messages by content \(same fields, another seq\) on channel "
        r".* \(5 received\) '2' \(int\) should be '0'",
    ):
        lib.get_duplicate_count(EQ, 0, channel=channel, by="content")
    assert lib.get_duplicate_count(channel=channel, by="any") == 2
    with pytest.raises(ConfigurationError, match="Unknown duplicate kind 'payload'; use seq, content or any"):
        lib.get_duplicate_count(channel=channel, by="payload")


def test_content_duplicates_ignore_seq_timestamp_key_order_and_stamped_messages(lib, raw):
    channel = lib.test_channel("tickstock.universe.updated")
    lib.start_listening(channel)
    raw.publish(channel, '{"seq": 1, "sent_at": 1.0, "universe": "TEST_a", "symbols": ["SPY"]}')
    raw.publish(channel, '{"symbols": ["SPY"], "universe": "TEST_a", "sent_at": 2.0, "seq": 2}')  # same content
    raw.publish(channel, '{"seq": 3, "sent_at": 3.0, "universe": "TEST_a", "symbols": ["QQQ"]}')
    sut_publish(raw, channel, [4, 5])  # nothing but seq and time: not compared
    lib.publish_messages(channel, 3, body={"universe": "TEST_a"})  # own stamped messages share a body
    stats = lib.get_delivery_statistics(channel, expected=8)
    assert stats["unique"] == 8 and stats["content_duplicates"] == 1, stats


def test_renamed_channel_fails_as_nothing_received(lib, raw):
    channel = lib.test_channel("tickstock.universe.updated")
    lib.start_listening(channel)
    sut_publish(raw, channel, range(1, 21), channel_for=lib.test_channel("tickstock.universe.update"))
    with pytest.raises(CrosscheckError) as err:
        lib.delivery_should_meet_targets(channel, expected=20)
    assert f"Delivery on channel {channel!r} missed its targets: success rate 0.0 % < 95 % (0 of 20" in str(err.value)


def test_non_json_payloads_fail_delivery_and_payload_checks(lib, raw):
    channel = lib.test_channel("nonjson")
    lib.start_listening(channel)
    raw.publish(channel, "definitely not json")
    msg = lib.wait_for_message(channel, SECOND)
    with pytest.raises(CrosscheckError, match=rf"Message on channel '{channel}' is not JSON .*definitely not json"):
        lib.get_message_payload(msg)
    with pytest.raises(CrosscheckError, match="1 not JSON"):
        lib.delivery_should_meet_targets(channel, expected=1, latency="10 s")


# --- contracts --------------------------------------------------------------------------


def test_schema_mismatch_names_channel_message_and_path(lib, raw, tmp_path):
    (tmp_path / "tickstock.universe.updated.json").write_text(json.dumps(CONTRACT))
    assert lib.load_channel_schemas(str(tmp_path)) == ["tickstock.universe.updated"]
    channel = lib.test_channel("tickstock.universe.updated")
    lib.start_listening(channel)
    lib.publish_messages(channel, 3, body={"universe": "TEST_u", "symbols": ["SPY"]})
    assert lib.received_messages_should_match_schema(channel) == 3
    raw.publish(channel, json.dumps({"seq": 9, "sent_at": 1.0, "universe": "TEST_u", "symbols": "SPY"}))
    raw.publish(channel, "oops")
    lib.wait_for_message(channel, SECOND, value="oops")
    with pytest.raises(CrosscheckError) as err:
        lib.received_messages_should_match_schema(channel)
    text = str(err.value)
    assert f"2 of 5 messages on channel {channel!r} break their contract" in text
    assert "#3 (seq 9)" in text and '$.symbols: expected type "array"' in text
    assert "#4 on" in text and "is not JSON" in text
    bad = lib.get_received_messages(channel)[3]
    with pytest.raises(
        CrosscheckError, match=r"Message on channel .* does not match its contract: 1 mismatch: \$\.symbols"
    ):
        lib.message_should_match_schema(bad)
    with pytest.raises(CrosscheckError, match="is not JSON"):
        lib.message_should_match_schema(lib.get_received_messages(channel)[4])


def test_missing_schema_is_a_configuration_error(lib):
    with pytest.raises(ConfigurationError, match="No schema for channel 'nowhere'"):
        lib.message_should_match_schema({"a": 1}, channel="nowhere")


# --- connections ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, problem",
    [
        ("http://127.0.0.1:6379/0", "must start with redis://, rediss:// or unix://"),
        ("redis://127.0.0.1:port/0", "is malformed (Port could not be cast"),
        ("redis://127.0.0.1:6379/fourteen", "is malformed (database 'fourteen' is not a number)"),
        ("127.0.0.1:6379", "must start with redis://"),
        ("", "must start with redis://"),
    ],
)
def test_malformed_url_names_the_problem(make_lib, url, problem):
    with pytest.raises(ConfigurationError) as err:
        make_lib().connect_to_redis(url)
    assert str(err.value).startswith("Redis URL")
    assert problem in str(err.value)


def test_unreachable_server_fails_fast_with_masked_address(make_lib):
    lib = make_lib()
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable) as err:
        lib.connect_to_redis("redis://:s3cret-pw@127.0.0.1:1/13")
    assert time.monotonic() - started < 5
    text = str(err.value)
    assert text.startswith("Redis at redis://:***@127.0.0.1:1/13 refused the connection (nothing listens there)")
    assert "s3cret-pw" not in text and "CROSSCHECK_REDIS_URL" in text


def test_database_index_comes_from_url_and_aliases_switch(make_lib, redis_url):
    base = redis_url.rsplit("/", 1)[0]
    lib = make_lib()
    lib.connect_to_redis(f"{base}/13", alias="resilience")
    lib.connect_to_redis(f"{base}/14", alias="flows")
    assert lib.get_redis_database() == 14
    assert lib.switch_redis_connection("resilience") == "flows"
    assert lib.get_redis_database() == 13
    with pytest.raises(CrosscheckError, match="No Redis connection with alias 'nope'"):
        lib.switch_redis_connection("nope")


def test_cleanup_stops_listeners_and_deletes_what_the_test_created(make_lib, redis_url, raw):
    lib = make_lib()
    lib.connect_to_redis(redis_url)
    existing = f"cc_existing_{time.time_ns()}"
    raw.xadd(existing, {"payload": "theirs"})
    lib.cleanup.push("test", "a test")
    key = lib.test_key("scratch")
    stream = lib.test_key("stream")
    raw.set(key, "x")
    lib.add_stream_entry(stream, payload={"a": 1})
    lib.add_stream_entry(existing, payload={"b": 2})
    lib.create_consumer_group(existing, "ours", start="0")
    lib.connect_to_redis(redis_url.rsplit("/", 1)[0] + "/13", alias="other")
    other_key = lib.test_key("other")
    raw13 = lib.ctx.connection("other").new_client()
    raw13.set(other_key, "y")
    lib.start_listening(lib.test_channel("c"))
    listener = lib.ctx.listener()
    try:
        scope, errors = lib.cleanup.pop()
        assert scope.name == "a test" and errors == []
        assert not listener.running
        assert raw.exists(key, stream) == 0 and raw13.exists(other_key) == 0
        assert [fields for _, fields in raw.xrange(existing)] == [{b"payload": b"theirs"}]
        assert raw.xinfo_groups(existing) == []
        assert lib.ctx.listeners == {} and "other" not in lib.ctx.connections
    finally:
        raw.delete(existing)
        raw13.close()


def test_a_cleanup_that_fails_is_reported_not_hidden(make_lib, redis_url, tmp_path):
    from crosscheck.ports import free_port
    from crosscheck.stack.servers import RedisServer

    server = RedisServer(free_port(), tmp_path, tmp_path)
    server.start()
    try:
        lib = make_lib()
        lib.connect_to_redis(redis_url)
        lib.cleanup.push("test", "a test")
        lib.connect_to_redis(server.url, alias="doomed")
        lib.add_stream_entry(lib.test_key("s"), payload="x", alias="doomed")
    finally:
        server.stop()
    _, errors = lib.cleanup.pop()
    assert errors and errors[0].startswith("stream ") and f"at {server.url}: Redis at {server.url}" in errors[0]


def test_publish_message_sends_text_bytes_and_json_unchanged(lib):
    channel = lib.test_channel("kinds")
    lib.start_listening(channel)
    assert lib.publish_message(channel, "plain") == 1
    lib.publish_message(channel, b"\x00\xffraw")
    lib.publish_message(channel, {"universe": "TEST_j", "symbols": ["SPY"]})
    lib.publish_message(channel, [1, 2, 3])
    assert lib.get_received_count(EQ, 4, channel=channel) == 4
    data = [m["data"] for m in lib.get_received_messages(channel)]
    assert data == ["plain", b"\x00\xffraw", '{"universe":"TEST_j","symbols":["SPY"]}', "[1,2,3]"]
    assert lib.get_received_messages(channel)[2]["payload"] == {"universe": "TEST_j", "symbols": ["SPY"]}
