"""Query latency against the seeds' targets, and query plans."""

from __future__ import annotations

import html
from typing import Any

import psycopg2
from robot.api import logger
from robot.api.deco import keyword

from crosscheck import figures
from crosscheck.assertions import AssertionOperator, chart_target, check, time_target
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.postgres import timing
from crosscheck.postgres.context import PostgresContext
from crosscheck.postgres.helpers import figure_part, short
from crosscheck.reporting import html_table, log_distribution, log_html, summary


class TimingKeywords(Component[PostgresContext]):
    """Query latency against the seeds' targets, and query plans."""

    @keyword
    def get_query_latency(
        self,
        query: str,
        statistic: str = "p95",
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        runs: int = 50,
        warmup: int = 5,
        parameters: list | None = None,
        explain_when_slow: bool = True,
    ) -> float:
        """Run ``query`` ``runs`` times after ``warmup`` untimed runs; return ``statistic`` in milliseconds.

        ``statistic`` is one of min, p50, p95, p99, max, mean. Each run is
        execute plus fetching every row, on one connection. The distribution
        is logged (table and histogram; the expected value is drawn as the
        target line). With an operator, the figure is asserted against
        ``assertion_expected``, a time with a unit (``50 ms``, ``0.05 s``,
        ``${UI_QUERY_TARGET}``); a bare number is refused before the query
        runs. When the assertion fails, the query's
        ``EXPLAIN (ANALYZE, BUFFERS)`` is logged (in a rolled-back transaction)
        and the message says which indexes were used or which tables were
        scanned sequentially.

        ``parameters`` fill ``%s`` placeholders. The query runs for real: time
        reads, or writes only on rows the test owns.

        | `Get Query Latency`    SELECT get_etf_universe('TEST_x')    p95    <    ${ETF_UNIVERSE_QUERY_TARGET}
        | ${p50} =    `Get Query Latency`    SELECT * FROM cache_entries WHERE universe_category = %s    p50
        | ...    parameters=${{['etf']}}    runs=100
        """
        if statistic not in timing.STATISTICS:
            raise ConfigurationError(f"Unknown statistic {statistic!r}; use one of {', '.join(timing.STATISTICS)}.")
        if runs < 1 or warmup < 0:
            raise ConfigurationError(f"runs must be at least 1 and warmup at least 0 (got {runs}, {warmup}).")
        what = f"{statistic} latency of query {short(query)!r} in database {self.ctx.database}"
        target = time_target(assertion_operator, assertion_expected, what)
        try:
            samples = timing.measure(self.ctx.conn, query, parameters, runs, warmup)
        except psycopg2.Error as err:
            raise self.ctx.error(err, f"Query {short(query)} failed in database {self.ctx.database}") from None
        millis = [s * 1000.0 for s in samples]
        value = summary(millis)[statistic]
        figures.record(
            f"postgres.query.{figure_part(query)}.{statistic}_ms", value, "ms", "lower", where=what, samples=millis
        )
        line, label = chart_target(assertion_operator, target)
        log_distribution(
            millis, "ms", f"Query latency, {runs} runs: {short(query)}", target=line, target_label=label or "target"
        )
        try:
            return check(value, assertion_operator, assertion_expected if target is None else target, what)
        except AssertionError:
            detail = ""
            if explain_when_slow:
                detail = self._log_slow_plan(query, parameters)
            wanted = assertion_expected if target is None else f"{target:g} ms"
            if target is not None and str(assertion_expected).replace(" ", "") != f"{target:g}ms":
                wanted += f" ({assertion_expected})"
            raise CrosscheckError(
                f"Query too slow: {statistic} {value:.2f} ms, expected {getattr(assertion_operator, 'value', assertion_operator)} "
                f"{wanted} ({runs} runs, database {self.ctx.database}): {short(query)}{detail}"
            ) from None

    def _log_slow_plan(self, query: str, parameters) -> str:
        try:
            text = timing.explain(self.ctx, query, parameters, analyze=True)
            scans = timing.plan_scans(timing.explain(self.ctx, query, parameters, fmt="JSON"))
        except CrosscheckError as err:
            return f"; EXPLAIN failed: {err}"
        log_html("<b>EXPLAIN (ANALYZE, BUFFERS)</b><pre>" + html.escape(text) + "</pre>")
        if scans["indexes"]:
            used = f"; indexes used: {', '.join(scans['indexes'])}"
        else:
            used = "; no index used"
        if scans["seq_scans"]:
            used += f" (sequential scan on {', '.join(scans['seq_scans'])})"
        return used + "; plan in log"

    @keyword
    def get_query_plan(self, query: str, analyze: bool = False, parameters: list | None = None) -> str:
        """``EXPLAIN`` (``analyze=True``: ``EXPLAIN (ANALYZE, BUFFERS)``) of ``query`` as text; also logged.

        ANALYZE runs the query inside a transaction that is rolled back.
        """
        text = timing.explain(self.ctx, query, parameters, analyze=analyze)
        log_html("<pre>" + html.escape(text) + "</pre>")
        return text

    @keyword
    def get_indexes_used_by_query(
        self, query: str, parameters: list | None = None, force_index: bool = False
    ) -> list[str]:
        """Names of the indexes in the plan of ``query`` (empty list: no index used).

        ``force_index=True`` plans with ``enable_seqscan = off``, to ask whether an
        index *can* serve the query on a table still too small for the planner to prefer it.
        """
        scans = timing.plan_scans(timing.explain(self.ctx, query, parameters, fmt="JSON", force_index=force_index))
        return scans["indexes"]

    @keyword
    def query_should_use_index(
        self, query: str, index: str, parameters: list | None = None, force_index: bool = False
    ) -> None:
        """Fail unless the plan of ``query`` uses ``index``; the message shows what the plan does instead.

        On small tables the planner rightly prefers a sequential scan; pass
        ``force_index=True`` to plan with ``enable_seqscan = off`` and check that the
        index *can* serve the query (it fails when no index fits, e.g. a function on the column).

        | `Query Should Use Index`    SELECT * FROM cache_entries WHERE universe_category = 'etf'
        | ...    idx_cache_entries_category    force_index=True
        """
        plan = timing.explain(self.ctx, query, parameters, fmt="JSON", force_index=force_index)
        scans = timing.plan_scans(plan)
        if index in scans["indexes"]:
            logger.info(f"Plan uses index {index}.")
            return
        text = timing.explain(self.ctx, query, parameters, force_index=force_index)
        log_html("<pre>" + html.escape(text) + "</pre>")
        used = ", ".join(scans["indexes"]) or "none"
        seq = f"; sequential scan on {', '.join(scans['seq_scans'])}" if scans["seq_scans"] else ""
        raise CrosscheckError(
            f"Query does not use index {index}: indexes used: {used}{seq} "
            f"(database {self.ctx.database}): {short(query)}"
        )

    @keyword
    def log_query_latency_table(self, queries: dict[str, str], runs: int = 20, warmup: int = 3) -> dict[str, float]:
        """Time several named queries and log one table (p50, p95, max in ms); returns ``{name: p95}``.

        | &{queries} =    Create Dictionary    summary=SELECT get_etf_universes_summary()    docs=SELECT count(*) FROM documents
        | `Log Query Latency Table`    ${queries}
        """
        rows, out = [], {}
        for name, query in queries.items():
            try:
                ms = [s * 1000 for s in timing.measure(self.ctx.conn, query, None, runs, warmup)]
            except psycopg2.Error as err:
                raise self.ctx.error(err, f"Query {name} failed in database {self.ctx.database}") from None
            s = summary(ms)
            figures.record(
                f"postgres.query.{figure_part(query)}.p95_ms", s["p95"], "ms", "lower", where=name, samples=ms
            )
            rows.append((name, s["p50"], s["p95"], s["max"]))
            out[name] = s["p95"]
        log_html(html_table(rows, ["query", "p50 (ms)", "p95 (ms)", "max (ms)"], f"Query latency, {runs} runs each"))
        return out
