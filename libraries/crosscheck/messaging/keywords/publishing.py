"""Publishing keywords: one message as given, or many stamped with seq and send time."""

from __future__ import annotations

import time
from typing import Any

from robot.api import logger
from robotlibcore import keyword

from crosscheck import figures
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError
from crosscheck.messaging.context import Context
from crosscheck.messaging.delivery import figure_name
from crosscheck.messaging.publishing import Stamper, encode, parse_rate, publish_paced, publish_pipelined


class PublishingKeywords(Component[Context]):
    @keyword
    def publish_message(self, channel: str, message: Any, alias: str | None = None) -> int:
        """Publishes one ``message`` on ``channel`` as it is; returns how many subscribers got it.

        Text and bytes are sent unchanged; a dictionary or list is sent as JSON. Use
        `Publish Messages` to send stamped messages whose latency and order are measured.

        | `Publish Message` | ${channel} | plain text |
        | `Publish Message` | ${channel} | ${{ {"universe": "TEST_etf", "symbols": ["SPY"]} }} |
        | ${n}= | `Publish Message` | ${channel} | ${bytes} |
        """
        conn = self.ctx.connection(alias)
        return int(conn.run(conn.client.publish, channel, encode(message)))

    @keyword
    def publish_messages(
        self,
        channel: str,
        count: int = 1000,
        rate: str | None = None,
        body: dict | None = None,
        alias: str | None = None,
    ) -> int:
        """Publishes ``count`` JSON messages on ``channel``, each stamped with a sequence
        number and a send time; returns the number published.

        Each payload is ``{"seq": N, "sent_at": <epoch seconds>, "cc": "<run tag>", ...body}``
        (the field names follow the library's ``seq_field`` and ``timestamp_field``).
        ``seq`` continues across calls on the same channel. The library keeps each
        message's monotonic send time, so latency of these messages is measured
        in-process on the monotonic clock.

        ``rate`` paces the messages (``500/s``, ``30/minute``); without it they are sent
        as fast as possible, pipelined in chunks of 1,000.

        ``body`` adds fields to every message (e.g. the fields a channel's contract requires).

        | `Publish Messages` | ${channel} | 1000 |
        | `Publish Messages` | ${channel} | 200 | rate=100/s |
        | `Publish Messages` | ${channel} | 10 | body=${{ {"universe": "TEST_etf", "symbols": [], "count": 0} }} |
        """
        count = int(count)
        if count < 0:
            raise ConfigurationError(f"Count must not be negative, got {count}.")
        conn = self.ctx.connection(alias)
        per_second = parse_rate(rate)
        stamp = Stamper(self.ctx, body)
        record = self.ctx.published_on(channel)
        with self.ctx.lock:
            first = record.next_seq
            record.next_seq += count
        started = time.monotonic()
        if per_second is None:
            conn.run(publish_pipelined, conn, channel, first, count, stamp, record)
        else:
            conn.run(publish_paced, conn, channel, first, count, stamp, record, per_second)
        took = time.monotonic() - started
        if per_second is None and count and took > 0:  # paced publishing measures the pace, not the throughput
            figures.record(
                figure_name(channel, "publish_rate"), count / took, "msg/s", "higher", where=f"on {channel!r}"
            )
        logger.info(
            f"Published {count:,} messages on {channel!r} (seq {first}..{first + count - 1}) in "
            f"{took:.3f} s ({count / took if took else 0:,.0f} msg/s)."
        )
        return count
