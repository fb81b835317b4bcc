"""A background subscriber: one thread and one Redis connection per listener.

:meth:`Listener.start` returns only after Redis confirmed every SUBSCRIBE and
PSUBSCRIBE, so a message published right after it is never missed. The thread
does as little as possible per message: it stamps the monotonic and wall
clock and appends a tuple; parsing and statistics happen later, on demand.

When the connection drops (server restart, ``CLIENT KILL``), the thread
reconnects every 50 ms, subscribes again and records when it was cut off and
when it was back, which is what recovery figures are made of.
"""

from __future__ import annotations

import fnmatch
import json
import re
import select
import threading
import time
from typing import Any

import redis
from jsonpath_ng.exceptions import JsonPathParserError
from jsonpath_ng.ext import parse as jsonpath_parse
from redis.backoff import NoBackoff
from redis.retry import Retry

from crosscheck import config, namespace
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.messaging.connection import Connection
from crosscheck.messaging.timestamps import TimestampReader

RECONNECT_EVERY = 0.05
RECV_SIZE = 1 << 20
POLL = 0.1
_ERRORS = (redis.ConnectionError, redis.TimeoutError, OSError)
SHOWN = 5


def parse_frames(buf: bytearray) -> tuple[list[list], int]:
    """Complete RESP2 arrays of bulk strings / integers at the start of ``buf``.

    Returns the frames and how many bytes they used; an incomplete frame at the
    end is left for the next read. An error reply raises ``redis.ResponseError``.
    """
    frames = []
    n = len(buf)
    i = 0
    find = buf.find
    while i < n:
        head = buf[i]
        if head == 0x2D:  # '-'
            end = find(b"\r\n", i)
            raise redis.ResponseError(bytes(buf[i + 1 : end if end >= 0 else n]).decode("utf-8", "replace"))
        if head != 0x2A:  # '*'
            raise ValueError(f"unexpected byte {bytes([head])!r} in a pub-sub reply")
        end = find(b"\r\n", i)
        if end < 0:
            break
        count = int(buf[i + 1 : end])
        k = end + 2
        items: list = []
        complete = True
        for _ in range(count):
            end = find(b"\r\n", k)
            if end < 0:
                complete = False
                break
            kind = buf[k]
            if kind == 0x24:  # '$'
                length = int(buf[k + 1 : end])
                start = end + 2
                if start + length + 2 > n:
                    complete = False
                    break
                items.append(bytes(buf[start : start + length]))
                k = start + length + 2
            else:  # ':' integer (subscription counts)
                items.append(int(buf[k + 1 : end]))
                k = end + 2
        if not complete:
            break
        frames.append(items)
        i = k
    return frames, i


class Message:
    """One received message, parsed lazily."""

    __slots__ = ("index", "channel", "pattern", "raw", "mono", "wall", "_payload", "_error", "_parsed")

    def __init__(self, index: int, record: tuple):
        self.index = index
        channel, pattern, self.raw, self.mono, self.wall = record
        self.channel = channel.decode("utf-8", "replace") if isinstance(channel, bytes) else channel
        self.pattern = pattern.decode("utf-8", "replace") if isinstance(pattern, bytes) else pattern
        self._parsed = False
        self._payload: Any = None
        self._error: str | None = None

    @property
    def text(self) -> str | bytes:
        if isinstance(self.raw, bytes):
            try:
                return self.raw.decode("utf-8")
            except UnicodeDecodeError:
                return self.raw
        return self.raw

    def _parse(self) -> None:
        if self._parsed:
            return
        self._parsed = True
        try:
            self._payload = json.loads(self.raw)
        except (ValueError, TypeError) as exc:
            self._error = str(exc)

    @property
    def is_json(self) -> bool:
        self._parse()
        return self._error is None

    @property
    def payload(self) -> Any:
        """The parsed JSON payload, or None when it is not JSON."""
        self._parse()
        return self._payload

    @property
    def json_error(self) -> str | None:
        self._parse()
        return self._error

    def short(self, limit: int = 120) -> str:
        text = self.text
        text = text if isinstance(text, str) else repr(text)
        return text if len(text) <= limit else text[: limit - 3] + "..."

    def as_dict(self) -> dict:
        """What a keyword returns: channel, pattern, data, payload, received_at, index."""
        return {
            "channel": self.channel,
            "pattern": self.pattern,
            "data": self.text,
            "payload": self.payload,
            "received_at": self.wall,
            "index": self.index,
        }


