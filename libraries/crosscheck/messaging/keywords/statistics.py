"""Delivery statistics keywords: getters with assertions, the targets at once, the log."""

from __future__ import annotations

from typing import Any

from robot.api import logger
from robotlibcore import keyword

from crosscheck import figures, reporting
from crosscheck.assertions import AssertionOperator, chart_target, check, time_target, to_millis
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.messaging.context import Context
from crosscheck.messaging.delivery import figure_name, gather, gather_per_channel, where
from crosscheck.messaging.statistics import STATISTICS, Stats, percent
from crosscheck.variables.targets import MESSAGE_DELIVERY_TARGET, MESSAGE_SUCCESS_RATE_TARGET

# seed 001's targets (variables/targets.py holds the same values for suites)


class StatisticsKeywords(Component[Context]):
    # --- keywords -----------------------------------------------------------------
    @keyword
    def get_delivery_statistics(
        self, channel: str | None = None, expected: int | None = None, listener: str | None = None
    ) -> dict:
        """All delivery figures of ``channel`` (default: every channel of the listener) as a dictionary.

        Keys: ``received`` (with duplicates), ``unique``, ``expected``, ``lost``,
        ``success_rate`` (%), ``uncounted_reason``, ``out_of_order``, ``duplicates`` (same
        seq again), ``content_duplicates`` (same content again under another seq),
        ``non_json``, ``latency_count``, ``latency_<min|p50|p95|p99|max|mean>_ms``,
        ``unreadable_timestamps`` (a send time there but not readable; see `Timestamps`)
        and ``untimed`` (messages of the system under test without a send time).

        ``expected`` is how many messages should have arrived. By default it is what
        this library published on the channel while the listener ran plus, for messages
        of the system under test, the span of their seq numbers (so a gap counts as
        lost; pass ``expected`` to count lost messages at the end too). When there is
        neither (messages without seq numbers), ``expected``, ``lost`` and
        ``success_rate`` are None and ``uncounted_reason`` says "no sequence numbers: lost
        messages cannot be counted".

        Waits briefly (until the expected count arrived or arrivals stop for 0.5 s) first.
        The figures and a latency histogram are written to the log.

        | ${stats}= | `Get Delivery Statistics` | ${channel} |
        """
        stats = gather(self.ctx, channel, expected, listener)
        self._warn_unreadable(stats)
        self._log(stats)
        self._record(stats, ("p50", "p95", "p99", "max"))
        return stats.as_dict()

    @keyword
    def get_delivery_latency(
        self,
        statistic: str = "p95",
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        channel: str | None = None,
        listener: str | None = None,
    ) -> float:
        """Delivery latency in milliseconds: ``statistic`` is ``p50``, ``p95``, ``p99``, ``max``, ``min`` or ``mean``.

        Latency is arrival time minus send time: for messages sent by `Publish Messages`
        on the monotonic clock in-process; for the system under test's messages from the
        payload's timestamp field (``timestamp_field``, default ``sent_at``: epoch seconds
        or milliseconds, ISO-8601, at a field or JSONPath; see `Timestamps`) against the
        wall clock. Send times that cannot be read are left out of the figure and a
        warning quotes them (message and value). ``assertion_expected`` is a
        time with a unit (``100 ms``, ``0.1 s``); a bare number is refused. The
        distribution is logged as a percentile table and a histogram that marks the
        expected value as the target line (no line without an assertion).

        | `Get Delivery Latency` | p95 | < | ${MESSAGE_DELIVERY_TARGET} |
        | ${p50}= | `Get Delivery Latency` | p50 | channel=${channel} |
        """
        statistic = statistic.lower()
        if statistic not in STATISTICS:
            raise ConfigurationError(f"Unknown latency statistic {statistic!r}; use one of {', '.join(STATISTICS)}.")
        stats = gather(self.ctx, channel, None, listener)
        what = f"{statistic} delivery latency (ms) {where(stats)}"
        target = time_target(assertion_operator, assertion_expected, what)
        line, label = chart_target(assertion_operator, target)
        self._warn_unreadable(stats)
        self._log(stats, target=line, label=label)
        value = stats.latency(statistic)
        if value is None:
            unreadable = f"; {stats.unreadable_text()}" if stats.unreadable else ""
            raise CrosscheckError(
                f"No latency {where(stats)}: {stats.received} messages arrived, none with a readable send time "
                f"(own stamped messages or a {stats.timestamp!r} field){unreadable}."
            )
        figures.record(
            figure_name(stats.channel, f"{statistic}_ms"), value, "ms", "lower", where=what, samples=stats.latencies
        )
        return check(value, assertion_operator, assertion_expected if target is None else target, what)

    @keyword
    def get_success_rate(
        self,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        channel: str | None = None,
        expected: int | None = None,
        listener: str | None = None,
    ) -> float:
        """Percentage of expected messages that arrived (duplicates not counted twice).

        Fails when it cannot be computed: messages without seq numbers, nothing published
        by this library and no ``expected`` ("no sequence numbers: lost messages cannot be
        counted"); pass ``expected`` when the total is known.

        | `Get Success Rate` | >= | ${MESSAGE_SUCCESS_RATE_TARGET} | channel=${channel} |
        | `Get Success Rate` | == | 100 | channel=${channel} | expected=1000 |
        """
        stats = gather(self.ctx, channel, expected, listener)
        self._require_counted(stats, "Success rate")
        figures.record(
            figure_name(stats.channel, "success_rate"), round(stats.success_rate, 3), "%", "higher", where=where(stats)
        )
        return check(
            round(stats.success_rate, 3),
            assertion_operator,
            assertion_expected,
            f"Success rate (%) {where(stats)} ({stats.unique} of {stats.expected})",
            convert=percent,
        )

    @keyword
    def get_received_count(
        self,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        channel: str | None = None,
        listener: str | None = None,
    ) -> int:
        """Number of distinct messages received (duplicates not counted twice).

        | `Get Received Count` | == | 1000 | channel=${channel} |
        """
        stats = gather(self.ctx, channel, None, listener)
        return check(
            stats.unique, assertion_operator, assertion_expected, f"Received count {where(stats)}", convert=int
        )

    @keyword
    def get_published_count(
        self,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        channel: str | None = None,
    ) -> int:
        """Number of stamped messages this library published on ``channel`` (or on all channels)."""
        records = (
            [self.ctx.published[channel]]
            if channel in self.ctx.published
            else ([] if channel else list(self.ctx.published.values()))
        )
        total = sum(r.total for r in records)
        where = f"on channel {channel!r}" if channel else "on all channels"
        return check(total, assertion_operator, assertion_expected, f"Published count {where}", convert=int)

    @keyword
    def get_lost_count(
        self,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        channel: str | None = None,
        expected: int | None = None,
        listener: str | None = None,
    ) -> int:
        """Expected messages that never arrived (see `Get Delivery Statistics` for ``expected``).

        Fails, as `Get Success Rate` does, when lost messages cannot be counted.

        | `Get Lost Count` | == | 0 | channel=${channel} |
        """
        stats = gather(self.ctx, channel, expected, listener)
        self._require_counted(stats, "Lost messages")
        figures.record(figure_name(stats.channel, "lost"), stats.lost, "count", "lower", where=where(stats))
        return check(
            stats.lost,
            assertion_operator,
            assertion_expected,
            f"Lost messages {where(stats)} ({stats.unique} of {stats.expected} arrived)",
            convert=int,
        )

    @keyword
    def get_out_of_order_count(
        self,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        channel: str | None = None,
        listener: str | None = None,
    ) -> int:
        """Messages that arrived after one with a higher seq from the same source.

        | `Get Out Of Order Count` | == | 0 | channel=${channel} |
        """
        stats = gather(self.ctx, channel, None, listener)
        figures.record(
            figure_name(stats.channel, "out_of_order"), stats.out_of_order, "count", "lower", where=where(stats)
        )
        return check(
            stats.out_of_order,
            assertion_operator,
            assertion_expected,
            f"Out-of-order messages {where(stats)}",
            convert=int,
        )

    @keyword
    def get_duplicate_count(
        self,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        channel: str | None = None,
        listener: str | None = None,
        by: str = "seq",
    ) -> int:
        """Messages that had already arrived: ``by`` ``seq`` (the default) counts a seq
        (from the same source) seen again; ``content`` counts a message of the system
        under test whose fields, all but seq and timestamp, equal an earlier message's
        under another seq (a re-send under a fresh number); ``any`` counts both.

        | `Get Duplicate Count` | == | 0 | channel=${channel} |
        | `Get Duplicate Count` | == | 0 | channel=${channel} | by=content |
        """
        by = by.lower()
        if by not in ("seq", "content", "any"):
            raise ConfigurationError(f"Unknown duplicate kind {by!r}; use seq, content or any.")
        stats = gather(self.ctx, channel, None, listener)
        value = {
            "seq": stats.duplicates,
            "content": stats.content_duplicates,
            "any": stats.duplicates + stats.content_duplicates,
        }[by]
        what = {
            "seq": "Duplicate messages",
            "content": "Duplicate messages by content (same fields, another seq)",
            "any": "Duplicate messages (by seq or content)",
        }[by]
        name = {"seq": "duplicates", "content": "duplicates_by_content", "any": "duplicates_any"}[by]
        figures.record(figure_name(stats.channel, name), value, "count", "lower", where=where(stats))
        return check(
            value,
            assertion_operator,
            assertion_expected,
            f"{what} {where(stats)} ({stats.received} received)",
            convert=int,
        )

    @keyword
    def delivery_should_meet_targets(
        self,
        channel: str | None = None,
        expected: int | None = None,
        latency: Any = MESSAGE_DELIVERY_TARGET,
        statistic: str = "p95",
        success_rate: Any = MESSAGE_SUCCESS_RATE_TARGET,
        ordered: bool = True,
        duplicates_allowed: bool = False,
        minimum: int | None = None,
        listener: str | None = None,
    ) -> dict:
        """Checks seed 001's delivery targets at once and fails naming the channel and every figure missed.

        Targets: ``statistic`` latency below ``latency`` (default ``100 ms``), success
        rate at least ``success_rate`` % (default 95), no message out of order
        (``ordered``), no duplicates by seq or by content (unless ``duplicates_allowed``;
        see `Get Duplicate Count`), every payload
        JSON, every send time readable (see `Timestamps`), and at least ``minimum``
        messages received if given. A success rate that cannot be computed (no sequence
        numbers, nothing published by this library, no ``expected``) is a failure that
        says so. Returns the figures as `Get Delivery Statistics` does.

        | `Delivery Should Meet Targets` | ${channel} | expected=1000 |
        | `Delivery Should Meet Targets` | ${channel} | latency=50 ms | statistic=p99 | minimum=1000 |
        """
        statistic = statistic.lower()
        if statistic not in STATISTICS:
            raise ConfigurationError(f"Unknown latency statistic {statistic!r}; use one of {', '.join(STATISTICS)}.")
        limit = to_millis(latency, f"{statistic} delivery latency")
        stats = gather(self.ctx, channel, expected, listener)
        self._log(stats, target=limit, label="target <")
        self._record(stats, (statistic,))
        problems = []
        rate_target = percent(success_rate)
        if not stats.counted:
            problems.append(f"success rate unknown: {stats.uncounted()}")
        elif stats.success_rate < rate_target:
            problems.append(
                f"success rate {stats.success_rate:.1f} % < {rate_target:g} % "
                f"({stats.unique:,} of {stats.expected:,} arrived, {stats.lost:,} lost)"
            )
        if minimum is not None and stats.unique < int(minimum):
            problems.append(f"{stats.unique:,} messages < minimum {int(minimum):,}")
        value = stats.latency(statistic)
        if value is None:
            problems.append("no latency figure (no message carried a send time)")
        elif value >= limit:
            problems.append(f"{statistic} latency {value:.1f} ms >= target {limit:g} ms")
        if ordered and stats.out_of_order:
            problems.append(f"{stats.out_of_order:,} out of order")
        if not duplicates_allowed and stats.duplicates:
            problems.append(f"{stats.duplicates:,} duplicates")
        if not duplicates_allowed and stats.content_duplicates:
            problems.append(f"{stats.content_duplicates:,} duplicates by content (same fields under another seq)")
        if stats.non_json:
            problems.append(f"{stats.non_json:,} not JSON")
        if stats.unreadable:
            problems.append(stats.unreadable_text())
        if problems:
            raise CrosscheckError(
                f"Delivery {where(stats)} missed its targets: {'; '.join(problems)} [{stats.figures()}]"
            )
        return stats.as_dict()

    @keyword
    def get_pattern_statistics(
        self, pattern: str | None = None, expected: Any = None, listener: str | None = None
    ) -> dict:
        """Delivery figures per channel a pattern listener received: ``{channel: figures}``.

        ``pattern`` is one the listener subscribed to (``Start Listening
        patterns=...``); default: all of its patterns. The listener is ``listener``, else
        the latest one subscribed to ``pattern``. Each channel's figures are those of
        `Get Delivery Statistics` for the messages that came through the pattern, and are
        recorded for the verdict under the channel's name. Channels whose messages carry
        no seq numbers (and that this library did not publish on) show ``None`` for
        ``expected``, ``lost`` and ``success_rate`` and the reason "no sequence numbers:
        lost messages cannot be counted"; ``expected`` (a count for every channel, or a
        dictionary by channel) makes them countable. One table row per channel goes to
        the log.

        | ${per_channel}= | `Get Pattern Statistics` | ${pattern} |
        | ${per_channel}= | `Get Pattern Statistics` | ${pattern} | expected=${{ {$channel: 10} }} |
        """
        lst, parts = gather_per_channel(self.ctx, pattern, expected, listener)
        rows = []
        for stats in parts:
            self._warn_unreadable(stats)
            self._record(stats, ("p50", "p95", "p99", "max"))
            rows.append(
                [
                    stats.channel,
                    stats.unique,
                    stats.expected if stats.counted else "unknown",
                    stats.lost if stats.counted else "unknown",
                    round(stats.success_rate, 2) if stats.counted else stats.uncounted_reason,
                    *(stats.latency(s) if stats.latencies else "-" for s in ("p50", "p95", "max")),
                    stats.out_of_order,
                    stats.duplicates,
                    stats.unreadable,
                ]
            )
        what = f"pattern {pattern!r}" if pattern else f"patterns {', '.join(lst.patterns)}"
        reporting.log_html(
            reporting.html_table(
                rows,
                [
                    "channel",
                    "received",
                    "expected",
                    "lost",
                    "success %",
                    "p50 (ms)",
                    "p95 (ms)",
                    "max (ms)",
                    "out of order",
                    "duplicates",
                    "unreadable send times",
                ],
                f"Delivery per channel through {what} (listener {lst.name!r})",
            )
        )
        if not parts:
            logger.warn(f"Nothing arrived through {what} on listener {lst.name!r}: no channel to report.")
        return {stats.channel: stats.as_dict() for stats in parts}

    @keyword
    def log_delivery_statistics(
        self, channel: str | None = None, expected: int | None = None, listener: str | None = None, target: Any = None
    ) -> None:
        """Writes the percentile table and latency histogram of ``channel`` to the log.

        The histogram marks ``target`` (a time with a unit, ``50 ms``); without one it
        marks seed 001's ``100 ms``, labelled as the default target.
        """
        if target is None:
            line, label = to_millis(MESSAGE_DELIVERY_TARGET), "default target"
        else:
            line, label = to_millis(target, "delivery latency target"), "target"
        self._log(gather(self.ctx, channel, expected, listener), target=line, label=label)

    @staticmethod
    def _record(stats: Stats, statistics: tuple[str, ...]) -> None:
        """Record the latency ``statistics`` (when any message carried a send time) and the delivery counts."""
        at = where(stats)
        for statistic in statistics:
            value = stats.latency(statistic)
            if value is not None:
                figures.record(
                    figure_name(stats.channel, f"{statistic}_ms"),
                    value,
                    "ms",
                    "lower",
                    where=at,
                    samples=stats.latencies,
                )
        counts = [
            ("out_of_order", stats.out_of_order),
            ("duplicates", stats.duplicates),
            ("duplicates_by_content", stats.content_duplicates),
            ("unreadable_timestamps", stats.unreadable),
        ]
        if stats.counted:  # no figure is recorded for what could not be counted
            figures.record(
                figure_name(stats.channel, "success_rate"), round(stats.success_rate, 3), "%", "higher", where=at
            )
            counts.insert(0, ("lost", stats.lost))
        for name, count in counts:
            figures.record(figure_name(stats.channel, name), count, "count", "lower", where=at)

    @staticmethod
    def _require_counted(stats: Stats, what: str) -> None:
        if not stats.counted:
            raise CrosscheckError(f"{what} {where(stats)} cannot be computed: {stats.uncounted()}.")

    @staticmethod
    def _warn_unreadable(stats: Stats) -> None:
        if stats.unreadable:
            logger.warn(
                f"Send times {where(stats)} not read from {stats.timestamp!r}, left out of the latency: "
                f"{stats.unreadable_text()}"
            )

    def _log(self, stats: Stats, target: float | None = None, label: str = "target") -> None:
        """Percentile table and histogram; the histogram marks ``target`` (ms) only when given."""
        extra: dict[str, Any] = {
            "received": stats.unique,
            "expected": stats.expected if stats.counted else "unknown",
            "success %": round(stats.success_rate, 2) if stats.counted else stats.uncounted_reason,
            "out of order": stats.out_of_order,
            "duplicates": stats.duplicates,
            "duplicates by content": stats.content_duplicates,
        }
        if stats.unreadable:
            extra["unreadable send times"] = stats.unreadable
        reporting.log_distribution(
            stats.latencies, "ms", f"Delivery latency {where(stats)}", target=target, extra=extra, target_label=label
        )
