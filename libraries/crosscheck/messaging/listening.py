"""Listening in the background, waiting for matching messages."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

from jsonpath_ng.exceptions import JsonPathParserError
from jsonpath_ng.ext import parse as jsonpath_parse
from robot.api import logger
from robotlibcore import keyword

from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.messaging.core import Context
from crosscheck.messaging.listener import Listener, Message
from crosscheck.messaging.statistics import settle_down

SHOWN = 5


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
            parts.append(f"{self.jsonpath_text} == {self.value!r}" if self.has_value
                         else f"{self.jsonpath_text} present")
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


class ListeningKeywords:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self._count = 0

    @keyword
    def start_listening(self, *channels: str, patterns: list[str] | None = None, name: str | None = None,
                        alias: str | None = None, timeout: timedelta = timedelta(seconds=5)) -> str:
        """Subscribes to ``channels`` (and glob ``patterns``) in the background; returns the listener's name.

        The keyword returns once Redis has confirmed every subscription, so a message
        published right after it is never lost. Every message is stamped on arrival
        (monotonic and wall clock) and kept for `Wait For Message`, the delivery
        statistics and the contract checks. Several listeners can run at once; the
        latest one is the default for the other keywords. The listener stops at the end
        of the test (or suite) that started it, or with `Stop Listening`.

        A lost connection is re-established every 50 ms and the subscriptions renewed;
        see `Get Recovery Time`.

        | ${listener}= | `Start Listening` | ${channel} |
        | `Start Listening` | tickstock.universe.updated | tickstock.cache.sync_complete | name=app |
        | `Start Listening` | patterns=${{ ["tickstock.*"] }} |
        """
        conn = self.ctx.connection(alias)
        self._count += 1
        name = name or f"listener{self._count}"
        if name in self.ctx.listeners:
            raise CrosscheckError(f"A listener named {name!r} is already running; stop it or pick another name.")
        listener = Listener(name, conn, list(channels), list(patterns or []))
        listener.start(timeout.total_seconds())
        self.ctx.listeners[name] = listener
        self.ctx.last_listener = name
        self.ctx.scope["listeners"].append(name)
        logger.info(f"Listening as {name!r} on {', '.join(listener.subscriptions)} at {conn.where} "
                    "(subscription confirmed).")
        return name

    @keyword
    def stop_listening(self, name: str | None = None) -> int:
        """Stops the listener ``name`` (default: the latest); returns how many messages it received.

        Its messages stay available to the statistics keywords until the test ends.
        """
        listener = self.ctx.listener(name)
        listener.stop()
        return len(listener.records)

    @keyword
    def wait_for_message(self, channel: str | None = None, timeout: timedelta = timedelta(seconds=5),
                         field: str | None = None, value: Any = None, jsonpath: str | None = None,
                         regex: str | None = None, listener: str | None = None) -> dict:
        """Waits until a message on ``channel`` satisfies the condition; returns it.

        The condition is any combination of:
        - ``field`` and ``value``: the JSON payload's top-level ``field`` equals ``value``
          (``field`` alone: the field is present);
        - ``jsonpath`` and ``value``: a JSONPath (jsonpath-ng syntax) finds ``value``
          (``jsonpath`` alone: it finds something);
        - ``regex``: the raw payload text matches the regular expression;
        - ``value`` alone: the raw payload text equals ``value``.
        No condition: the first message. Messages received since the listener started
        count, each message is returned at most once.

        Returns a dictionary: ``channel``, ``pattern``, ``data`` (text, or bytes),
        ``payload`` (the parsed JSON, or None), ``received_at`` (epoch seconds), ``index``.

        On timeout, fails listing what did arrive on the channel (and how many were not JSON).

        | ${msg}= | `Wait For Message` | ${channel} | field=universe | value=TEST_etf_growth |
        | `Wait For Message` | ${channel} | jsonpath=$.symbols[0] | value=SPY | timeout=2 s |
        | `Wait For Message` | ${channel} | regex=^\\{"seq": |
        """
        lst = self.ctx.listener_for(channel, listener)
        cond = Condition(field, value, jsonpath, regex)
        deadline = time.monotonic() + timeout.total_seconds()
        checked = 0
        while True:
            messages = lst.messages(channel)
            for message in messages[checked:]:
                if message.index not in lst.taken and cond.matches(message):
                    lst.taken.add(message.index)
                    logger.info(f"Message #{message.index} on {message.channel!r}: {message.short(300)}")
                    return message.as_dict()
            checked = len(messages)
            if time.monotonic() >= deadline:
                break
            time.sleep(0.005)
        where = f"channel {channel!r}" if channel else f"listener {lst.name!r}"
        raise CrosscheckError(
            f"No message on {where} matching {cond} within {timeout.total_seconds():g} s; "
            f"{describe_arrivals(lst.messages(channel), channel)}")

    @keyword
    def get_received_messages(self, channel: str | None = None, listener: str | None = None) -> list[dict]:
        """All messages the listener received (on ``channel``, or on all), in arrival order.

        Each is a dictionary as `Wait For Message` returns. Waits first until the messages
        this library published there arrived (or arrivals stopped for 0.5 s).
        """
        lst = self.ctx.listener_for(channel, listener)
        settle_down(self.ctx, lst, [channel] if channel else lst.channels + lst.channels_seen())
        return [m.as_dict() for m in lst.messages(channel)]

    @keyword
    def clear_received_messages(self, listener: str | None = None) -> None:
        """Forgets what the listener received so far; statistics start over from here."""
        lst = self.ctx.listener(listener)
        lst.clear()
        lst.started_mono = time.monotonic()

    @keyword
    def get_message_payload(self, message: Any) -> Any:
        """The JSON payload of ``message`` (as returned by `Wait For Message`, or text).

        Fails if the payload is not JSON, naming the channel and showing the text.
        """
        channel = None
        data = message
        if isinstance(message, dict) and "data" in message:
            channel, data = message.get("channel"), message["data"]
        import json

        try:
            return json.loads(data)
        except (TypeError, ValueError) as exc:
            where = f" on channel {channel!r}" if channel else ""
            text = data if isinstance(data, str) else repr(data)
            raise CrosscheckError(f"Message{where} is not JSON ({exc}): {text[:200]!r}") from None
