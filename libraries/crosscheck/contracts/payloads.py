"""Message payloads against their channel's JSON Schema: payloads as given, or read from a Redis stream.

The checking itself is :mod:`crosscheck.contracts.jsonschema_check`; the Redis client comes from
:mod:`crosscheck.services.redis`. Reading a stream changes nothing in it.
"""

from __future__ import annotations

import json
from typing import Any

from crosscheck.contracts.jsonschema_check import SchemaRegistry
from crosscheck.errors import CrosscheckError

STREAM_TIMEOUT = 10.0


def as_payload(payload: Any, where: str) -> Any:
    """``payload`` as JSON data: bytes and text are parsed, anything else is taken as it is."""
    if isinstance(payload, (bytes, bytearray)):
        payload = payload.decode("utf-8", "replace")
    if isinstance(payload, str):
        try:
            return json.loads(payload)
        except json.JSONDecodeError as exc:
            raise CrosscheckError(f"{where} is not JSON: {exc.msg} at character {exc.pos}.") from None
    return payload


def read_stream(stream: str, count: int, redis_url: str | None = None) -> list:
    """The latest ``count`` entries of ``stream``, newest first; one line naming the cause when unreachable."""
    import redis as redis_py

    from crosscheck.services import redis

    url = redis_url or redis.url()
    client = redis.connect(url, socket_timeout=STREAM_TIMEOUT)
    try:
        return list(client.xrevrange(stream, count=count) or [])
    except (redis_py.ConnectionError, redis_py.TimeoutError) as exc:
        raise redis.SERVICE.unreachable(url, exc) from None
    finally:
        client.close()


def invalid_entries(
    entries: list, registry: SchemaRegistry, channel: str, stream: str, field: str
) -> list[tuple[str, list]]:
    """Each entry that does not hold a valid payload in ``field``: ``(where, mismatches or problems)``."""
    bad: list[tuple[str, list]] = []
    for entry_id, fields in entries:
        entry_id = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
        raw = fields.get(field.encode()) if field.encode() in fields else fields.get(field)
        where = f"Entry {entry_id} of '{stream}'"
        if raw is None:
            bad.append((where, [f"field '{field}' missing; fields: {sorted(k.decode() for k in fields)}"]))
            continue
        try:
            data = as_payload(raw, where)
        except CrosscheckError as exc:
            bad.append((where, [str(exc)]))
            continue
        mismatches = registry.validate(channel, data)
        if mismatches:
            bad.append((where, mismatches))
    return bad
