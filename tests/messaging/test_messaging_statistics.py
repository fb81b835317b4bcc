"""The delivery statistics engine on its own: no Redis, no Robot Framework, no listener."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from crosscheck.errors import ConfigurationError
from crosscheck.messaging.statistics import Published, combine, compute, fingerprint, percent


@dataclass
class Received:
    """What compute reads of a received message."""

    raw: str
    mono: float = 0.0
    wall: float = 0.0

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


def sut(seq, sent_at, arrived, **body):
    return Received(json.dumps({"seq": seq, "sent_at": sent_at, **body}), mono=0.0, wall=arrived)


def test_gaps_reordering_and_duplicates_of_the_system_under_test():
    messages = [
        sut(1, 10.0, 10.010),
        sut(3, 10.0, 10.020),
        sut(2, 10.0, 10.030),
        sut(3, 10.0, 10.040),
        sut(6, 10.0, 10.050),
    ]
    stats = compute(messages, "ch")
    assert (stats.received, stats.unique, stats.expected) == (5, 4, 6)  # seq 1..6 spanned, 3 seen twice
    assert (stats.lost, stats.out_of_order, stats.duplicates) == (2, 1, 1)
    assert stats.success_rate == pytest.approx(100 * 4 / 6)
    assert stats.latency("max") == pytest.approx(50.0)
    assert stats.latency("min") == pytest.approx(10.0)


def test_own_messages_use_the_monotonic_send_time_and_count_what_was_published():
    published = Published()
    published.record(1, 3, mono=100.0)
    own = [Received(json.dumps({"seq": s, "sent_at": 0.0, "cc": "run1"}), mono=100.002 + s / 1000) for s in (1, 2)]
    stats = compute(own, "ch", tag="run1", published=published, since=99.0)
    assert (stats.expected, stats.unique, stats.lost) == (3, 2, 1)
    assert stats.latency("min") == pytest.approx(3.0) and stats.latency("max") == pytest.approx(4.0)
    assert published.total == 3 and published.count_since(100.5) == 0


def test_content_resent_under_another_seq_and_non_json_and_probes():
    messages = [
        sut(1, 1.0, 1.0, universe="a"),
        sut(2, 2.0, 2.0, universe="a"),
        Received("not json"),
        Received('{"cc_probe": true}'),
    ]
    stats = compute(messages, "ch")
    assert (stats.content_duplicates, stats.non_json, stats.received) == (1, 1, 3)
    assert fingerprint({"seq": 1, "a": 1, "b": 2}, ("seq",)) == fingerprint({"b": 2, "a": 1, "seq": 9}, ("seq",))
    assert fingerprint({"seq": 1}, ("seq",)) is None


def test_combined_figures_and_expected_override():
    a = compute([sut(1, 0.0, 0.001)], "a")
    b = compute([sut(1, 0.0, 0.002), sut(2, 0.0, 0.003)], "b", expected=4)
    total = combine([a, b], "a, b")
    assert (total.unique, total.expected, total.lost) == (3, 5, 2)
    assert len(total.latencies) == 3


def test_percentages_accept_a_percent_sign_and_refuse_words():
    assert percent("95 %") == 95.0 and percent(99) == 99.0
    with pytest.raises(ConfigurationError, match="'most' is not a percentage"):
        percent("most")
