"""Publishing: one message as given, or many stamped with seq and send time."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import redis
from robot.api import logger
from robotlibcore import keyword

from crosscheck.errors import ConfigurationError
from crosscheck.messaging.core import Context, unreachable

CHUNK = 1000
TAG_FIELD = "cc"
_RATE = re.compile(r"^\s*(?P<n>\d+(?:\.\d+)?)\s*(?:/\s*(?P<unit>s|sec|second|m|min|minute|h|hour))?\s*$", re.I)
_UNIT = {"s": 1.0, "sec": 1.0, "second": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0,
         "h": 3600.0, "hour": 3600.0}


def parse_rate(rate: str | float | int | None) -> float | None:
    """Messages per second from ``500``, ``500/s``, ``30/minute``; None = as fast as possible."""
    if rate is None or (isinstance(rate, str) and rate.strip().lower() in ("", "none", "max")):
        return None
    if isinstance(rate, (int, float)):
        value = float(rate)
    else:
        match = _RATE.match(str(rate))
        if not match:
            raise ConfigurationError(f"Rate {rate!r} is not understood; write e.g. '500/s', '30/minute' or 'max'.")
        value = float(match["n"]) / _UNIT[(match["unit"] or "s").lower()]
    if value <= 0:
        raise ConfigurationError(f"Rate {rate!r} must be above zero.")
    return value


def encode(message: Any) -> bytes | str:
    """Text as is, bytes as is, anything else as JSON."""
    if isinstance(message, (bytes, str)):
        return message
    return json.dumps(message, separators=(",", ":"), default=str)


def _read_replies(connection, count: int) -> None:
    """Read ``count`` one-line replies (PUBLISH answers ``:<receivers>``) straight off the socket.

    The connection was just taken from the pool, so redis-py holds no buffered reply for it.
    """
    sock = connection._sock
    tail = b""
    while count > 0:
        data = sock.recv(65536)
        if not data:
            raise redis.ConnectionError("Connection closed by server.")
        lines = (tail + data).split(b"\r\n")
        tail = lines.pop()
        for line in lines:
            if line[:1] == b"-":
                raise redis.ResponseError(line[1:].decode("utf-8", "replace"))
        count -= len(lines)


class Stamper:
    """Builds stamped JSON payloads fast: ``{"seq":N,"sent_at":T,"cc":"tag",...body}``."""

    def __init__(self, ctx: Context, body: dict | None):
        extra = json.dumps(body, separators=(",", ":"), default=str)[1:-1] if body else ""
        for reserved in (ctx.seq_field, ctx.timestamp_field, TAG_FIELD):
            if body and reserved in body:
                raise ConfigurationError(f"Payload field {reserved!r} is set by the library; remove it from the body.")
        self.prefix = "{" + json.dumps(ctx.seq_field) + ":"
        self.middle = "," + json.dumps(ctx.timestamp_field) + ":"
        self.suffix = f',"{TAG_FIELD}":{json.dumps(ctx.tag)}' + ("," + extra if extra else "") + "}"

    def __call__(self, seq: int, sent_at: float) -> str:
        return f"{self.prefix}{seq}{self.middle}{sent_at:.6f}{self.suffix}"


class PublishingKeywords:
    def __init__(self, ctx: Context):
        self.ctx = ctx

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
        try:
            return int(conn.client.publish(channel, encode(message)))
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise unreachable(conn.url, exc) from None

    @keyword
    def publish_messages(self, channel: str, count: int = 1000, rate: str | None = None,
                         body: dict | None = None, alias: str | None = None) -> int:
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
        try:
            if per_second is None:
                self._pipelined(conn, channel, first, count, stamp, record)
            else:
                self._paced(conn, channel, first, count, stamp, record, per_second)
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise unreachable(conn.url, exc) from None
        took = time.monotonic() - started
        logger.info(f"Published {count:,} messages on {channel!r} (seq {first}..{first + count - 1}) in "
                    f"{took:.3f} s ({count / took if took else 0:,.0f} msg/s).")
        return count

    @staticmethod
    def _pipelined(conn, channel, first, count, stamp, record) -> None:
        """Pipelined PUBLISH: RESP packed once per chunk, replies read in one go."""
        client = conn.client
        pool = client.connection_pool
        connection = pool.get_connection()
        try:
            ch = channel.encode() if isinstance(channel, str) else channel
            header = b"*3\r\n$7\r\nPUBLISH\r\n$%d\r\n%s\r\n" % (len(ch), ch)
            seq = first
            end = first + count
            while seq < end:
                last = min(end, seq + CHUNK)
                mono, wall = time.monotonic(), time.time()
                parts = []
                for n in range(seq, last):
                    data = stamp(n, wall).encode()
                    parts.append(b"%s$%d\r\n%s\r\n" % (header, len(data), data))
                connection.send_packed_command([b"".join(parts)], check_health=False)
                record.record(seq, last - 1, mono)
                _read_replies(connection, last - seq)
                seq = last
        except BaseException:
            connection.disconnect()
            raise
        finally:
            pool.release(connection)

    @staticmethod
    def _paced(conn, channel, first, count, stamp, record, per_second) -> None:
        client = conn.client
        interval = 1.0 / per_second
        start = time.monotonic()
        for i in range(count):
            due = start + i * interval
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            seq = first + i
            mono, wall = time.monotonic(), time.time()
            client.publish(channel, stamp(seq, wall))
            record.record(seq, seq, mono)
