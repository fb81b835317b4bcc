"""Listening in the background, waiting for matching messages."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

from robot.api import logger
from robotlibcore import keyword

from crosscheck.core import Component
from crosscheck.errors import CrosscheckError
from crosscheck.messaging.context import Context
from crosscheck.messaging.delivery import settle_down
from crosscheck.messaging.listener import Condition, describe_arrivals
from crosscheck.messaging.timestamps import TimestampReader


class ListeningKeywords(Component[Context]):
    @keyword
    def start_listening(
        self,
        *channels: str,
        patterns: list[str] | None = None,
        name: str | None = None,
        alias: str | None = None,
        timeout: timedelta = timedelta(seconds=5),
        timestamp_field: str | None = None,
        timestamp_format: str | None = None,
    ) -> str:
        """Subscribes to ``channels`` (and glob ``patterns``) in the background; returns the listener's name.

        The keyword returns once Redis has confirmed every subscription, so a message
        published right after it is never lost. Every message is stamped on arrival
        (monotonic and wall clock) and kept for `Wait For Message`, the delivery
        statistics and the contract checks. Several listeners can run at once; the
        latest one is the default for the other keywords. The listener stops at the end
        of the test (or suite) that started it, or with `Stop Listening`.

        ``timestamp_field`` and ``timestamp_format`` say where and how the messages on
        this listener carry their send time (default: the library's; see `Timestamps`):
        a task queue's results with ``timestamp_field=date_done`` (ISO-8601), a payload
        with ``timestamp_field=$.meta.ts  timestamp_format=epoch_ms``.

        A lost connection is re-established every 50 ms and the subscriptions renewed;
        see `Get Recovery Time`.

        | ${listener}= | `Start Listening` | ${channel} |
        | `Start Listening` | tickstock.universe.updated | tickstock.cache.sync_complete | name=app |
        | `Start Listening` | patterns=${{ ["tickstock.*"] }} |
        | `Start Listening` | ${channel} | name=results | timestamp_field=result.date_done | timestamp_format=iso |
        """
        reader = self._timestamp_reader(timestamp_field, timestamp_format)
        listener = self.ctx.start_listener(
            list(channels), list(patterns or []), name, alias, timeout.total_seconds(), reader
        )
        name, conn = listener.name, listener.connection
        logger.info(
            f"Listening as {name!r} on {', '.join(listener.subscriptions)} at {conn.where} (subscription confirmed)."
        )
        return name

    def _timestamp_reader(self, field: str | None, fmt: str | None) -> TimestampReader | None:
        """The listener's own send-time reader, or None for the library's."""
        if field is None and fmt is None:
            return None
        default = self.ctx.timestamp
        return TimestampReader(field or default.path, fmt or default.format)

    @keyword
    def stop_listening(self, name: str | None = None) -> int:
        """Stops the listener ``name`` (default: the latest); returns how many messages it received.

        Its messages stay available to the statistics keywords until the test ends.
        """
        listener = self.ctx.listener(name)
        listener.stop()
        return len(listener.records)

    @keyword
    def wait_for_message(
        self,
        channel: str | None = None,
        timeout: timedelta = timedelta(seconds=5),
        field: str | None = None,
        value: Any = None,
        jsonpath: str | None = None,
        regex: str | None = None,
        listener: str | None = None,
    ) -> dict:
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
        message = lst.take(channel, cond, timeout.total_seconds())
        if message is not None:
            logger.info(f"Message #{message.index} on {message.channel!r}: {message.short(300)}")
            return message.as_dict()
        where = f"channel {channel!r}" if channel else f"listener {lst.name!r}"
        raise CrosscheckError(
            f"No message on {where} matching {cond} within {timeout.total_seconds():g} s; "
            f"{describe_arrivals(lst.messages(channel), channel)}"
        )

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
        try:
            return json.loads(data)
        except (TypeError, ValueError) as exc:
            where = f" on channel {channel!r}" if channel else ""
            text = data if isinstance(data, str) else repr(data)
            raise CrosscheckError(f"Message{where} is not JSON ({exc}): {text[:200]!r}") from None
