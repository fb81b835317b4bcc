"""The message shapes real systems use, against a real Redis: send times in ISO-8601 and epoch
s/ms at a path, unreadable ones reported, per-pattern statistics, honest expected counts."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from crosscheck.assertions import AssertionOperator, MissingTimeUnit
from crosscheck.errors import ConfigurationError, CrosscheckError

EQ, LT, GE = AssertionOperator("=="), AssertionOperator("<"), AssertionOperator(">=")


def iso(seconds_ago: float = 0.0, zone: str = "Z") -> str:
    moment = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S.%f")
    return text + zone


def test_task_results_with_iso_date_done_give_latency_percentiles(lib, raw):
    channel = lib.test_channel("celery.results")
    lib.start_listening(channel, timestamp_field="result.date_done")
    for n in range(1, 21):
        zone = "Z" if n % 2 else ""  # with and without a zone (UTC)
        body = {"task_id": f"t{n}", "status": "SUCCESS", "result": {"date_done": iso(0.05, zone)}}
        raw.publish(channel, json.dumps(body))
    stats = lib.get_delivery_statistics(channel)
    assert stats["latency_count"] == 20 and stats["unreadable_timestamps"] == 0
    assert 40 < stats["latency_p50_ms"] < 1000, stats
    assert lib.get_delivery_latency("p95", LT, "2 s", channel=channel) > 40


def test_epoch_seconds_and_milliseconds_are_told_apart_by_magnitude(lib, raw):
    channel = lib.test_channel("epochs")
    lib.start_listening(channel, timestamp_field="$.meta.ts")
    now = time.time()
    raw.publish(channel, json.dumps({"meta": {"ts": now - 0.1}}))  # seconds
    raw.publish(channel, json.dumps({"meta": {"ts": int((now - 0.1) * 1000)}}))  # milliseconds
    raw.publish(channel, json.dumps({"meta": {"ts": str(int((now - 0.1) * 1000))}}))  # a numeric string
    stats = lib.get_delivery_statistics(channel)
    assert stats["latency_count"] == 3
    assert 90 < stats["latency_min_ms"] and stats["latency_max_ms"] < 2000, stats


def test_a_declared_format_is_used_and_the_library_default_applies(make_lib, redis_url, raw):
    lib = make_lib(timestamp_field="sent", timestamp_format="epoch_ms")
    lib.connect_to_redis(redis_url)
    channel = lib.test_channel("declared")
    lib.start_listening(channel)
    raw.publish(channel, json.dumps({"sent": int(time.time() * 1000) - 100}))
    assert lib.get_delivery_latency("max", channel=channel) > 90
    with pytest.raises(ConfigurationError, match="Unknown timestamp format 'ms'"):
        lib.start_listening(channel, timestamp_format="ms")


def test_an_unreadable_timestamp_is_counted_reported_and_fails_the_targets(lib, raw):
    channel = lib.test_channel("results")
    lib.start_listening(channel, timestamp_field="date_done")
    raw.publish(channel, json.dumps({"seq": 1, "date_done": iso()}))
    raw.publish(channel, json.dumps({"seq": 2, "date_done": "not-a-date"}))
    raw.publish(channel, json.dumps({"seq": 3, "date_done": iso()}))
    stats = lib.get_delivery_statistics(channel)
    assert stats["unreadable_timestamps"] == 1 and stats["latency_count"] == 2
    with pytest.raises(CrosscheckError) as err:
        lib.delivery_should_meet_targets(channel, latency="10 s")
    text = str(err.value)
    assert f"Delivery on channel {channel!r} missed its targets: 1 unreadable send times: #1 on {channel!r}" in text
    assert "'not-a-date' is not an ISO-8601 time" in text and '"date_done": "not-a-date"' in text


def test_no_readable_send_time_fails_the_latency_naming_the_values(lib, raw):
    channel = lib.test_channel("unreadable")
    lib.start_listening(channel, timestamp_field="date_done", timestamp_format="iso")
    raw.publish(channel, json.dumps({"seq": 1, "date_done": 1714564800}))
    with pytest.raises(CrosscheckError) as err:
        lib.get_delivery_latency("p95", channel=channel)
    text = str(err.value)
    assert f"No latency on channel {channel!r}: 1 messages arrived, none with a readable send time" in text
    assert "'date_done (iso)' field); 1 unreadable send times" in text
    assert "1714564800 is a number, not an ISO-8601 time" in text


def test_pattern_statistics_are_per_channel(lib, raw):
    ns = lib.get_test_namespace()
    lib.start_listening(patterns=[f"{ns}.results.*"])
    a, b = f"{ns}.results.a", f"{ns}.results.b"
    for seq in (1, 2, 3, 5):  # 4 lost
        raw.publish(a, json.dumps({"seq": seq, "sent_at": time.time()}))
    lib.publish_messages(b, 10)
    per_channel = lib.get_pattern_statistics(f"{ns}.results.*")
    assert sorted(per_channel) == [a, b]
    assert (per_channel[a]["expected"], per_channel[a]["lost"], per_channel[a]["unique"]) == (5, 1, 4)
    assert (per_channel[b]["expected"], per_channel[b]["lost"]) == (10, 0)
    assert lib.get_pattern_statistics(expected={a: 6})[a]["lost"] == 2  # all patterns of the latest
    with pytest.raises(CrosscheckError, match=r"No listener is subscribed to pattern 'elsewhere\.\*'"):
        lib.get_pattern_statistics("elsewhere.*")


def test_without_sequence_numbers_the_success_rate_is_not_claimed(lib, raw):
    channel = lib.test_channel("noseq")
    lib.start_listening(channel)
    for n in range(3):
        raw.publish(channel, json.dumps({"task": n, "sent_at": time.time()}))
    assert lib.get_received_count(EQ, 3, channel=channel) == 3
    stats = lib.get_delivery_statistics(channel)
    assert (stats["success_rate"], stats["lost"], stats["expected"]) == (None, None, None)
    assert stats["uncounted_reason"] == "no sequence numbers: lost messages cannot be counted"
    reason = re.escape("no sequence numbers: lost messages cannot be counted (3 arrived); pass expected=N")
    with pytest.raises(
        CrosscheckError, match=rf"^Success rate on channel '{re.escape(channel)}' cannot be computed: {reason}"
    ):
        lib.get_success_rate(GE, 95, channel=channel)
    with pytest.raises(
        CrosscheckError, match=rf"^Lost messages on channel '{re.escape(channel)}' cannot be computed: {reason}"
    ):
        lib.get_lost_count(EQ, 0, channel=channel)
    with pytest.raises(CrosscheckError, match=rf"missed its targets: success rate unknown: {reason}"):
        lib.delivery_should_meet_targets(channel)
    assert lib.get_success_rate(EQ, 75, channel=channel, expected=4) == 75
    ns = lib.get_test_namespace()
    lib.start_listening(patterns=[f"{ns}.tasks.*"])
    raw.publish(f"{ns}.tasks.x", json.dumps({"task": 1}))
    per_channel = lib.get_pattern_statistics()
    assert per_channel[f"{ns}.tasks.x"]["uncounted_reason"] == "no sequence numbers: lost messages cannot be counted"


def test_nothing_arrived_and_nothing_published_is_no_success(lib):
    channel = lib.test_channel("silence")
    lib.start_listening(channel)
    with pytest.raises(CrosscheckError, match="cannot be computed: nothing arrived and nothing was published"):
        lib.get_success_rate(GE, 95, channel=channel)


def test_reply_latency_and_key_ttl_refuse_a_bare_number(lib):
    replies = lib.start_reply_listener(lib.test_channel("replies"))
    lib.record_request_sent(replies, "t1")
    with pytest.raises(MissingTimeUnit, match=r"^Expected value '100' for p95 reply latency for replies on channel"):
        lib.get_reply_latency(replies, "p95", LT, "100")
    key = lib.test_key("ttl")
    lib.set_key(key, "v", ttl=timedelta(minutes=1))
    with pytest.raises(MissingTimeUnit, match=rf"^Expected value '30' for TTL of key '{key}' at .* has no unit"):
        lib.get_key_ttl(key, LT, "30")
