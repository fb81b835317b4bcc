"""Redis Streams keywords: add, consumer groups, read, acknowledge, pending, claim, catch up, loss."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import redis
from robot.api import logger
from robotlibcore import keyword

from crosscheck.assertions import AssertionOperator, check
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.messaging import streams
from crosscheck.messaging.connection import ERRORS, Connection
from crosscheck.messaging.context import Context
from crosscheck.messaging.publishing import CHUNK, Stamper, encode
from crosscheck.messaging.streams import PAYLOAD_FIELD, entry


class StreamKeywords(Component[Context]):
    def _track_stream(self, conn: Connection, stream: str) -> bool:
        """Whether ``stream`` existed before this library added to it; the first time, registers
        its undo: deleted if this library created it (its entries with it)."""
        key = (conn.alias, stream)
        tracked = self.ctx.tracked_streams
        if key in tracked:
            return tracked[key]
        existed = tracked[key] = bool(conn.run(conn.client.exists, stream))

        def undo() -> None:
            tracked.pop(key, None)
            if not existed:
                self.ctx.stream_adds.pop(key, None)
                streams.delete_stream(conn, stream)

        self.ctx.cleanup.add(f"stream {stream!r} at {conn.where}", undo)
        return existed

    def _added(self, conn: Connection, stream: str, ids: list[Any]) -> None:
        """Record entries added (for `Get Stream Loss`); on a stream that existed, register their removal."""
        ids = [streams.text(i) for i in ids]
        key = (conn.alias, stream)
        added = self.ctx.stream_adds.setdefault(key, [])
        added.extend(ids)
        if self.ctx.tracked_streams.get(key):

            def undo() -> None:
                gone = set(ids)
                self.ctx.stream_adds[key] = [i for i in self.ctx.stream_adds.get(key, []) if i not in gone]
                streams.delete_entries(conn, stream, ids)

            self.ctx.cleanup.add(f"{len(ids)} entries added to stream {stream!r} at {conn.where}", undo)

    def _record_reads(self, conn: Connection, stream: str, group: str, entries: list[dict]) -> None:
        self.ctx.stream_reads.setdefault((conn.alias, stream, group), set()).update(e["id"] for e in entries)

    # --- adding ---------------------------------------------------------------------
    @keyword
    def add_stream_entry(
        self, stream: str, payload: Any = None, maxlen: int | None = None, alias: str | None = None, **fields: Any
    ) -> str:
        """Adds one entry (``XADD``) to ``stream``; returns its id.

        ``payload`` (text, or a dictionary sent as JSON) goes into the field ``payload``,
        as the demo's producer writes it; other named arguments become fields of their own.
        ``maxlen`` trims the stream to that many entries (exactly, not approximately).

        | ${id}= | `Add Stream Entry` | ${stream} | payload=${{ {"universe": "TEST_x"} }} |
        | `Add Stream Entry` | ${stream} | kind=probe | source=suite |
        """
        conn = self.ctx.connection(alias)
        data = {k: encode(v) for k, v in fields.items()}
        if payload is not None:
            data[PAYLOAD_FIELD] = encode(payload)
        if not data:
            raise ConfigurationError("An entry needs a payload or at least one field.")
        self._track_stream(conn, stream)
        entry_id = conn.run(
            conn.client.xadd, stream, data, maxlen=int(maxlen) if maxlen is not None else None, approximate=False
        )
        self._added(conn, stream, [entry_id])
        return streams.text(entry_id)

    @keyword
    def add_stream_entries(
        self,
        stream: str,
        count: int = 1000,
        maxlen: int | None = None,
        body: dict | None = None,
        alias: str | None = None,
    ) -> int:
        """Adds ``count`` stamped entries (field ``payload`` = ``{"seq", "sent_at", "cc", ...body}``), pipelined.

        ``seq`` continues across calls on the same stream. With ``maxlen``, every XADD
        trims the stream to that many entries: what a slow consumer had not read yet is
        then gone, and `Get Stream Loss` reports it. Returns the number added.

        | `Add Stream Entries` | ${stream} | 500 | maxlen=100 |
        """
        conn = self.ctx.connection(alias)
        count = int(count)
        stamp = Stamper(self.ctx, body)
        record = self.ctx.published_on(f"stream:{conn.alias}:{stream}")
        with self.ctx.lock:
            first = record.next_seq
            record.next_seq += count
        self._track_stream(conn, stream)
        ml = int(maxlen) if maxlen is not None else None
        seq, end = first, first + count
        while seq < end:
            last = min(end, seq + CHUNK)
            pipe = conn.client.pipeline(transaction=False)
            wall = time.time()
            for n in range(seq, last):
                pipe.xadd(stream, {PAYLOAD_FIELD: stamp(n, wall)}, maxlen=ml, approximate=False)
            ids = conn.run(pipe.execute)
            record.record(seq, last - 1, time.monotonic())
            self._added(conn, stream, ids)
            seq = last
        return count

    @keyword
    def get_stream_length(
        self,
        stream: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        alias: str | None = None,
    ) -> int:
        """Number of entries in ``stream`` (``XLEN``).

        | `Get Stream Length` | ${stream} | == | 100 |
        """
        conn = self.ctx.connection(alias)
        length = int(conn.run(conn.client.xlen, stream))
        return check(length, assertion_operator, assertion_expected, f"Length of stream {stream!r}", convert=int)

    @keyword
    def get_stream_entries(
        self, stream: str, count: int = 100, newest: bool = False, alias: str | None = None
    ) -> list[dict]:
        """Up to ``count`` entries of ``stream``, oldest first (``XRANGE``); with ``newest``
        the newest ``count`` entries, still in stream order (``XREVRANGE``). Reads only:
        no consumer group is involved. Returns ``{"id", "fields", "payload"}`` as
        `Read As Consumer` does.

        | ${entries}= | `Get Stream Entries` | stream:tickstock.universe.updated | 50 | newest=${True} |
        """
        conn = self.ctx.connection(alias)
        if newest:
            raw = list(reversed(conn.run(conn.client.xrevrange, stream, "+", "-", count=int(count))))
        else:
            raw = conn.run(conn.client.xrange, stream, "-", "+", count=int(count))
        return [entry(i, f) for i, f in raw]

    @keyword
    def trim_stream(
        self, stream: str, maxlen: int | None = None, minid: str | None = None, alias: str | None = None
    ) -> int:
        """Trims ``stream`` exactly (``XTRIM``): to the newest ``maxlen`` entries, or removing every
        entry older than id ``minid``. Returns how many entries were removed.

        This is what a producer's ``MAXLEN`` does to a consumer that is offline: entries it
        had not read are gone. Trim only streams of your test system; consumer groups keep
        their position, and `Get Stream Loss` counts what this library added and lost.

        | ${removed}= | `Trim Stream` | ${stream} | maxlen=100 |
        | ${removed}= | `Trim Stream` | ${stream} | minid=${entries}[5][id] |
        """
        if (maxlen is None) == (minid is None):
            raise ConfigurationError("Trim Stream needs exactly one of maxlen and minid.")
        conn = self.ctx.connection(alias)
        try:
            if maxlen is not None:
                removed = conn.client.xtrim(stream, maxlen=int(maxlen), approximate=False)
            else:
                removed = conn.client.xtrim(stream, minid=str(minid), approximate=False)
        except redis.ResponseError as exc:
            raise CrosscheckError(f"Could not trim stream {stream!r}: {exc}") from None
        except ERRORS as exc:
            raise conn.unreachable(exc) from None
        how = f"to {int(maxlen)} entries" if maxlen is not None else f"below id {minid}"
        logger.info(f"Trimmed stream {stream!r} {how}: {removed} entries removed.")
        return int(removed)

    # --- consumer groups ----------------------------------------------------------------
    @keyword
    def create_consumer_group(
        self, stream: str, group: str, start: str = "$", exists_ok: bool = False, alias: str | None = None
    ) -> None:
        """Creates consumer ``group`` on ``stream`` (created empty if missing), reading from ``start``.

        ``start`` is ``$`` (only entries added from now on) or ``0`` (everything in the
        stream). A group this library creates on a stream it did not create is destroyed
        at the end of the test. Fails if the group exists, unless ``exists_ok``.

        | `Create Consumer Group` | ${stream} | tickstock-app |
        """
        conn = self.ctx.connection(alias)
        self._track_stream(conn, stream)
        try:
            conn.run(conn.client.xgroup_create, stream, group, id=start, mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" in str(exc):
                if exists_ok:
                    return
                raise CrosscheckError(f"Consumer group {group!r} already exists on stream {stream!r}.") from None
            raise CrosscheckError(f"Could not create consumer group {group!r} on {stream!r}: {exc}") from None
        self.ctx.cleanup.add(
            f"consumer group {group!r} on stream {stream!r} at {conn.where}",
            lambda: streams.destroy_group(conn, stream, group),
        )

    @keyword
    def read_as_consumer(
        self,
        stream: str,
        group: str,
        consumer: str,
        count: int = 100,
        block: timedelta = timedelta(milliseconds=100),
        pending: bool = False,
        alias: str | None = None,
    ) -> list[dict]:
        """Reads up to ``count`` entries as ``consumer`` of ``group`` (``XREADGROUP``).

        New entries (``>``) by default; with ``pending`` the consumer's own delivered but
        unacknowledged entries (id ``0``). Waits up to ``block`` for new ones. Returns a
        list of ``{"id", "fields", "payload"}`` (``payload`` is the parsed JSON of the
        ``payload`` field, if any).

        | ${entries}= | `Read As Consumer` | ${stream} | tickstock-app | worker-1 | count=10 |
        """
        conn = self.ctx.connection(alias)
        ms = int(block.total_seconds() * 1000)
        reply: Any
        try:
            reply = conn.client.xreadgroup(
                group,
                consumer,
                {stream: "0" if pending else ">"},
                count=int(count),
                block=None if pending else max(ms, 1),
            )
        except redis.ResponseError as exc:
            if "NOGROUP" in str(exc):
                raise CrosscheckError(
                    f"No consumer group {group!r} on stream {stream!r}; use 'Create Consumer Group' first."
                ) from None
            raise
        except ERRORS as exc:
            raise conn.unreachable(exc) from None
        entries = [entry(i, f) for _, items in (reply or []) for i, f in items if f is not None]
        self._record_reads(conn, stream, group, entries)
        return entries

    @keyword
    def acknowledge_entries(self, stream: str, group: str, *entries: Any, alias: str | None = None) -> int:
        """Acknowledges entries (ids, or entries as `Read As Consumer` returns them, or lists of
        them) for ``group`` (``XACK``); returns how many were acknowledged.

        | `Acknowledge Entries` | ${stream} | tickstock-app | @{entries} |
        """
        conn = self.ctx.connection(alias)
        ids = streams.ids_of(entries)
        if not ids:
            return 0
        return int(conn.run(conn.client.xack, stream, group, *ids))

    @keyword
    def get_pending_count(
        self,
        stream: str,
        group: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        consumer: str | None = None,
        alias: str | None = None,
    ) -> int:
        """Entries delivered to ``group`` (or to one ``consumer``) but not acknowledged (``XPENDING``).

        | `Get Pending Count` | ${stream} | tickstock-app | == | 0 |
        """
        conn = self.ctx.connection(alias)
        try:
            summary = conn.client.xpending(stream, group)
        except redis.ResponseError as exc:
            raise CrosscheckError(f"No consumer group {group!r} on stream {stream!r} ({exc}).") from None
        except ERRORS as exc:
            raise conn.unreachable(exc) from None
        if consumer is None:
            value = int(summary["pending"])
        else:
            value = 0
            for item in summary.get("consumers") or []:
                if streams.text(item["name"]) == consumer:
                    value = int(item["pending"])
        who = f"consumer {consumer!r} of group {group!r}" if consumer else f"group {group!r}"
        return check(
            value, assertion_operator, assertion_expected, f"Pending entries of {who} on stream {stream!r}", convert=int
        )

    @keyword
    def claim_stale_entries(
        self,
        stream: str,
        group: str,
        consumer: str,
        min_idle: timedelta = timedelta(seconds=1),
        count: int = 100,
        alias: str | None = None,
    ) -> list[dict]:
        """Takes over entries of ``group`` idle for at least ``min_idle`` (``XAUTOCLAIM``) for ``consumer``.

        This is how a consumer recovers what a crashed one read but never acknowledged.
        Returns the claimed entries (up to ``count``).

        | ${claimed}= | `Claim Stale Entries` | ${stream} | tickstock-app | worker-2 | min_idle=500 ms |
        """
        conn = self.ctx.connection(alias)
        idle = int(min_idle.total_seconds() * 1000)
        claimed: list[dict] = []
        cursor = "0-0"
        while len(claimed) < int(count):
            try:
                reply = conn.client.xautoclaim(
                    stream, group, consumer, idle, start_id=cursor, count=int(count) - len(claimed)
                )
            except redis.ResponseError as exc:
                raise CrosscheckError(f"Could not claim entries of group {group!r} on {stream!r}: {exc}") from None
            except ERRORS as exc:
                raise conn.unreachable(exc) from None
            cursor, items = streams.text(reply[0]), reply[1]
            claimed.extend(entry(i, f) for i, f in items if f is not None)
            if cursor == "0-0":
                break
        self._record_reads(conn, stream, group, claimed)
        logger.info(f"{consumer!r} claimed {len(claimed)} entries idle for >= {idle} ms on {stream!r}.")
        return claimed

    @keyword
    def catch_up_as_consumer(
        self,
        stream: str,
        group: str,
        consumer: str,
        acknowledge: bool = True,
        batch: int = 500,
        alias: str | None = None,
    ) -> list[dict]:
        """Reads everything ``consumer`` missed while offline: first its own pending entries,
        then every new entry of ``group``, until none are left; returns them in order.

        With ``acknowledge`` (the default) each batch is acknowledged as read. Entries
        trimmed away (``MAXLEN``) while the consumer was away cannot be read: see
        `Get Stream Loss`.

        | ${entries}= | `Catch Up As Consumer` | ${stream} | tickstock-app | worker-1 |
        | Length Should Be | ${entries} | 100 |
        """
        out: list[dict] = []
        for pending in (True, False):
            while True:
                entries = self.read_as_consumer(
                    stream, group, consumer, count=batch, block=timedelta(milliseconds=1), pending=pending, alias=alias
                )
                if not entries:
                    break
                if acknowledge:
                    self.acknowledge_entries(stream, group, *entries, alias=alias)
                out.extend(entries)
                if pending and not acknowledge:
                    break
        logger.info(f"{consumer!r} caught up on {len(out)} entries of {stream!r} (group {group!r}).")
        return out

    @keyword
    def get_stream_loss(
        self,
        stream: str,
        group: str | None = None,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        alias: str | None = None,
    ) -> int:
        """Entries this library added to ``stream`` that were trimmed away (``MAXLEN``) before
        ``group`` read them (without ``group``: trimmed at all).

        Loss is reported, not hidden: seed 001's offline consumer must catch up on
        everything, so a trimmed stream fails ``==    0``.

        | `Get Stream Loss` | ${stream} | tickstock-app | == | 0 |
        """
        conn = self.ctx.connection(alias)
        added = self.ctx.stream_adds.get((conn.alias, stream), [])
        first = conn.run(conn.client.xrange, stream, "-", "+", count=1)
        read = self.ctx.stream_reads.get((conn.alias, stream, group), set()) if group else set()
        lost = streams.lost(added, streams.text(first[0][0]) if first else None, read)
        who = f" before group {group!r} read them" if group else ""
        logger.info(f"{lost} of {len(added)} entries added to {stream!r} were trimmed away{who}.")
        return check(
            lost,
            assertion_operator,
            assertion_expected,
            f"Entries of stream {stream!r} lost to trimming{who} ({len(added)} added)",
            convert=int,
        )
