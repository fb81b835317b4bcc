"""Lists and keys, the logic: push and blocking pop (a list-based broker's queue), key values
with an expiry, counting keys by ``SCAN``, and the undo actions for what the keywords create.

Undo is exact: values a test pushed are removed from the list (``LREM``, one per value, from
the side it was pushed to; what a consumer already popped is gone anyway); a key a test set
is deleted, or restored to its value and expiry from before (``DUMP``/``RESTORE``). Nothing
else is touched, and nothing is ever flushed.
"""

from __future__ import annotations

from typing import Any

import redis

from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.messaging.connection import COMMAND_TIMEOUT, Connection
from crosscheck.messaging.context import Context
from crosscheck.messaging.publishing import encode

SIDES = ("left", "right")


def side_of(side: str) -> str:
    value = str(side).strip().lower()
    if value not in SIDES:
        raise ConfigurationError(f"Unknown list side {side!r}; use left or right.")
    return value


def value_text(value: Any) -> str | bytes:
    """A value as Redis returned it: text when it is UTF-8, else bytes."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value
    return value


def wrong_type(conn: Connection, key: str, wanted: str, exc: redis.ResponseError) -> CrosscheckError:
    """The failure for a key of another type: the key, its type, where."""
    if "WRONGTYPE" not in str(exc):
        return CrosscheckError(f"Redis at {conn.where} refused the command on key {key!r}: {exc}")
    kind = conn.run(conn.client.type, key)
    kind = kind.decode("utf-8", "replace") if isinstance(kind, bytes) else str(kind)
    return CrosscheckError(f"Key {key!r} at {conn.where} holds a {kind}, not a {wanted}.")


def push(ctx: Context, conn: Connection, key: str, values: list[Any], side: str = "right") -> int:
    """``RPUSH`` (or ``LPUSH``) ``values`` onto ``key``; returns the list's new length. Their
    removal is registered first, so a failure half-way leaves nothing behind either."""
    side = side_of(side)
    if not values:
        raise ConfigurationError(f"Push To List needs at least one value for list {key!r}.")
    data = [encode(v) for v in values]
    # LREM count: from the head for values pushed left, from the tail for values pushed right
    count = 1 if side == "left" else -1

    def undo() -> None:
        pipe = conn.client.pipeline(transaction=False)
        for item in data:
            pipe.lrem(key, count, item)  # type: ignore[arg-type]  # redis-py takes bytes too
        try:
            conn.run(pipe.execute)
        except redis.ResponseError:  # the key holds something else now: it is not ours to touch
            pass

    ctx.cleanup.add(f"{len(data)} values pushed to list {key!r} at {conn.where}", undo)
    command = conn.client.lpush if side == "left" else conn.client.rpush
    try:
        return int(conn.run(command, key, *data))
    except redis.ResponseError as exc:
        raise wrong_type(conn, key, "list", exc) from None


def pop(conn: Connection, key: str, side: str, timeout: float) -> tuple[bool, Any]:
    """(popped, value) by ``BLPOP``/``BRPOP`` waiting up to ``timeout`` seconds (``LPOP``/``RPOP``
    for 0). A wait near the connection's command timeout uses a client of its own."""
    side = side_of(side)
    if timeout < 0:
        raise ConfigurationError(f"The pop timeout must not be negative, got {timeout:g} s.")
    try:
        if timeout == 0:
            value = conn.run(conn.client.lpop if side == "left" else conn.client.rpop, key)
            return value is not None, value_text(value)
        if timeout + 1 < COMMAND_TIMEOUT:
            client = conn.client
            own = None
        else:
            client = own = conn.new_client(socket_timeout=timeout + 5)
        try:
            found = conn.run(client.blpop if side == "left" else client.brpop, [key], timeout=timeout)
        finally:
            if own is not None:
                own.close()
    except redis.ResponseError as exc:
        raise wrong_type(conn, key, "list", exc) from None
    if found is None:
        return False, None
    return True, value_text(found[1])


def list_length(conn: Connection, key: str) -> int:
    try:
        return int(conn.run(conn.client.llen, key))
    except redis.ResponseError as exc:
        raise wrong_type(conn, key, "list", exc) from None


def set_value(ctx: Context, conn: Connection, key: str, value: Any, ttl_ms: int | None) -> None:
    """``SET key value [PX ttl]``; its undo deletes the key, or restores the value and expiry it had."""
    before = conn.run(conn.client.dump, key)
    expiry = int(conn.run(conn.client.pttl, key)) if before is not None else -1

    def undo() -> None:
        if before is None:
            conn.run(conn.client.delete, key)
        else:
            conn.run(conn.client.restore, key, max(expiry, 0), before, replace=True)

    what = "restore key" if before is not None else "key"
    ctx.cleanup.add(f"{what} {key!r} at {conn.where}", undo)
    conn.run(conn.client.set, key, encode(value), px=ttl_ms)


def count_keys(conn: Connection, pattern: str) -> int:
    """Keys matching the glob ``pattern``, by ``SCAN`` (never ``KEYS``); SCAN may return a key twice."""
    return len(set(conn.run(lambda: list(conn.client.scan_iter(match=pattern, count=1000)))))


def ttl_seconds(conn: Connection, key: str) -> float:
    """The remaining time to live of ``key`` in seconds (``PTTL``); fails when it has none."""
    left = int(conn.run(conn.client.pttl, key))
    if left == -2:
        raise CrosscheckError(f"Key {key!r} does not exist at {conn.where}: it has no TTL to check.")
    if left == -1:
        raise CrosscheckError(f"Key {key!r} at {conn.where} has no TTL: it never expires.")
    return left / 1000.0
