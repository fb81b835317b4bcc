"""List and key keywords: a list-based broker's queue (push, blocking pop, length), key values
with an expiry, key counts by SCAN and time to live."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from robot.api import logger
from robotlibcore import keyword

from crosscheck.assertions import AssertionOperator, check, time_target
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.messaging import keys
from crosscheck.messaging.context import Context


class KeyKeywords(Component[Context]):
    @keyword
    def push_to_list(self, key: str, *values: Any, side: str = "right", alias: str | None = None) -> int:
        """Pushes ``values`` onto the list ``key`` (``RPUSH``, or ``LPUSH`` with ``side=left``);
        returns the list's length afterwards.

        Text and bytes go as they are, dictionaries and lists as JSON: a task for a
        list-based broker's queue. When the test ends, the values it pushed are removed
        again (``LREM``; what a worker popped meanwhile is gone anyway); nothing else in
        the list is touched. A key of another type fails naming its type.

        | `Push To List` | ${queue} | ${{ {"task_id": "t-1", "args": [2, 3]} }} |
        | ${length}= | `Push To List` | ${queue} | first | second | side=left |
        """
        conn = self.ctx.connection(alias)
        length = keys.push(self.ctx, conn, key, list(values), side)
        logger.info(f"Pushed {len(values)} values ({keys.side_of(side)}) onto list {key!r}: length {length}.")
        return length

    @keyword
    def pop_from_list(
        self, key: str, timeout: timedelta = timedelta(seconds=5), side: str = "left", alias: str | None = None
    ) -> Any:
        """Pops one value from the list ``key``, waiting up to ``timeout`` for one to arrive
        (``BLPOP``, or ``BRPOP`` with ``side=right``; ``timeout=0`` does not wait); returns it
        as text (bytes when it is not UTF-8).

        Fails when nothing arrived in time, naming the list and its length, or when the key
        holds another type. Use `Get Message Payload` to read a JSON value.

        | ${task}= | `Pop From List` | ${queue} | timeout=2 s |
        | ${last}= | `Pop From List` | ${queue} | side=right | timeout=0 |
        """
        conn = self.ctx.connection(alias)
        wait = timeout.total_seconds()
        popped, value = keys.pop(conn, key, side, wait)
        if not popped:
            exists = bool(conn.run(conn.client.exists, key))
            state = "the list is empty" if exists else "the key does not exist"
            raise CrosscheckError(f"Nothing to pop from list {key!r} at {conn.where} within {wait:g} s ({state}).")
        return value

    @keyword
    def get_list_length(
        self,
        key: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        alias: str | None = None,
    ) -> int:
        """Number of values in the list ``key`` (``LLEN``; 0 when it does not exist): a
        broker queue's depth.

        | `Get List Length` | ${queue} | == | 0 |
        """
        conn = self.ctx.connection(alias)
        length = keys.list_length(conn, key)
        return check(length, assertion_operator, assertion_expected, f"Length of list {key!r}", convert=int)

    @keyword
    def set_key(self, key: str, value: Any, ttl: timedelta | None = None, alias: str | None = None) -> None:
        """Sets the key ``key`` to ``value`` (text, bytes, or JSON for dictionaries and
        lists), expiring after ``ttl`` if given.

        When the test ends the key is deleted, or, if it existed before, restored to its
        value and expiry from before.

        | `Set Key` | ${key} | ready | ttl=1 min |
        """
        if ttl is not None and ttl.total_seconds() <= 0:
            raise ConfigurationError(f"The TTL of key {key!r} must be above zero, got {ttl.total_seconds():g} s.")
        conn = self.ctx.connection(alias)
        keys.set_value(self.ctx, conn, key, value, None if ttl is None else max(1, round(ttl.total_seconds() * 1000)))

    @keyword
    def get_key_count(
        self,
        pattern: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        alias: str | None = None,
    ) -> int:
        """Number of keys matching the glob ``pattern`` in the connection's database,
        counted by ``SCAN`` (never ``KEYS``, which blocks the server).

        | `Get Key Count` | ${namespace}:result:* | == | 0 |
        """
        conn = self.ctx.connection(alias)
        count = keys.count_keys(conn, pattern)
        return check(
            count, assertion_operator, assertion_expected, f"Keys matching {pattern!r} at {conn.where}", convert=int
        )

    @keyword("Get Key TTL")
    def get_key_ttl(
        self,
        key: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        alias: str | None = None,
    ) -> float:
        """Remaining time to live of ``key`` in seconds (``PTTL``, to the millisecond).

        ``assertion_expected`` is a time with a unit (``30 s``, ``1 min``); a bare number
        is refused (see `Times`). Fails when the key does not exist or never expires.

        | `Get Key TTL` | ${key} | <= | 1 min |
        | `Get Key TTL` | ${key} | > | 30 s |
        """
        conn = self.ctx.connection(alias)
        what = f"TTL (s) of key {key!r} at {conn.where}"
        target = time_target(assertion_operator, assertion_expected, what, unit="s")
        value = keys.ttl_seconds(conn, key)
        return check(value, assertion_operator, assertion_expected if target is None else target, what)
