"""Delivery figures of what a listener received: waiting for arrivals to settle, then
the statistics of :mod:`crosscheck.messaging.statistics` per channel or combined."""

from __future__ import annotations

import re
import time

from crosscheck.messaging.context import Context
from crosscheck.messaging.contracts import base_channel
from crosscheck.messaging.listener import Listener
from crosscheck.messaging.statistics import Stats, combine, compute

QUIET = 0.5


def channel_stats(ctx: Context, listener: Listener, channel: str, expected: int | None = None) -> Stats:
    """Statistics of ``channel`` as received by ``listener``."""
    return compute(
        listener.messages(channel),
        channel,
        seq_field=ctx.seq_field,
        timestamp_field=ctx.timestamp_field,
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
    return total


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
