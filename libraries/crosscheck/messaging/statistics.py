"""Delivery statistics: received vs expected, success rate, latency, order, duplicates."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from robotlibcore import keyword

from crosscheck import reporting
from crosscheck.assertions import AssertionOperator, chart_target, check, time_target, to_millis
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.messaging.core import Context
from crosscheck.messaging.publishing import TAG_FIELD

# seed 001's targets (variables/targets.py holds the same values for suites)
MESSAGE_DELIVERY_TARGET = "100 ms"
MESSAGE_SUCCESS_RATE_TARGET = 95.0
PROBE_FIELD = "cc_probe"
STATISTICS = ("min", "p50", "p95", "p99", "max", "mean")
QUIET = 0.5


@dataclass
class Stats:
    """Figures of one channel (or several, combined)."""

    channel: str
    received: int = 0           # messages that arrived, duplicates included
    unique: int = 0             # distinct messages (by source and seq)
    expected: int = 0
    out_of_order: int = 0
    duplicates: int = 0
    content_duplicates: int = 0  # same content as an earlier message, under another seq
    non_json: int = 0
    latencies: list[float] = field(default_factory=list)   # ms
    drops: list[str] = field(default_factory=list)         # the listener's connection losses

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
        return reporting.summary(self.latencies)[statistic]

    def as_dict(self) -> dict:
        out = {"channel": self.channel, "received": self.received, "unique": self.unique,
               "expected": self.expected, "lost": self.lost, "success_rate": round(self.success_rate, 3),
               "out_of_order": self.out_of_order, "duplicates": self.duplicates,
               "content_duplicates": self.content_duplicates, "non_json": self.non_json,
               "latency_count": len(self.latencies)}
        for name in STATISTICS:
            out[f"latency_{name}_ms"] = self.latency(name)
        return out

    def figures(self) -> str:
        parts = [f"received {self.unique:,} of {self.expected:,} expected ({self.success_rate:.1f} %)"]
        if self.latencies:
            s = reporting.summary(self.latencies)
            parts.append(f"latency p50 {s['p50']:.1f} ms, p95 {s['p95']:.1f} ms, max {s['max']:.1f} ms")
        parts.append(f"{self.out_of_order} out of order, {self.duplicates} duplicates, "
                     f"{self.content_duplicates} duplicates by content")
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


def compute(ctx: Context, listener, channel: str, expected: int | None = None) -> Stats:
    """Statistics of ``channel`` as received by ``listener``.

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
    seq_field, ts_field, tag = ctx.seq_field, ctx.timestamp_field, ctx.tag
    published = ctx.published.get(channel)
    seen: set = set()
    contents: set[str] = set()
    ignore = (seq_field, ts_field, TAG_FIELD)
    highest: dict[Any, int] = {}
    lowest: dict[Any, int] = {}
    for m in listener.messages(channel):
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
        own = published.count_since(listener.started_mono) if published is not None else 0
        others = sum(highest[s] - lowest[s] + 1 for s in highest if s != tag)
        stats.expected = own + others + (stats.unique - len(seen))
    return stats


def settle_down(ctx: Context, listener, channels: list[str], expected: int | None = None,
                timeout: float = 5.0) -> None:
    """Wait (up to ``timeout``) until the expected messages arrived on ``channels`` or
    arrivals stopped for a moment.

    Expected is ``expected`` if given, else what this library published on the
    channels while the listener ran. Counting is incremental and works on the raw
    records, so it does not slow the listener thread down.
    """
    if not listener.running:
        return
    want = int(expected) if expected is not None else sum(
        ctx.published[c].count_since(listener.started_mono) for c in channels if c in ctx.published)
    wanted = {c.encode() for c in channels}
    scanned = got = 0
    unique = None
    deadline = time.monotonic() + timeout
    last_count, last_change = -1, time.monotonic()
    while time.monotonic() < deadline:
        records = listener.records
        total = len(records)
        if total < scanned:
            scanned = got = 0
            unique = None
        if total != last_count:
            last_count, last_change = total, time.monotonic()
        if want:
            fresh = sum(1 for r in records[scanned:total] if r[0] in wanted)
            got += fresh
            scanned = total
            # arrivals include duplicates: only distinct messages count toward what was expected
            if got >= want and (fresh or unique is None):
                unique = sum(compute(ctx, listener, c).unique for c in channels)
            if unique is not None and unique >= want:
                return
        if time.monotonic() - last_change >= QUIET:
            return
        time.sleep(0.02)


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


