"""Send times and request-reply matching on their own: no Redis, no Robot Framework."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from crosscheck.errors import ConfigurationError
from crosscheck.messaging.replies import RequestLog, compute_replies
from crosscheck.messaging.statistics import NO_SEQ, combine, compute
from crosscheck.messaging.timestamps import TimestampError, TimestampReader, parse_timestamp, stamp_field

T = 1714564800.0  # 2024-05-01T12:00:00Z


@pytest.mark.parametrize(
    "value, fmt, seconds",
    [
        (T, "auto", T),
        (int(T), "auto", T),
        (T * 1000 + 123, "auto", T + 0.123),
        (str(int(T * 1000)), "auto", T),
        (f"{T:.3f}", "auto", T),
        (T * 1e6, "auto", T),
        ("2024-05-01T12:00:00Z", "auto", T),
        ("2024-05-01T12:00:00.250Z", "iso", T + 0.25),
        ("2024-05-01T14:00:00+02:00", "auto", T),
        ("2024-05-01T12:00:00.123456789", "auto", T + 0.123456),  # no zone: UTC; nanoseconds cut
        ("2024-05-01 12:00:00", "auto", T),
        (T * 1000, "epoch_ms", T),
        ("1714564800000000", "epoch_us", T),
        (T, "epoch_s", T),
        (5.0, "epoch_ms", 0.005),  # declared: no guessing by magnitude
    ],
)
def test_send_times_are_read_in_every_shape(value, fmt, seconds):
    assert parse_timestamp(value, fmt) == pytest.approx(seconds, abs=1e-6)


@pytest.mark.parametrize(
    "value, fmt, reason",
    [
        ("yesterday", "auto", "'yesterday' is not an ISO-8601 time"),
        (T, "iso", "is a number, not an ISO-8601 time"),
        ("2024-05-01T12:00:00Z", "epoch_ms", "is not a number (epoch_ms)"),
        (1e20, "auto", "too large for epoch seconds, milliseconds or microseconds"),
        (True, "auto", "True is not a time"),
        ({"t": 1}, "auto", "is a dict, not a time"),
        ("2024-13-45T12:00:00", "auto", "is not an ISO-8601 time (month must be in 1..12)"),
    ],
)
def test_an_unreadable_send_time_says_why(value, fmt, reason):
    with pytest.raises(TimestampError) as err:
        parse_timestamp(value, fmt)
    assert reason in str(err.value)


def test_unknown_format_and_bad_path_are_configuration_errors():
    with pytest.raises(ConfigurationError, match=r"Unknown timestamp format 'epoch_ns'; use one of auto, iso"):
        TimestampReader("sent_at", "epoch_ns")
    with pytest.raises(ConfigurationError, match=r"Timestamp path '\$\.\[' is not a valid JSONPath"):
        TimestampReader("$.[")


def test_readers_find_fields_dotted_paths_and_jsonpaths():
    assert TimestampReader("result.date_done").read({"result": {"date_done": "2024-05-01T12:00:00"}}) == T
    assert TimestampReader("$.meta.ts", "epoch_ms").read({"meta": {"ts": T * 1000}}) == T
    assert TimestampReader("a.b").read({"a.b": T}) == T  # a key spelled as the path wins
    assert TimestampReader("sent_at").read({"other": 1}) is None
    assert stamp_field("sent_at") == "sent_at" and stamp_field("$.meta.ts") == "sent_at"


@dataclass
class Received:
    raw: str
    mono: float = 0.0
    wall: float = 0.0
    index: int = 0

    @property
    def is_json(self) -> bool:
        try:
            json.loads(self.raw)
        except ValueError:
            return False
        return True

    @property
    def payload(self):
        return json.loads(self.raw) if self.is_json else None

    def short(self, limit: int = 120) -> str:
        return self.raw[:limit]


def test_unreadable_send_times_are_counted_with_message_and_value_not_dropped():
    messages = [
        Received(json.dumps({"seq": 1, "date_done": "2024-05-01T12:00:00.010Z"}), wall=T + 0.030, index=0),
        Received(json.dumps({"seq": 2, "date_done": "soon"}), wall=T + 0.040, index=1),
        Received(json.dumps({"seq": 3}), wall=T + 0.050, index=2),
    ]
    stats = compute(messages, "results", timestamp_field=TimestampReader("date_done"))
    assert stats.latencies == [pytest.approx(20.0)]
    assert (stats.unreadable, stats.untimed) == (1, 1)
    assert stats.unreadable_text() == (
        '1 unreadable send times: #1 {"seq": 2, "date_done": "soon"}: \'soon\' is not an ISO-8601 time'
    )
    assert stats.as_dict()["unreadable_timestamps"] == 1
    assert "1 unreadable send times" in stats.figures()


def test_without_sequence_numbers_lost_messages_are_not_counted():
    stats = compute([Received('{"task": "a"}'), Received('{"task": "b"}')], "ch")
    assert not stats.counted and stats.uncounted_reason == NO_SEQ
    figures = stats.as_dict()
    assert (figures["expected"], figures["lost"], figures["success_rate"]) == (None, None, None)
    assert stats.uncounted() == f"{NO_SEQ} (2 arrived); pass expected=N when the total is known"
    counted = compute([Received('{"task": "a"}')], "ch", expected=3)
    assert counted.counted and counted.lost == 2
    nothing = compute([], "quiet")
    assert not nothing.counted and "nothing arrived" in nothing.uncounted_reason
    # a channel where nothing happened does not make its neighbours uncountable; one without seq does
    assert combine([compute([Received('{"seq": 1}')], "a"), nothing], "a, quiet").counted
    assert combine([compute([Received('{"seq": 1}')], "a"), stats], "a, ch").uncounted_reason == f"{NO_SEQ} on 'ch'"


def reply(task_id, mono, index=0, **extra):
    return Received(json.dumps({"task_id": task_id, **extra}), mono=mono, index=index)


def test_replies_are_matched_by_id_lost_late_duplicate_unmatched_and_early():
    log = RequestLog("task_id", timeout=1.0)
    for n, sent in enumerate((10.0, 10.0, 10.0, 10.0, 10.0, 20.0)):
        log.record(f"t{n}", sent)
    log.record(7, 10.0)  # an int id matches "7"
    messages = [
        reply("t0", 10.010),
        reply("t1", 10.020),
        reply("t1", 10.030),  # duplicate
        reply("t2", 11.5),  # late
        reply("nobody", 10.1),  # unmatched
        Received('{"status": "ok"}', mono=10.2, index=5),  # no id
        reply("7", 10.040),
        reply("t5", 19.0),  # before its request was recorded
    ]
    stats = compute_replies(messages, log, now=12.0)
    assert (stats.requests, stats.replied, stats.late, stats.duplicates) == (7, 3, 1, 1)
    assert (stats.unmatched, stats.without_id, stats.early, stats.pending) == (2, 1, 1, 0)
    assert stats.lost == 3 and stats.lost_ids == ["t2", "t3", "t4"]
    assert sorted(stats.latencies) == [pytest.approx(10.0), pytest.approx(20.0), pytest.approx(40.0)]
    assert "(id 'nobody' was not requested)" in stats.unmatched_examples[0]
    assert "(no id at 'task_id')" in stats.unmatched_examples[1]
    waiting = compute_replies([], log, now=10.5)
    assert waiting.pending == 7 and waiting.lost == 0


def test_request_log_refuses_bad_ids_and_timeouts():
    with pytest.raises(ConfigurationError, match="reply timeout must be above zero"):
        RequestLog("task_id", 0)
    with pytest.raises(ConfigurationError, match=r"A request id must be text or a number, got \{'a': 1\}"):
        RequestLog().record({"a": 1}, 1.0)
    log = RequestLog()
    log.record("x", 1.0)
    log.record("x", 2.0)
    assert log.sent == {"x": 1.0} and log.resent == ["x"]
