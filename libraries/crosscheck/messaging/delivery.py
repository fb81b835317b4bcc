"""Delivery figures of what a listener received: waiting for arrivals to settle, then
the statistics of :mod:`crosscheck.messaging.statistics` per channel or combined."""

from __future__ import annotations

import fnmatch
import re
import time

from crosscheck.errors import CrosscheckError
from crosscheck.messaging.context import Context
from crosscheck.messaging.contracts import base_channel
from crosscheck.messaging.listener import Listener
from crosscheck.messaging.replies import ReplyStats, RequestLog, compute_replies
from crosscheck.messaging.statistics import Stats, combine, compute

QUIET = 0.5


def channel_stats(ctx: Context, listener: Listener, channel: str, expected: int | None = None) -> Stats:
    """Statistics of ``channel`` as received by ``listener``."""
    return compute(
        listener.messages(channel),
        channel,
        seq_field=ctx.seq_field,
        timestamp_field=listener.timestamp or ctx.timestamp,
        tag=ctx.tag,
        published=ctx.published.get(channel),
        since=listener.started_mono,
        expected=expected,
    )


def settle_down(
    ctx: Context, listener: Listener, channels: list[str], expected: int | None = None, timeout: float = 5.0
) -> None:
    """Wait (up to ``timeout``) until the expected messages arrived on ``channels`` or
    arrivals stopped for a moment.

    Expected is ``expected`` if given, else what this library published on the
    channels while the listener ran. Counting is incremental and works on the raw
    records, so it does not slow the listener thread down.
    """
    if not listener.running:
        return
    want = (
        int(expected)
        if expected is not None
        else sum(ctx.published[c].count_since(listener.started_mono) for c in channels if c in ctx.published)
    )
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
                unique = sum(channel_stats(ctx, listener, c).unique for c in channels)
            if unique is not None and unique >= want:
                return
        if time.monotonic() - last_change >= QUIET:
            return
        time.sleep(0.02)


def gather(
    ctx: Context,
    channel: str | None = None,
    expected: int | None = None,
    listener: str | None = None,
    settle: float = 5.0,
) -> Stats:
    """The figures of ``channel`` (default: every channel of the listener, combined), after settling."""
    lst = ctx.listener_for(channel, listener)
    if channel is not None:
        channels = [channel]
    else:
        channels = sorted(set(lst.channels) | set(lst.channels_seen()) | {c for c in ctx.published if lst.covers(c)})
    settle_down(ctx, lst, channels, expected, settle)
    if channel is not None:
        total = channel_stats(ctx, lst, channel, expected)
    else:
        total = combine([channel_stats(ctx, lst, c) for c in channels], ", ".join(channels) or "(no channel)")
        if expected is not None:
            total.expected = int(expected)
    total.drops = [error for _, error in lst.drops]
    total.timestamp = str(lst.timestamp or ctx.timestamp)
    return total


def pattern_listener(ctx: Context, pattern: str | None, listener: str | None) -> Listener:
    """The named listener, else the latest one subscribed to ``pattern`` (or to any pattern)."""
    if listener:
        return ctx.listener(listener)
    for lst in reversed(list(ctx.listeners.values())):
        if (pattern in lst.patterns) if pattern else lst.patterns:
            return lst
    known = ", ".join(f"{n} ({', '.join(lst.subscriptions)})" for n, lst in ctx.listeners.items()) or "none"
    what = f"pattern {pattern!r}" if pattern else "a pattern"
    raise CrosscheckError(
        f"No listener is subscribed to {what}; active listeners: {known}. Use 'Start Listening    patterns=...' first."
    )


