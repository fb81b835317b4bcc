"""Redis Streams, the logic: entries as dictionaries, ids, loss to trimming, and the undo
actions for what the stream keywords create (streams, entries, consumer groups)."""

from __future__ import annotations

import json
from typing import Any

import redis

from crosscheck.messaging.connection import Connection

PAYLOAD_FIELD = "payload"


def text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def id_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def entry(raw_id: Any, raw_fields: Any) -> dict:
    """``{"id", "fields", "payload"}``: fields as text, ``payload`` parsed if it is JSON."""
    fields = {text(k): text(v) for k, v in (raw_fields or {}).items()}
    payload = None
    if PAYLOAD_FIELD in fields:
        try:
            payload = json.loads(fields[PAYLOAD_FIELD])
        except ValueError:
            payload = None
    return {"id": text(raw_id), "fields": fields, "payload": payload}


def ids_of(entries: tuple) -> list[str]:
    out = []
    for item in entries:
        if isinstance(item, dict):
            out.append(item["id"])
        elif isinstance(item, (list, tuple)):
            out.extend(ids_of(tuple(item)))
        else:
            out.append(text(item))
    return out


def lost(added: list[str], first_id: str | None, read: set[str]) -> int:
    """Entries of ``added`` older than the stream's first entry (``first_id``; None: the
    stream is empty) that were not read before they were trimmed away."""
    first_key = id_key(first_id) if first_id is not None else None
    return sum(1 for i in added if (first_key is None or id_key(i) < first_key) and i not in read)


# --- undo actions: what already disappeared (a restarted embedded server keeps no data) is no failure
def delete_stream(conn: Connection, stream: str) -> None:
    conn.run(conn.client.delete, stream)


def delete_entries(conn: Connection, stream: str, ids: list[str]) -> None:
    if ids:
        conn.run(conn.client.xdel, stream, *ids)


def destroy_group(conn: Connection, stream: str, group: str) -> None:
    try:
        conn.run(conn.client.xgroup_destroy, stream, group)
    except redis.ResponseError:
        if conn.run(conn.client.exists, stream):
            raise
