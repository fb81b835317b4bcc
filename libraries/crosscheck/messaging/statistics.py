"""Delivery statistics, pure computation: received vs expected, success rate, latency
percentiles, order, duplicates (by seq and by content).

Nothing here touches Redis or Robot Framework: :func:`compute` takes received messages
(anything with ``is_json``, ``payload``, ``mono`` and ``wall``) and what this library
published, so it is tested on its own (``tests/messaging/test_messaging_statistics.py``).
"""

from __future__ import annotations

import bisect
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from crosscheck.errors import ConfigurationError
from crosscheck.reporting import summary

TAG_FIELD = "cc"  # the run tag of messages this library stamps
PROBE_FIELD = "cc_probe"  # recovery probes, never counted
STATISTICS = ("min", "p50", "p95", "p99", "max", "mean")


@dataclass
class Published:
    """What this library published on one channel: seq ranges with send times.

    ``starts[i]`` is the first seq of batch ``i``, ``monos[i]`` its monotonic
    send time; a batch of one message is a paced publish, a batch of many is one
    pipelined chunk.
    """

    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    monos: list[float] = field(default_factory=list)
    next_seq: int = 1

    def record(self, first: int, last: int, mono: float) -> None:
        self.starts.append(first)
        self.ends.append(last)
        self.monos.append(mono)

    def sent_mono(self, seq: int) -> float | None:
        i = bisect.bisect_right(self.starts, seq) - 1
        if i >= 0 and seq <= self.ends[i]:
            return self.monos[i]
        return None

    def count_since(self, mono: float) -> int:
        return sum(e - s + 1 for s, e, m in zip(self.starts, self.ends, self.monos) if m >= mono)

    @property
    def total(self) -> int:
        return sum(e - s + 1 for s, e in zip(self.starts, self.ends))


@dataclass
class Stats:
    """Figures of one channel (or several, combined)."""

    channel: str
    received: int = 0  # messages that arrived, duplicates included
    unique: int = 0  # distinct messages (by source and seq)
    expected: int = 0
    out_of_order: int = 0
    duplicates: int = 0
    content_duplicates: int = 0  # same content as an earlier message, under another seq
    non_json: int = 0
    latencies: list[float] = field(default_factory=list)  # ms
    drops: list[str] = field(default_factory=list)  # the listener's connection losses

    @property
    def lost(self) -> int:
        return max(0, self.expected - self.unique)

    @property
    def success_rate(self) -> float:
        if self.expected <= 0:
            return 100.0 if self.unique or not self.received else 0.0
        return min(100.0, 100.0 * self.unique / self.expected)

    def latency(self, statistic: str) -> float | None:
        if not self.latencies:
            return None
        return summary(self.latencies)[statistic]

    def as_dict(self) -> dict:
        out = {
            "channel": self.channel,
            "received": self.received,
            "unique": self.unique,
            "expected": self.expected,
            "lost": self.lost,
            "success_rate": round(self.success_rate, 3),
            "out_of_order": self.out_of_order,
            "duplicates": self.duplicates,
            "content_duplicates": self.content_duplicates,
            "non_json": self.non_json,
            "latency_count": len(self.latencies),
        }
        for name in STATISTICS:
            out[f"latency_{name}_ms"] = self.latency(name)
        return out

    def figures(self) -> str:
        parts = [f"received {self.unique:,} of {self.expected:,} expected ({self.success_rate:.1f} %)"]
        if self.latencies:
            s = summary(self.latencies)
            parts.append(f"latency p50 {s['p50']:.1f} ms, p95 {s['p95']:.1f} ms, max {s['max']:.1f} ms")
        parts.append(
            f"{self.out_of_order} out of order, {self.duplicates} duplicates, "
            f"{self.content_duplicates} duplicates by content"
        )
        if self.non_json:
            parts.append(f"{self.non_json} not JSON")
        if self.drops:
            parts.append(f"the listener lost its connection {len(self.drops)} times (last: {self.drops[-1]})")
        return "; ".join(parts)