class Listener:
    """Subscribes to channels and patterns on its own connection and thread."""

    def __init__(self, name: str, connection: Connection, channels: list[str], patterns: list[str]):
        if not channels and not patterns:
            raise CrosscheckError("Start Listening needs at least one channel or pattern.")
        self.name = name
        self.connection = connection
        self.channels = list(dict.fromkeys(channels))
        self.patterns = list(dict.fromkeys(patterns))
        self.records: list[tuple] = []
        self.timestamp: TimestampReader | None = None  # this listener's own send-time field, if given
        self._messages: list[Message] = []
        self.taken: set[int] = set()
        self.started_mono = 0.0
        self.stopped_mono: float | None = None
        self.drops: list[tuple[float, str]] = []
        self.resubscribed: list[float] = []
        self.hold_until = 0.0
        self.client_id: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: Any = None
        self._sock: Any = None
        self._buf = bytearray()
        # the pool of a client of its own (crosscheck.services.redis): no retries, no read
        # timeout; connections are made from it directly and read off the socket
        self._pool = connection.new_client(
            socket_timeout=None,
            decode_responses=False,
            retry=Retry(NoBackoff(), 0),
            health_check_interval=0,
            protocol=2,
        ).connection_pool
        # a private channel each listener also subscribes to: recovery probes go there,
        # never onto the system under test's channels
        self.probe_channel = f"{namespace.run_id()}.probe.{name}.{id(self)}"
        self._probe_bytes = self.probe_channel.encode()
        self.probes: list[float] = []

    # --- subscription ----------------------------------------------------------
    @property
    def subscriptions(self) -> list[str]:
        return self.channels + [f"pattern {p}" for p in self.patterns]

    def covers(self, channel: str) -> bool:
        return channel in self.channels or any(fnmatch.fnmatchcase(channel, p) for p in self.patterns)

    def _subscribe(self, timeout: float) -> None:
        """Connect, SUBSCRIBE / PSUBSCRIBE and wait for every confirmation.

        redis-py opens the connection (AUTH, SELECT, CLIENT ID); from SUBSCRIBE on,
        the socket is read directly and parsed in bulk (:func:`parse_frames`), which
        keeps up with pipelined bursts that a per-message reader would fall behind on.
        """
        conn: Any = self._pool.make_connection()
        try:
            conn.connect()
            conn.send_command("CLIENT", "ID")
            self.client_id = int(conn.read_response())
            conn.send_command("CLIENT", "SETNAME", f"crosscheck-listener-{self.name}"[:60].replace(" ", "_"))
            conn.read_response()
            conn.send_command("SUBSCRIBE", self.probe_channel, *self.channels)
            want = 1 + len(self.channels)
            if self.patterns:
                conn.send_command("PSUBSCRIBE", *self.patterns)
                want += len(self.patterns)
            self._sock = conn._sock
            self._buf = bytearray()
            deadline = time.monotonic() + timeout
            confirmed = 0
            while confirmed < want:
                left = deadline - time.monotonic()
                if left <= 0 or not self._readable(left):
                    raise CrosscheckError(
                        f"Redis at {self.connection.where} did not confirm the subscription to "
                        f"{', '.join(self.subscriptions)} within {timeout:g} s ({confirmed} of {want} confirmed)."
                    )
                confirmed += self._read()
        except BaseException:
            conn.disconnect()
            raise
        self._conn = conn

    def _readable(self, timeout: float) -> bool:
        sock = self._sock
        pending = getattr(sock, "pending", None)
        if pending is not None and pending():
            return True
        return bool(select.select([sock], [], [], timeout)[0])

    def _read(self) -> int:
        """Receive what the socket holds, record the messages; returns confirmations seen."""
        data = self._sock.recv(RECV_SIZE)
        if not data:
            raise redis.ConnectionError("Connection closed by server.")
        t = time.monotonic()
        w = time.time()
        buf = self._buf
        buf += data
        frames, used = parse_frames(buf)
        if used:
            del buf[:used]
        confirmed = 0
        append = self.records.append
        probe = self._probe_bytes
        for frame in frames:
            kind = frame[0]
            if kind == b"message":
                if frame[1] == probe:
                    self.probes.append(t)
                else:
                    append((frame[1], None, frame[2], t, w))
            elif kind == b"pmessage":
                if frame[2] != probe:
                    append((frame[2], frame[1], frame[3], t, w))
            elif kind in (b"subscribe", b"psubscribe"):
                confirmed += 1
        return confirmed

    def start(self, timeout: float = 5.0) -> None:
        try:
            self._subscribe(timeout)
        except _ERRORS as exc:
            raise self.connection.unreachable(exc) from None
        self.started_mono = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"crosscheck-listener-{self.name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        stop = self._stop
        while not stop.is_set():
            try:
                if self._readable(POLL):
                    self._read()
            except (*_ERRORS, ValueError) as exc:
                if stop.is_set():
                    break
                self._reconnect(exc)

    def _reconnect(self, exc: BaseException) -> None:
        self.drops.append((time.monotonic(), config.scrub(str(exc) or type(exc).__name__, self.connection.url)))
        try:
            self._conn.disconnect()
        except _ERRORS:
            pass
        while not self._stop.is_set():
            wait = max(RECONNECT_EVERY, self.hold_until - time.monotonic())
            if self._stop.wait(wait):
                return
            try:
                self._subscribe(timeout=2.0)
            except (*_ERRORS, CrosscheckError):
                continue
            self.resubscribed.append(time.monotonic())
            return

    def kill_connection(self, client) -> bool:
        """``CLIENT KILL ID`` of this listener's connection, through ``client``."""
        if self.client_id is None:
            return False
        try:
            return bool(client.execute_command("CLIENT", "KILL", "ID", self.client_id))
        except redis.ResponseError:
            return False

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._conn is not None:
            try:
                self._conn.disconnect()
            except _ERRORS:
                pass
        self._pool.disconnect()
        if self.stopped_mono is None:
            self.stopped_mono = time.monotonic()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- received messages ------------------------------------------------------
    def messages(self, channel: str | None = None) -> list[Message]:
        """Messages received so far (all, or on one channel), in arrival order."""
        known = len(self._messages)
        total = len(self.records)
        if total > known:
            records = self.records
            self._messages.extend(Message(i, records[i]) for i in range(known, total))
        if channel is None:
            return list(self._messages[:total])
        return [m for m in self._messages[:total] if m.channel == channel]

    def take(self, channel: str | None, condition: Condition, timeout: float) -> Message | None:
        """The first message on ``channel`` (or any) satisfying ``condition`` not taken yet,
        waiting up to ``timeout`` seconds; it is then taken (returned at most once)."""
        deadline = time.monotonic() + timeout
        checked = 0
        while True:
            messages = self.messages(channel)
            for message in messages[checked:]:
                if message.index not in self.taken and condition.matches(message):
                    self.taken.add(message.index)
                    return message
            checked = len(messages)
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.005)

    def channels_seen(self) -> list[str]:
        return sorted({m.channel for m in self.messages()})

    def clear(self) -> None:
        self.records.clear()
        self._messages.clear()
        self.taken.clear()