def _percent(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip().rstrip("%").strip())
    except ValueError:
        raise ConfigurationError(f"{value!r} is not a percentage; write e.g. 95 or 95 %.") from None


class StatisticsKeywords:
    def __init__(self, ctx: Context):
        self.ctx = ctx

    # --- gathering ----------------------------------------------------------------
    def stats(self, channel: str | None = None, expected: int | None = None, listener: str | None = None,
              settle: float = 5.0) -> Stats:
        lst = self.ctx.listener_for(channel, listener)
        if channel is not None:
            channels = [channel]
        else:
            channels = sorted(set(lst.channels) | set(lst.channels_seen())
                              | {c for c in self.ctx.published if lst.covers(c)})
        settle_down(self.ctx, lst, channels, expected, settle)
        if channel is not None:
            total = compute(self.ctx, lst, channel, expected)
        else:
            total = combine([compute(self.ctx, lst, c) for c in channels], ", ".join(channels) or "(no channel)")
            if expected is not None:
                total.expected = int(expected)
        total.drops = [error for _, error in lst.drops]
        return total

    @staticmethod
    def _where(stats: Stats) -> str:
        return f"on channel {stats.channel!r}" if ", " not in stats.channel else f"on channels {stats.channel}"

    # --- keywords -----------------------------------------------------------------
    @keyword
    def get_delivery_statistics(self, channel: str | None = None, expected: int | None = None,
                                listener: str | None = None) -> dict:
        """All delivery figures of ``channel`` (default: every channel of the listener) as a dictionary.

        Keys: ``received`` (with duplicates), ``unique``, ``expected``, ``lost``,
        ``success_rate`` (%), ``out_of_order``, ``duplicates`` (same seq again),
        ``content_duplicates`` (same content again under another seq), ``non_json``,
        ``latency_count`` and ``latency_<min|p50|p95|p99|max|mean>_ms``.

        ``expected`` is how many messages should have arrived. By default it is what
        this library published on the channel while the listener ran plus, for messages
        of the system under test, the span of their seq numbers (so a gap counts as
        lost; pass ``expected`` to count lost messages at the end too).

        Waits briefly (until the expected count arrived or arrivals stop for 0.5 s) first.
        The figures and a latency histogram are written to the log.
        """
        stats = self.stats(channel, expected, listener)
        self._log(stats)
        return stats.as_dict()

    @keyword
    def get_delivery_latency(self, statistic: str = "p95", assertion_operator: AssertionOperator | None = None,
                             assertion_expected: Any = None, channel: str | None = None,
                             listener: str | None = None) -> float:
        """Delivery latency in milliseconds: ``statistic`` is ``p50``, ``p95``, ``p99``, ``max``, ``min`` or ``mean``.

        Latency is arrival time minus send time: for messages sent by `Publish Messages`
        on the monotonic clock in-process; for the system under test's messages from the
        payload's timestamp field (``timestamp_field`` library argument, default
        ``sent_at``, epoch seconds) against the wall clock. ``assertion_expected`` is a
        time with a unit (``100 ms``, ``0.1 s``); a bare number is refused. The
        distribution is logged as a percentile table and a histogram that marks the
        expected value as the target line (no line without an assertion).

        | `Get Delivery Latency` | p95 | < | ${MESSAGE_DELIVERY_TARGET} |
        | ${p50}= | `Get Delivery Latency` | p50 | channel=${channel} |
        """
        statistic = statistic.lower()
        if statistic not in STATISTICS:
            raise ConfigurationError(f"Unknown latency statistic {statistic!r}; use one of {', '.join(STATISTICS)}.")
        stats = self.stats(channel, None, listener)
        what = f"{statistic} delivery latency (ms) {self._where(stats)}"
        target = time_target(assertion_operator, assertion_expected, what)
        line, label = chart_target(assertion_operator, target)
        self._log(stats, target=line, label=label)
        value = stats.latency(statistic)
        if value is None:
            raise CrosscheckError(
                f"No latency {self._where(stats)}: {stats.received} messages arrived, none with a send time "
                f"(own stamped messages or a {self.ctx.timestamp_field!r} field).")
        return check(value, assertion_operator, assertion_expected if target is None else target, what)

    @keyword
    def get_success_rate(self, assertion_operator: AssertionOperator | None = None, assertion_expected: Any = None,
                         channel: str | None = None, expected: int | None = None,
                         listener: str | None = None) -> float:
        """Percentage of expected messages that arrived (duplicates not counted twice).

        | `Get Success Rate` | >= | ${MESSAGE_SUCCESS_RATE_TARGET} | channel=${channel} |
        """
        stats = self.stats(channel, expected, listener)
        return check(round(stats.success_rate, 3), assertion_operator, assertion_expected,
                     f"Success rate (%) {self._where(stats)} ({stats.unique} of {stats.expected})",
                     convert=_percent)

    @keyword
    def get_received_count(self, assertion_operator: AssertionOperator | None = None, assertion_expected: Any = None,
                           channel: str | None = None, listener: str | None = None) -> int:
        """Number of distinct messages received (duplicates not counted twice).

        | `Get Received Count` | == | 1000 | channel=${channel} |
        """
        stats = self.stats(channel, None, listener)
        return check(stats.unique, assertion_operator, assertion_expected,
                     f"Received count {self._where(stats)}", convert=int)

    @keyword
    def get_published_count(self, assertion_operator: AssertionOperator | None = None,
                            assertion_expected: Any = None, channel: str | None = None) -> int:
        """Number of stamped messages this library published on ``channel`` (or on all channels)."""
        records = [self.ctx.published[channel]] if channel in self.ctx.published else (
            [] if channel else list(self.ctx.published.values()))
        total = sum(e - s + 1 for r in records for s, e in zip(r.starts, r.ends))
        where = f"on channel {channel!r}" if channel else "on all channels"
        return check(total, assertion_operator, assertion_expected, f"Published count {where}", convert=int)

    @keyword
    def get_lost_count(self, assertion_operator: AssertionOperator | None = None, assertion_expected: Any = None,
                       channel: str | None = None, expected: int | None = None,
                       listener: str | None = None) -> int:
        """Expected messages that never arrived (see `Get Delivery Statistics` for ``expected``)."""
        stats = self.stats(channel, expected, listener)
        return check(stats.lost, assertion_operator, assertion_expected,
                     f"Lost messages {self._where(stats)} ({stats.unique} of {stats.expected} arrived)", convert=int)

    @keyword
    def get_out_of_order_count(self, assertion_operator: AssertionOperator | None = None,
                               assertion_expected: Any = None, channel: str | None = None,
                               listener: str | None = None) -> int:
        """Messages that arrived after one with a higher seq from the same source.

        | `Get Out Of Order Count` | == | 0 | channel=${channel} |
        """
        stats = self.stats(channel, None, listener)
        return check(stats.out_of_order, assertion_operator, assertion_expected,
                     f"Out-of-order messages {self._where(stats)}", convert=int)

    @keyword
    def get_duplicate_count(self, assertion_operator: AssertionOperator | None = None,
                            assertion_expected: Any = None, channel: str | None = None,
                            listener: str | None = None, by: str = "seq") -> int:
        """Messages that had already arrived: ``by`` ``seq`` (the default) counts a seq
        (from the same source) seen again; ``content`` counts a message of the system
        under test whose fields, all but seq and timestamp, equal an earlier message's
        under another seq (a re-send under a fresh number); ``any`` counts both.

        | `Get Duplicate Count` | == | 0 | channel=${channel} |
        | `Get Duplicate Count` | == | 0 | channel=${channel} | by=content |
        """
        by = by.lower()
        if by not in ("seq", "content", "any"):
            raise ConfigurationError(f"Unknown duplicate kind {by!r}; use seq, content or any.")
        stats = self.stats(channel, None, listener)
        value = {"seq": stats.duplicates, "content": stats.content_duplicates,
                 "any": stats.duplicates + stats.content_duplicates}[by]
        what = {"seq": "Duplicate messages", "content": "Duplicate messages by content (same fields, another seq)",
                "any": "Duplicate messages (by seq or content)"}[by]
        return check(value, assertion_operator, assertion_expected,
                     f"{what} {self._where(stats)} ({stats.received} received)", convert=int)

    @keyword
    def delivery_should_meet_targets(self, channel: str | None = None, expected: int | None = None,
                                     latency: Any = MESSAGE_DELIVERY_TARGET, statistic: str = "p95",
                                     success_rate: Any = MESSAGE_SUCCESS_RATE_TARGET, ordered: bool = True,
                                     duplicates_allowed: bool = False, minimum: int | None = None,
                                     listener: str | None = None) -> dict:
        """Checks seed 001's delivery targets at once and fails naming the channel and every figure missed.

        Targets: ``statistic`` latency below ``latency`` (default ``100 ms``), success
        rate at least ``success_rate`` % (default 95), no message out of order
        (``ordered``), no duplicates by seq or by content (unless ``duplicates_allowed``;
        see `Get Duplicate Count`), every payload
        JSON, and at least ``minimum`` messages received if given. Returns the figures
        as `Get Delivery Statistics` does.

        | `Delivery Should Meet Targets` | ${channel} | expected=1000 |
        | `Delivery Should Meet Targets` | ${channel} | latency=50 ms | statistic=p99 | minimum=1000 |
        """
        statistic = statistic.lower()
        if statistic not in STATISTICS:
            raise ConfigurationError(f"Unknown latency statistic {statistic!r}; use one of {', '.join(STATISTICS)}.")
        limit = to_millis(latency, f"{statistic} delivery latency")
        stats = self.stats(channel, expected, listener)
        self._log(stats, target=limit, label="target <")
        problems = []
        rate_target = _percent(success_rate)
        if stats.success_rate < rate_target:
            problems.append(f"success rate {stats.success_rate:.1f} % < {rate_target:g} % "
                            f"({stats.unique:,} of {stats.expected:,} arrived, {stats.lost:,} lost)")
        if minimum is not None and stats.unique < int(minimum):
            problems.append(f"{stats.unique:,} messages < minimum {int(minimum):,}")
        value = stats.latency(statistic)
        if value is None:
            problems.append("no latency figure (no message carried a send time)")
        elif value >= limit:
            problems.append(f"{statistic} latency {value:.1f} ms >= target {limit:g} ms")
        if ordered and stats.out_of_order:
            problems.append(f"{stats.out_of_order:,} out of order")
        if not duplicates_allowed and stats.duplicates:
            problems.append(f"{stats.duplicates:,} duplicates")
        if not duplicates_allowed and stats.content_duplicates:
            problems.append(f"{stats.content_duplicates:,} duplicates by content (same fields under another seq)")
        if stats.non_json:
            problems.append(f"{stats.non_json:,} not JSON")
        if problems:
            raise CrosscheckError(f"Delivery {self._where(stats)} missed its targets: {'; '.join(problems)} "
                                  f"[{stats.figures()}]")
        return stats.as_dict()

    @keyword
    def log_delivery_statistics(self, channel: str | None = None, expected: int | None = None,
                                listener: str | None = None, target: Any = None) -> None:
        """Writes the percentile table and latency histogram of ``channel`` to the log.

        The histogram marks ``target`` (a time with a unit, ``50 ms``); without one it
        marks seed 001's ``100 ms``, labelled as the default target.
        """
        if target is None:
            line, label = to_millis(MESSAGE_DELIVERY_TARGET), "default target"
        else:
            line, label = to_millis(target, "delivery latency target"), "target"
        self._log(self.stats(channel, expected, listener), target=line, label=label)

    def _log(self, stats: Stats, target: float | None = None, label: str = "target") -> None:
        """Percentile table and histogram; the histogram marks ``target`` (ms) only when given."""
        extra = {"received": stats.unique, "expected": stats.expected,
                 "success %": round(stats.success_rate, 2), "out of order": stats.out_of_order,
                 "duplicates": stats.duplicates, "duplicates by content": stats.content_duplicates}
        reporting.log_distribution(stats.latencies, "ms", f"Delivery latency {self._where(stats)}",
                                   target=target, extra=extra, target_label=label)
