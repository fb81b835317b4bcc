"""Publishing: stamped payloads, pipelined PUBLISH with RESP packed once per chunk, paced PUBLISH."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import redis

from crosscheck.errors import ConfigurationError
from crosscheck.messaging.connection import Connection
from crosscheck.messaging.context import Context
from crosscheck.messaging.statistics import TAG_FIELD, Published
from crosscheck.messaging.timestamps import stamp_field

CHUNK = 1000
_RATE = re.compile(r"^\s*(?P<n>\d+(?:\.\d+)?)\s*(?:/\s*(?P<unit>s|sec|second|m|min|minute|h|hour))?\s*$", re.I)
_UNIT = {"s": 1.0, "sec": 1.0, "second": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0, "h": 3600.0, "hour": 3600.0}


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
        sent_field = stamp_field(ctx.timestamp_field)
        for reserved in (ctx.seq_field, sent_field, TAG_FIELD):
            if body and reserved in body:
                raise ConfigurationError(f"Payload field {reserved!r} is set by the library; remove it from the body.")
        self.prefix = "{" + json.dumps(ctx.seq_field) + ":"
        self.middle = "," + json.dumps(sent_field) + ":"
        self.suffix = f',"{TAG_FIELD}":{json.dumps(ctx.tag)}' + ("," + extra if extra else "") + "}"

    def __call__(self, seq: int, sent_at: float) -> str:
        return f"{self.prefix}{seq}{self.middle}{sent_at:.6f}{self.suffix}"


def publish_pipelined(
    conn: Connection, channel: str, first: int, count: int, stamp: Stamper, record: Published
) -> None:
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


def publish_paced(
    conn: Connection, channel: str, first: int, count: int, stamp: Stamper, record: Published, per_second: float
) -> None:
    """One PUBLISH at a time, ``per_second`` of them a second."""
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
