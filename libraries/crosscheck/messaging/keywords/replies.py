"""Request-to-response keywords: a reply listener, requests recorded by id, reply latency and
lost, duplicate and unmatched replies."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

from robot.api import logger
from robotlibcore import keyword

from crosscheck import figures, reporting
from crosscheck.assertions import AssertionOperator, chart_target, check, time_target, to_millis
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.messaging import keys
from crosscheck.messaging.context import Context
from crosscheck.messaging.delivery import figure_name, gather_replies, reply_figure, reply_log, reply_where
from crosscheck.messaging.listener import Listener
from crosscheck.messaging.publishing import encode
from crosscheck.messaging.replies import STATISTICS, ReplyStats, RequestLog
from crosscheck.messaging.timestamps import FieldPath, TimestampError, parse_timestamp

VIAS = ("publish", "lpush", "rpush")


class ReplyKeywords(Component[Context]):
    @keyword
    def start_reply_listener(
        self,
        *channels: str,
        id_path: str = "task_id",
        reply_timeout: timedelta = timedelta(seconds=5),
        patterns: list[str] | None = None,
        name: str | None = None,
        alias: str | None = None,
    ) -> str:
        """Listens for replies on ``channels`` (and glob ``patterns``) and matches each to a
        request by the id at ``id_path``; returns the listener's name.

        ``id_path`` is a field (``task_id``), a dotted path (``result.task_id``) or a
        JSONPath (``$.meta.request_id``); ids ``7`` and ``"7"`` are the same. A request
        with no reply within ``reply_timeout`` counts as lost (a reply after it as late,
        and lost). Requests are recorded with `Send Request` or `Record Request Sent`; the
        figures come from `Get Reply Latency`, `Get Reply Statistics`,
        `Get Lost Reply Count`, `Get Duplicate Reply Count`, `Get Unmatched Reply Count`
        and `Reply Statistics Should Be Complete`.

        Returns once Redis confirmed the subscription, as `Start Listening` does; the
        listener stops when the test (or suite) that started it ends.

        | ${replies}= | `Start Reply Listener` | ${channel} | id_path=task_id |
        | ${replies}= | `Start Reply Listener` | ${channel} | id_path=$.result.task_id | reply_timeout=10 s |
        """
        log = RequestLog(id_path, reply_timeout.total_seconds())
        listener = self.ctx.start_listener(list(channels), list(patterns or []), name, alias, 5.0)
        self.ctx.requests[listener.name] = log
        logger.info(
            f"Listening for replies as {listener.name!r} on {', '.join(listener.subscriptions)} at "
            f"{listener.connection.where}, matched by {log.id_path.path!r} within {log.timeout:g} s."
        )
        return listener.name

    @keyword
    def record_request_sent(self, listener: str, request_id: Any, sent_at: Any = None) -> str:
        """Records that the request ``request_id`` was sent now; its reply on ``listener`` is
        then awaited. Returns the id as text.

        For requests the test sends another way: an HTTP call, a task a client library
        enqueues. Call it right before sending; when the id is only known afterwards (the
        service assigns it), take the time first and pass it as ``sent_at`` (epoch
        seconds or milliseconds, or ISO-8601; see `Timestamps`). The same id recorded
        twice keeps its first send time.

        | `Record Request Sent` | ${replies} | ${task_id} |
        | ${before}= | `Get Time` | epoch |
        | `Record Request Sent` | ${replies} | task-42 | sent_at=${before} |
        """
        _, log = reply_log(self.ctx, listener)
        mono = time.monotonic()
        if sent_at is not None:
            try:
                wall = parse_timestamp(sent_at)
            except TimestampError as exc:
                raise ConfigurationError(f"sent_at of request {request_id!r} cannot be read: {exc}.") from None
            mono -= time.time() - wall
        return log.record(request_id, mono)

    @keyword
    def send_request(
        self,
        listener: str,
        target: str,
        message: Any,
        request_id: Any = None,
        via: str = "publish",
        id_path: str | None = None,
        alias: str | None = None,
    ) -> str:
        """Sends ``message`` to ``target`` and records it as a request awaiting its reply on
        ``listener``; returns the request's id.

        ``via``: ``publish`` (``PUBLISH`` on the channel ``target``), ``lpush`` or ``rpush``
        (a task pushed on the list ``target``, as list-based brokers queue work; removed
        again when the test ends if no worker took it). The id is ``request_id``, else the
        value at ``id_path`` in the message (default: the listener's ``id_path``). The
        send time is taken right before the command goes out.

        | ${id}= | `Send Request` | ${replies} | ${requests} | ${{ {"task_id": "t-1", "args": [2, 3]} }} |
        | `Send Request` | ${replies} | ${queue} | ${{ {"id": "t-2"} }} | via=lpush | id_path=id |
        """
        _, log = reply_log(self.ctx, listener)
        via = str(via).strip().lower()
        if via not in VIAS:
            raise ConfigurationError(f"Unknown way to send a request {via!r}; use publish, lpush or rpush.")
        key = self._request_id(message, request_id, FieldPath(id_path, "request id path") if id_path else log.id_path)
        conn = self.ctx.connection(alias)
        log.record(key, time.monotonic())
        try:
            if via == "publish":
                conn.run(conn.client.publish, target, encode(message))
            else:
                keys.push(self.ctx, conn, target, [message], side="left" if via == "lpush" else "right")
        except BaseException:
            log.forget(key)
            raise
        return key

    @staticmethod
    def _request_id(message: Any, request_id: Any, path: FieldPath) -> str:
        if request_id is not None:
            return str(request_id)
        payload = message
        if isinstance(message, (str, bytes)):
            try:
                payload = json.loads(message)
            except ValueError:
                payload = None
        found, value = path.find(payload)
        if not found or value is None:
            raise ConfigurationError(
                f"The request has no id at {path.path!r}: give request_id=, or id_path= where the message holds it."
            )
        return str(value)

    # --- figures ---------------------------------------------------------------------------
    @keyword
    def get_reply_statistics(self, listener: str | None = None) -> dict:
        """All reply figures of ``listener`` (default: the latest reply listener) as a dictionary.

        Keys: ``requests``, ``replied`` (within the timeout), ``lost`` (no reply within the
        timeout), ``late`` (replied after it; counted in ``lost``), ``pending``,
        ``duplicates`` (another reply to an answered request), ``unmatched`` (a reply
        whose id was not requested, or that has none), ``without_id``, ``early`` (arrived
        before its request was recorded), ``lost_ids``, ``latency_count`` and
        ``latency_<min|p50|p95|p99|max|mean>_ms``.

        Waits first until every request was answered or its timeout passed. The figures
        and a latency histogram are written to the log and recorded for the verdict.

        | ${stats}= | `Get Reply Statistics` | ${replies} |
        """
        lst, stats = gather_replies(self.ctx, listener)
        self._log(lst, stats)
        self._record(lst, stats, ("p50", "p95", "p99", "max"))
        return stats.as_dict()

    @keyword
    def get_reply_latency(
        self,
        listener: str | None = None,
        statistic: str = "p95",
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
    ) -> float:
        """Request-to-reply latency in milliseconds of replies within the timeout:
        ``statistic`` is ``p50``, ``p95``, ``p99``, ``max``, ``min`` or ``mean``.

        Measured from the request's send time to the reply's arrival, both on this
        process's monotonic clock. ``assertion_expected`` is a time with a unit
        (``100 ms``, ``0.1 s``); a bare number is refused (see `Times`). The distribution
        is logged with the target the assertion used.

        | `Get Reply Latency` | ${replies} | p95 | < | 500 ms |
        | ${p50}= | `Get Reply Latency` | ${replies} | p50 |
        """
        statistic = str(statistic).lower()
        if statistic not in STATISTICS:
            raise ConfigurationError(f"Unknown latency statistic {statistic!r}; use one of {', '.join(STATISTICS)}.")
        lst, _ = reply_log(self.ctx, listener)
        what = f"{statistic} reply latency (ms) {reply_where(lst)}"
        target = time_target(assertion_operator, assertion_expected, what)
        lst, stats = gather_replies(self.ctx, lst.name)
        line, label = chart_target(assertion_operator, target)
        self._log(lst, stats, target=line, label=label)
        value = stats.latency(statistic)
        if value is None:
            raise CrosscheckError(f"No reply latency {stats.where}: {stats.figures()}.")
        figures.record(
            figure_name(reply_figure(lst), f"reply_{statistic}_ms"),
            value,
            "ms",
            "lower",
            where=what,
            samples=stats.latencies,
        )
        return check(value, assertion_operator, assertion_expected if target is None else target, what)

    @keyword
    def get_lost_reply_count(
        self,
        listener: str | None = None,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
    ) -> int:
        """Requests with no reply within the reply timeout (late replies included).

        | `Get Lost Reply Count` | ${replies} | == | 0 |
        """
        return self._count(listener, "lost", assertion_operator, assertion_expected)

    @keyword
    def get_duplicate_reply_count(
        self,
        listener: str | None = None,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
    ) -> int:
        """Replies to a request that had its reply already.

        | `Get Duplicate Reply Count` | ${replies} | == | 0 |
        """
        return self._count(listener, "duplicates", assertion_operator, assertion_expected)

    @keyword
    def get_unmatched_reply_count(
        self,
        listener: str | None = None,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
    ) -> int:
        """Replies whose id names no recorded request, or that carry no id at the id path.

        | `Get Unmatched Reply Count` | ${replies} | == | 0 |
        """
        return self._count(listener, "unmatched", assertion_operator, assertion_expected)

    @keyword
    def reply_statistics_should_be_complete(
        self,
        listener: str | None = None,
        latency: Any = None,
        statistic: str = "p95",
        unmatched_allowed: bool = False,
    ) -> dict:
        """Checks that every request got exactly one reply within the timeout, and fails
        naming the listener and every problem.

        Problems: no request recorded (nothing was checked), lost replies (with their
        ids), duplicate replies, unmatched replies (unless ``unmatched_allowed``: other
        clients share the channel), replies that arrived before their request was
        recorded, and with ``latency`` (a time with a unit, see `Times`) a ``statistic``
        latency at or above it. Returns the figures as `Get Reply Statistics` does.

        | `Reply Statistics Should Be Complete` | ${replies} |
        | `Reply Statistics Should Be Complete` | ${replies} | latency=500 ms | statistic=p99 |
        """
        statistic = str(statistic).lower()
        if statistic not in STATISTICS:
            raise ConfigurationError(f"Unknown latency statistic {statistic!r}; use one of {', '.join(STATISTICS)}.")
        limit = None if latency is None else to_millis(latency, f"{statistic} reply latency")
        lst, stats = gather_replies(self.ctx, listener)
        self._log(lst, stats, target=limit, label="target <")
        self._record(lst, stats, (statistic,))
        problems = []
        if not stats.requests:
            problems.append("no request was recorded (use 'Send Request' or 'Record Request Sent')")
        if stats.lost:
            problems.append(stats.lost_text())
        if stats.duplicates:
            problems.append(f"{stats.duplicates:,} duplicate replies")
        if stats.unmatched and not unmatched_allowed:
            problems.append(f"{stats.unmatched:,} unmatched replies ({'; '.join(stats.unmatched_examples)})")
        if stats.early:
            problems.append(
                f"{stats.early:,} replies arrived before their request was recorded "
                "(record it before sending, or give sent_at=)"
            )
        if limit is not None:
            value = stats.latency(statistic)
            if value is None:
                problems.append("no reply latency (no request was answered in time)")
            elif value >= limit:
                problems.append(f"{statistic} reply latency {value:.1f} ms >= target {limit:g} ms")
        if problems:
            raise CrosscheckError(
                f"Replies on listener {lst.name!r} are not complete: {'; '.join(problems)} [{stats.figures()}]"
            )
        return stats.as_dict()

    # --- helpers ---------------------------------------------------------------------------
    def _count(self, listener: str | None, name: str, operator: AssertionOperator | None, expected: Any) -> int:
        lst, stats = gather_replies(self.ctx, listener)
        value = int(getattr(stats, name))
        figures.record(figure_name(reply_figure(lst), f"reply_{name}"), value, "count", "lower", where=stats.where)
        label = {"lost": "Lost replies", "duplicates": "Duplicate replies", "unmatched": "Unmatched replies"}[name]
        detail = {
            "lost": stats.lost_text() if stats.lost else f"{stats.replied:,} of {stats.requests:,} replied",
            "duplicates": f"{stats.requests:,} requests",
            "unmatched": "; ".join(stats.unmatched_examples) or "none",
        }[name]
        return check(value, operator, expected, f"{label} {stats.where} ({detail})", convert=int)

    @staticmethod
    def _record(lst: Listener, stats: ReplyStats, statistics: tuple[str, ...]) -> None:
        channel = reply_figure(lst)
        for statistic in statistics:
            value = stats.latency(statistic)
            if value is not None:
                figures.record(
                    figure_name(channel, f"reply_{statistic}_ms"),
                    value,
                    "ms",
                    "lower",
                    where=stats.where,
                    samples=stats.latencies,
                )
        for name in ("lost", "duplicates", "unmatched"):
            figures.record(
                figure_name(channel, f"reply_{name}"), getattr(stats, name), "count", "lower", where=stats.where
            )

    @staticmethod
    def _log(lst: Listener, stats: ReplyStats, target: float | None = None, label: str = "target") -> None:
        extra = {
            "requests": stats.requests,
            "replied": stats.replied,
            "lost": stats.lost,
            "late": stats.late,
            "duplicates": stats.duplicates,
            "unmatched": stats.unmatched,
        }
        reporting.log_distribution(
            stats.latencies, "ms", f"Reply latency {stats.where}", target=target, extra=extra, target_label=label
        )