def fingerprint(payload: dict, ignore: tuple[str, ...]) -> str | None:
    """A digest of ``payload`` without the fields in ``ignore`` (seq, send time, run tag), or
    None when nothing else is left to compare. Key order does not matter."""
    rest = {k: v for k, v in payload.items() if k not in ignore}
    if not rest:
        return None
    text = json.dumps(rest, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def compute(
    messages: Iterable[Any],
    channel: str,
    *,
    seq_field: str = "seq",
    timestamp_field: str = "sent_at",
    tag: str = "",
    published: Published | None = None,
    since: float = 0.0,
    expected: int | None = None,
) -> Stats:
    """Statistics of ``channel`` as received by ``listener``.

    ``messages`` are those received on ``channel``; ``tag`` is this library's run tag and
    ``published`` what it published there, ``since`` the monotonic time the listener started.
    Own messages (stamped by `Publish Messages`) are matched to their monotonic
    send time; other messages use the payload's timestamp field (epoch seconds)
    against the wall clock at arrival. Ordering and duplicates are judged by the
    seq field per source; a message of the system under test whose content (all
    fields but seq and timestamp) equals an earlier one's under another seq is
    counted in ``content_duplicates`` (a re-send under a fresh seq). ``expected``
    defaults to what this library published on the channel while the listener ran
    plus, for other sources, the span of the seq numbers seen (first to last).
    """
    stats = Stats(channel)
    ts_field = timestamp_field
    seen: set = set()
    contents: set[str] = set()
    ignore = (seq_field, ts_field, TAG_FIELD)
    highest: dict[Any, int] = {}
    lowest: dict[Any, int] = {}
    for m in messages:
        payload = m.payload
        if not m.is_json or not isinstance(payload, dict):
            stats.received += 1
            stats.unique += 1
            stats.non_json += 1
            continue
        if PROBE_FIELD in payload:
            continue
        stats.received += 1
        source = payload.get(TAG_FIELD) or "sut"
        seq = payload.get(seq_field)
        if isinstance(seq, int) and not isinstance(seq, bool):
            key = (source, seq)
            if key in seen:
                stats.duplicates += 1
                continue
            seen.add(key)
            if source in highest and seq < highest[source]:
                stats.out_of_order += 1
            highest[source] = max(highest.get(source, seq), seq)
            lowest[source] = min(lowest.get(source, seq), seq)
        if TAG_FIELD not in payload:  # stamped messages repeat their body on purpose
            digest = fingerprint(payload, ignore)
            if digest is not None:
                if digest in contents:
                    stats.content_duplicates += 1
                contents.add(digest)
        stats.unique += 1
        sent = None
        if source == tag and published is not None and isinstance(seq, int):
            sent = published.sent_mono(seq)
        if sent is not None:
            stats.latencies.append((m.mono - sent) * 1000.0)
        else:
            ts = payload.get(ts_field)
            if isinstance(ts, (int, float)) and not isinstance(ts, bool):
                stats.latencies.append((m.wall - float(ts)) * 1000.0)
    if expected is not None:
        stats.expected = int(expected)
    else:
        own = published.count_since(since) if published is not None else 0
        others = sum(highest[s] - lowest[s] + 1 for s in highest if s != tag)
        stats.expected = own + others + (stats.unique - len(seen))
    return stats


def combine(parts: list[Stats], name: str) -> Stats:
    total = Stats(name)
    for s in parts:
        total.received += s.received
        total.unique += s.unique
        total.expected += s.expected
        total.out_of_order += s.out_of_order
        total.duplicates += s.duplicates
        total.content_duplicates += s.content_duplicates
        total.non_json += s.non_json
        total.latencies.extend(s.latencies)
    return total


def percent(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip().rstrip("%").strip())
    except ValueError:
        raise ConfigurationError(f"{value!r} is not a percentage; write e.g. 95 or 95 %.") from None
