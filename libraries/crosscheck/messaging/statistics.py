"""Delivery statistics, pure computation: received vs expected, success rate, latency
percentiles, order, duplicates (by seq and by content), unreadable send times.

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
from crosscheck.messaging.timestamps import TimestampReader, Unreadable
from crosscheck.reporting import summary

TAG_FIELD = "cc"  # the run tag of messages this library stamps
PROBE_FIELD = "cc_probe"  # recovery probes, never counted
STATISTICS = ("min", "p50", "p95", "p99", "max", "mean")
SHOWN = 5  # unreadable timestamps quoted in a message
NO_SEQ = "no sequence numbers: lost messages cannot be counted"


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
    unreadable: int = 0  # messages whose send time is there but cannot be read
    unreadable_examples: list[str] = field(default_factory=list)  # the first few, with message and value
    untimed: int = 0  # JSON messages of the system under test without a send time
    counted: bool = True  # False: expected (and so lost, success rate) cannot be known
    uncounted_reason: str = ""
    timestamp: str = "sent_at"  # where and how send times were read, for messages

    @property
    def lost(self) -> int:
        return max(0, self.expected - self.unique)

    @property
    def success_rate(self) -> float:
        if self.expected <= 0:
            return 100.0 if self.unique or not self.received else 0.0
        return min(100.0, 100.0 * self.unique / self.expected)

    def uncounted(self) -> str:
        """Why lost messages cannot be counted, with what arrived and the fix."""
        return f"{self.uncounted_reason} ({self.unique:,} arrived); pass expected=N when the total is known"

    def unreadable_text(self) -> str:
        """``3 unreadable send times: #2 on 'c' {"date_done": "soon"}: 'soon' is not an ISO-8601 time; ...``."""
        more = f"; {self.unreadable - len(self.unreadable_examples):,} more" if self.unreadable > SHOWN else ""
        return f"{self.unreadable:,} unreadable send times: {'; '.join(self.unreadable_examples)}{more}"

    def latency(self, statistic: str) -> float | None:
        if not self.latencies:
            return None
        return summary(self.latencies)[statistic]

    def as_dict(self) -> dict:
        out = {
            "channel": self.channel,
            "received": self.received,
            "unique": self.unique,
            "expected": self.expected if self.counted else None,
            "lost": self.lost if self.counted else None,
            "success_rate": round(self.success_rate, 3) if self.counted else None,
            "uncounted_reason": None if self.counted else self.uncounted_reason,
            "out_of_order": self.out_of_order,
            "duplicates": self.duplicates,
            "content_duplicates": self.content_duplicates,
            "non_json": self.non_json,
            "latency_count": len(self.latencies),
            "unreadable_timestamps": self.unreadable,
            "untimed": self.untimed,
        }
        for name in STATISTICS:
            out[f"latency_{name}_ms"] = self.latency(name)
        return out

    def figures(self) -> str:
        if self.counted:
            parts = [f"received {self.unique:,} of {self.expected:,} expected ({self.success_rate:.1f} %)"]
        else:
            parts = [f"received {self.unique:,} ({self.uncounted_reason})"]
        if self.latencies:
            s = summary(self.latencies)
            parts.append(f"latency p50 {s['p50']:.1f} ms, p95 {s['p95']:.1f} ms, max {s['max']:.1f} ms")
        parts.append(
            f"{self.out_of_order} out of order, {self.duplicates} duplicates, "
            f"{self.content_duplicates} duplicates by content"
        )
        if self.non_json:
            parts.append(f"{self.non_json} not JSON")
        if self.unreadable:
            parts.append(self.unreadable_text())
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
    timestamp_field: str | TimestampReader = "sent_at",
    tag: str = "",
    published: Published | None = None,
    since: float = 0.0,
    expected: int | None = None,
) -> Stats:
    """Statistics of ``channel`` as received by ``listener``.

    ``messages`` are those received on ``channel``; ``tag`` is this library's run tag and
    ``published`` what it published there, ``since`` the monotonic time the listener started.
    Own messages (stamped by `Publish Messages`) are matched to their monotonic
    send time; other messages use the payload's timestamp field (a field name or JSONPath,
    read by :class:`~crosscheck.messaging.timestamps.TimestampReader`: epoch s, ms, us or
    ISO-8601) against the wall clock at arrival; a send time that cannot be read is counted
    in ``unreadable`` with the message and the value. Ordering and duplicates are judged by the
    seq field per source; a message of the system under test whose content (all
    fields but seq and timestamp) equals an earlier one's under another seq is
    counted in ``content_duplicates`` (a re-send under a fresh seq). ``expected``
    defaults to what this library published on the channel while the listener ran
    plus, for other sources, the span of the seq numbers seen (first to last). When neither
    exists (no ``expected``, nothing published here by this library, no seq in any message),
    lost messages cannot be counted: ``counted`` is False and ``uncounted_reason`` says why.
    """
    stats = Stats(channel)
    reader = timestamp_field if isinstance(timestamp_field, TimestampReader) else TimestampReader(timestamp_field)
    ts_field = reader.path
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
            continue
        ts = reader.read(payload)
        if isinstance(ts, Unreadable):
            stats.unreadable += 1
            if len(stats.unreadable_examples) < SHOWN:
                stats.unreadable_examples.append(_unreadable(m, ts))
        elif ts is not None:
            stats.latencies.append((m.wall - ts) * 1000.0)
        elif source != tag:
            stats.untimed += 1
    if expected is not None:
        stats.expected = int(expected)
    else:
        own = published.count_since(since) if published is not None else 0
        others = sum(highest[s] - lowest[s] + 1 for s in highest if s != tag)
        stats.expected = own + others + (stats.unique - len(seen))
        if not own and not seen:
            stats.counted = False
            stats.uncounted_reason = (
                NO_SEQ if stats.unique else "nothing arrived and nothing was published here by this library"
            )
    return stats


def _unreadable(message: Any, problem: Unreadable) -> str:
    """``#3 on 'c' {"date_done": "soon"}: 'soon' is not an ISO-8601 time``: the message and the value."""
    index = getattr(message, "index", None)
    channel = getattr(message, "channel", None)
    short = getattr(message, "short", None)
    text = short(100) if callable(short) else str(getattr(message, "raw", ""))[:100]
    label = f"#{index}" if index is not None else "message"
    where = f" on {channel!r}" if channel else ""
    return f"{label}{where} {text}: {problem.reason}"


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
        total.unreadable += s.unreadable
        total.unreadable_examples.extend(s.unreadable_examples[: max(0, SHOWN - len(total.unreadable_examples))])
        total.untimed += s.untimed
        if not s.counted and s.uncounted_reason == NO_SEQ and total.counted:
            total.counted, total.uncounted_reason = False, f"{NO_SEQ} on {s.channel!r}"
    if parts and all(not s.counted for s in parts) and total.counted:
        total.counted, total.uncounted_reason = False, parts[0].uncounted_reason
    return total


def percent(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip().rstrip("%").strip())
    except ValueError:
        raise ConfigurationError(f"{value!r} is not a percentage; write e.g. 95 or 95 %.") from None