# --- what a waited-for message must satisfy --------------------------------------------


def _equal(actual: Any, expected: Any) -> bool:
    if actual == expected:
        return True
    if isinstance(actual, bool) or isinstance(expected, bool):
        return str(actual).lower() == str(expected).lower()
    return str(actual) == str(expected)


class Condition:
    """What a message must satisfy: a field's value, a JSONPath (and value), a regex."""

    def __init__(self, field: str | None, value: Any, jsonpath: str | None, regex: str | None):
        self.field = field
        self.value = value
        self.has_value = value is not None
        self.jsonpath_text = jsonpath
        try:
            self.jsonpath = jsonpath_parse(jsonpath) if jsonpath else None
        except (JsonPathParserError, Exception) as exc:  # jsonpath-ng raises plain Exception for some input
            raise ConfigurationError(f"JSONPath {jsonpath!r} is not valid: {exc}") from None
        try:
            self.regex = re.compile(regex) if regex else None
        except re.error as exc:
            raise ConfigurationError(f"Regular expression {regex!r} is not valid: {exc}") from None
        self.needs_json = bool(field or jsonpath)

    def __str__(self) -> str:
        parts = []
        if self.field:
            parts.append(f"{self.field} == {self.value!r}" if self.has_value else f"field {self.field!r} present")
        if self.jsonpath_text:
            parts.append(
                f"{self.jsonpath_text} == {self.value!r}" if self.has_value else f"{self.jsonpath_text} present"
            )
        if self.regex is not None:
            parts.append(f"matching /{self.regex.pattern}/")
        if not parts and self.has_value:
            parts.append(f"data == {self.value!r}")
        return " and ".join(parts) or "any message"

    def matches(self, message: Message) -> bool:
        if self.regex is not None:
            text = message.text if isinstance(message.text, str) else message.text.decode("latin-1")
            if not self.regex.search(text):
                return False
        if self.needs_json:
            payload = message.payload
            if not message.is_json or not isinstance(payload, (dict, list)):
                return False
            if self.field:
                if not isinstance(payload, dict) or self.field not in payload:
                    return False
                if self.has_value and not self.jsonpath and not _equal(payload[self.field], self.value):
                    return False
            if self.jsonpath is not None:
                found = [m.value for m in self.jsonpath.find(payload)]
                if not found:
                    return False
                if self.has_value and not any(_equal(v, self.value) for v in found):
                    return False
        elif self.has_value and self.regex is None and not _equal(message.text, self.value):
            return False
        return True


def describe_arrivals(messages: list[Message], channel: str | None) -> str:
    where = f" on {channel!r}" if channel else ""
    if not messages:
        return f"nothing arrived{where}"
    shown = "; ".join(f"#{m.index} {m.short(100)}" for m in messages[-SHOWN:])
    non_json = sum(1 for m in messages if not m.is_json)
    extra = f", {non_json} not JSON" if non_json else ""
    last = f" (last {SHOWN})" if len(messages) > SHOWN else ""
    return f"{len(messages)} arrived{where}{extra}{last}: {shown}"