def gather_per_channel(
    ctx: Context, pattern: str | None = None, expected: int | dict | None = None, listener: str | None = None
) -> tuple[Listener, list[Stats]]:
    """The figures of every channel the listener received through ``pattern`` (default: through
    any of its patterns), one :class:`Stats` per channel, after settling. ``expected`` is a
    count for every channel, or a dictionary of counts by channel."""
    lst = pattern_listener(ctx, pattern, listener)
    patterns = [pattern] if pattern else lst.patterns
    if pattern and pattern not in lst.patterns:
        raise CrosscheckError(
            f"Listener {lst.name!r} is not subscribed to pattern {pattern!r}; it has {', '.join(lst.subscriptions)}."
        )
    settle_down(ctx, lst, lst.channels_seen() + [c for c in ctx.published if lst.covers(c)])
    by_channel: dict[str, list] = {}
    for m in lst.messages():
        if m.pattern in patterns:
            by_channel.setdefault(m.channel, []).append(m)
    for c in ctx.published:  # channels this library published on but nothing arrived from
        if any(fnmatch.fnmatchcase(c, p) for p in patterns):
            by_channel.setdefault(c, [])
    reader = lst.timestamp or ctx.timestamp
    out = []
    for channel in sorted(by_channel):
        want = expected.get(channel) if isinstance(expected, dict) else expected
        stats = compute(
            by_channel[channel],
            channel,
            seq_field=ctx.seq_field,
            timestamp_field=reader,
            tag=ctx.tag,
            published=ctx.published.get(channel),
            since=lst.started_mono,
            expected=None if want is None else int(want),
        )
        stats.drops = [error for _, error in lst.drops]
        stats.timestamp = str(reader)
        out.append(stats)
    return lst, out


def where(stats: Stats) -> str:
    """``on channel 'x'`` or ``on channels x, y``: where the figures were measured."""
    return f"on channel {stats.channel!r}" if ", " not in stats.channel else f"on channels {stats.channel}"


def figure_name(channel: str, what: str) -> str:
    """``messaging.<channel>.<what>``: the stable name of a figure measured on ``channel``, for the verdict.

    The channel is the one the test asked for, without the test's namespace prefix
    (``tickstock.universe.updated`` for ``cc_12_3_x.tickstock.universe.updated``); figures
    of several channels combined are under ``all``.
    """
    channel = "all" if ", " in channel else base_channel(channel)
    channel = re.sub(r"[^a-z0-9_.]+", "_", channel.lower()).strip("._") or "all"
    return f"messaging.{channel}.{what}"


# --- requests and replies ----------------------------------------------------------------


def reply_log(ctx: Context, listener: str | None) -> tuple[Listener, RequestLog]:
    """The reply listener ``listener`` (default: the latest one) and its requests."""
    if listener is None:
        names = [n for n in ctx.listeners if n in ctx.requests]
        listener = names[-1] if names else None
    if listener is None or listener not in ctx.requests:
        known = ", ".join(ctx.requests) or "none"
        what = f"{listener!r}" if listener else "(none started)"
        hint = " (a plain listener: start it with 'Start Reply Listener')" if listener in ctx.listeners else ""
        raise CrosscheckError(
            f"No reply listener {what}{hint}; reply listeners: {known}. Use 'Start Reply Listener' first."
        )
    return ctx.listeners[listener], ctx.requests[listener]


def reply_where(lst: Listener) -> str:
    """``for replies on channel 'x' (listener 'r')``."""
    subs = lst.subscriptions
    on = f"channel {subs[0]!r}" if len(subs) == 1 and not lst.patterns else ", ".join(subs)
    return f"for replies on {on} (listener {lst.name!r})"


def gather_replies(ctx: Context, listener: str | None = None) -> tuple[Listener, ReplyStats]:
    """Reply figures of a reply listener, once every request was answered or its timeout passed."""
    lst, log = reply_log(ctx, listener)
    where = reply_where(lst)
    if not lst.running:  # no reply can come any more: what is unanswered is lost
        return lst, compute_replies(lst.messages(), log, float("inf"), where)
    seen, checked = -1, 0.0
    while True:
        now = time.monotonic()
        total = len(lst.records)
        if total != seen or now - checked >= 0.1:  # new replies, or timeouts may have passed
            stats = compute_replies(lst.messages(), log, now, where)
            seen, checked = total, now
            if not stats.pending:
                return lst, stats
        if now >= log.last_deadline():
            return lst, compute_replies(lst.messages(), log, now, where)
        time.sleep(0.01)


def reply_figure(lst: Listener) -> str:
    """The channel (or pattern) a reply listener's figures are named after."""
    return (lst.channels or lst.patterns or ["replies"])[0]
