"""Connection keywords: pg_stat_activity by application name and state, leaks, idle-in-transaction
sessions, concurrent sessions, table locks that fill a client's pool, and load that fills it."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from crosscheck import figures, namespace
from crosscheck.assertions import AssertionOperator, check
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.postgres import pools
from crosscheck.postgres.context import PostgresContext
from crosscheck.postgres.helpers import figure_part, split_name, to_count
from crosscheck.reporting import html_table, log_distribution, log_html, summary


class PoolKeywords(Component[PostgresContext]):
    """Server-side view of client connections and pools."""

    @staticmethod
    def _figure(kind: str, application_name: str | None, state: str | None = None, waiting: bool = False) -> str:
        """``postgres.<kind>.<application or all>[.<state>][.waiting_on_lock]``, the stable name of a count."""
        name = f"postgres.{kind}.{figure_part(application_name) if application_name else 'all'}"
        return name + (f".{figure_part(state)}" if state else "") + (".waiting_on_lock" if waiting else "")

    @staticmethod
    def _table(rows: list[dict], caption: str) -> str:
        return html_table(
            [
                (
                    r["pid"],
                    r["application_name"],
                    r["state"],
                    r["wait_event"] or "",
                    float(r["state_seconds"] or 0),
                    r["query"] or "",
                )
                for r in rows
            ],
            ["pid", "application", "state", "waiting on", "in state (s)", "last query"],
            caption,
        )

    @staticmethod
    def _lines(rows: list[dict], limit: int = 5) -> str:
        items = [
            f"pid {r['pid']} {r['application_name'] or '(no name)'} {r['state']} {r['state_seconds']} s: "
            f"{' '.join((r['query'] or '').split())[:80]}"
            for r in rows[:limit]
        ]
        more = f" (+{len(rows) - limit} more)" if len(rows) > limit else ""
        return "; ".join(items) + more

    @keyword
    def get_connections(
        self, application_name: str | None = None, state: str | None = None, all_databases: bool = False
    ) -> list[dict]:
        """Client connections to this database from ``pg_stat_activity`` (the library's own excluded), logged as a table.

        ``application_name`` is a glob (``crosscheck-demo-*``); ``state`` one of
        ``active``, ``idle``, ``idle in transaction``, ... Each item has pid,
        application_name, database, state, wait_event_type, wait_event,
        connected_seconds, state_seconds and query (first 200 characters).
        """
        rows = pools.activity(self.ctx, application_name, state, all_databases=all_databases)
        log_html(
            self._table(
                rows,
                f"Connections{' of ' + application_name if application_name else ''}"
                f"{' in state ' + state if state else ''}: {len(rows)}",
            )
        )
        return rows

    @keyword
    def get_connection_count(
        self,
        application_name: str | None = None,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        state: str | None = None,
        waiting_on_lock: bool = False,
        all_databases: bool = False,
    ) -> int:
        """Number of client connections, by application name (glob) and state, with an optional assertion.

        ``waiting_on_lock=True`` counts only sessions blocked on a lock.

        | `Get Connection Count`    crosscheck-demo-api    <=    30
        | ${idle} =    `Get Connection Count`    crosscheck-demo-*    state=idle
        """
        rows = pools.activity(self.ctx, application_name, state, waiting_on_lock, all_databases=all_databases)
        what = (
            f"connections{' of ' + application_name if application_name else ''}"
            f"{' in state ' + state if state else ''}{' waiting on a lock' if waiting_on_lock else ''}"
            f" in database {self.ctx.database}"
        )
        figures.record(
            self._figure("connections", application_name, state, waiting_on_lock),
            len(rows),
            "count",
            "lower",
            where=what,
        )
        return check(len(rows), assertion_operator, assertion_expected, what, to_count)

    @keyword
    def connection_count_should_drop_to(
        self,
        application_name: str,
        maximum: int = 0,
        state: str | None = None,
        timeout: timedelta = timedelta(seconds=10),
    ) -> int:
        """Wait until ``application_name`` holds at most ``maximum`` connections (in ``state`` if given); fail
        listing the connections still held. The leak check after a workload.

        Take the baseline before the workload: pools keep idle connections open on purpose.

        | ${before} =    `Get Connection Count`    crosscheck-demo-api
        | Run Workload
        | `Connection Count Should Drop To`    crosscheck-demo-api    ${before}    timeout=10 s
        | `Connection Count Should Drop To`    crosscheck-demo-api    0    state=active
        """
        deadline = time.monotonic() + timeout.total_seconds()
        while True:
            rows = pools.activity(self.ctx, application_name, state)
            if len(rows) <= maximum:
                return len(rows)
            if time.monotonic() >= deadline:
                log_html(self._table(rows, "Connections still held"))
                raise CrosscheckError(
                    f"Connection leak: {application_name} still holds {len(rows)} connection"
                    f"{'s' if len(rows) != 1 else ''}{' in state ' + state if state else ''} after "
                    f"{timeout.total_seconds():g} s, expected at most {maximum} (database {self.ctx.database}): "
                    f"{self._lines(rows)}"
                )
            time.sleep(0.2)

    @keyword
    def get_idle_in_transaction_count(
        self,
        application_name: str | None = None,
        longer_than: timedelta = timedelta(0),
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
    ) -> int:
        """Sessions left ``idle in transaction`` (holding locks and a snapshot) for at least ``longer_than``.

        | `Get Idle In Transaction Count`    crosscheck-demo-*    5 s    ==    0
        """
        rows = pools.activity(self.ctx, application_name, "idle in transaction", older_than=longer_than.total_seconds())
        figures.record(self._figure("idle_in_transaction", application_name), len(rows), "count", "lower")
        return check(
            len(rows),
            assertion_operator,
            assertion_expected,
            f"sessions idle in transaction for {longer_than.total_seconds():g} s or more",
            to_count,
        )

    @keyword
    def no_connection_should_be_idle_in_transaction(
        self, application_name: str | None = None, longer_than: timedelta = timedelta(seconds=5)
    ) -> None:
        """Fail if any session (of ``application_name``) has been ``idle in transaction`` for ``longer_than`` or more;
        the message gives pid, application, duration and last query.
        """
        rows = pools.activity(self.ctx, application_name, "idle in transaction", older_than=longer_than.total_seconds())
        if rows:
            log_html(self._table(rows, "Idle in transaction"))
            raise CrosscheckError(
                f"{len(rows)} session{'s' if len(rows) != 1 else ''} idle in transaction for "
                f"{longer_than.total_seconds():g} s or more in database {self.ctx.database}: "
                f"{self._lines(rows)}"
            )

    @keyword
    def run_concurrent_sessions(
        self, query: str, sessions: int = 10, parameters: list | None = None, timeout: timedelta = timedelta(seconds=30)
    ) -> dict:
        """Open ``sessions`` connections, run ``query`` on all of them at the same moment, check all succeed.

        The sessions are named ``crosscheck-<namespace>``; the keyword checks in
        ``pg_stat_activity`` that all were connected at once, and fails listing
        the sessions that failed. Logs the per-session latency. Returns a dict
        with ``succeeded``, ``failed``, ``connected_at_once`` and ``seconds``.

        | `Run Concurrent Sessions`    SELECT get_etf_universes_summary()    ${CONCURRENT_OPERATIONS_TARGET}
        """
        if sessions < 1:
            raise ConfigurationError(f"sessions must be at least 1 (got {sessions}).")
        app = f"crosscheck-{namespace.new('sessions')}"
        conns = pools.open_sessions(self.ctx, sessions, app)
        connected = len(pools.activity(self.ctx, app, None))
        results, elapsed = pools.run_at_once(conns, query, parameters, timeout)
        times = [r * 1000 for r in results if isinstance(r, float)]
        failures = [
            f"session {i + 1}: " + (str(r).strip().splitlines()[0] if r is not None else "timed out")
            for i, r in enumerate(results)
            if not isinstance(r, float)
        ]
        if times:
            p95 = summary(times)["p95"]
            figures.record(
                f"postgres.sessions_{sessions}.{figure_part(query)}.p95_ms", p95, "ms", "lower", samples=times
            )
            log_distribution(
                times,
                "ms",
                f"{sessions} concurrent sessions: {' '.join(query.split())[:80]}",
                extra={"connected at once": connected},
            )
        if failures:
            raise CrosscheckError(
                f"{len(failures)} of {sessions} concurrent sessions failed: " + "; ".join(failures[:5])
            )
        if connected < sessions:
            raise CrosscheckError(
                f"Only {connected} of {sessions} sessions were connected at once "
                "(max_connections or a connection limit?)."
            )
        return {"succeeded": len(times), "failed": 0, "connected_at_once": connected, "seconds": elapsed}

    @keyword
    def lock_table(self, table: str, mode: str = "ACCESS EXCLUSIVE") -> int:
        """Hold a lock on ``table`` from a separate session until `Release Table Locks` or the end of the test.

        Requests that touch the table then wait inside the client's pool: the
        way to fill a pool on purpose (pool exhaustion) without changing the
        system under test. Keep the hold short: other tests on the same table
        wait too. Returns the pid of the locking session.

        | `Lock Table`    cache_entries
        """
        schema, name = split_name(table)
        mode = " ".join(str(mode).upper().split())
        if mode not in pools.LOCK_MODES:
            raise ConfigurationError(f"Unknown lock mode {mode!r}; use one of {', '.join(sorted(pools.LOCK_MODES))}.")
        conn, pid = pools.lock_table(self.ctx, schema, name, mode, f"crosscheck-lock-{namespace.run_id()}")
        self.ctx.locks.append(conn)
        self.ctx.cleanup.add(f"release lock on {schema}.{name}", lambda: pools.release(self.ctx, conn))
        logger.info(f"Holding {mode} lock on {schema}.{name} (pid {pid}).")
        return pid

    @keyword
    def release_table_locks(self) -> None:
        """Release every lock taken with `Lock Table`."""
        for conn in list(self.ctx.locks):
            pools.release(self.ctx, conn)

    # --- load that fills a client's pool ---------------------------------------------------
    @keyword
    def start_concurrent_requests(
        self, url: str, count: int, headers: dict | None = None, timeout: timedelta = timedelta(seconds=60)
    ) -> None:
        """Send ``count`` HTTP GET requests to ``url`` at once, in the background; collect them with
        `Wait For Concurrent Requests`.

        Meant for pool tests: with a table locked (`Lock Table`), every request
        holds one of the service's database connections until the lock goes.
        Requests still running at the end of the test are waited for (up to ``timeout``).

        | `Start Concurrent Requests`    ${API_URL}/v1/universes/TEST_pool    35    headers=${headers}
        """
        if count < 1:
            raise ConfigurationError(f"count must be at least 1 (got {count}).")
        batch, finish = pools.send_requests(url, count, headers, timeout)
        self.ctx.requests = batch
        self.ctx.cleanup.add(f"finish {count} requests to {batch.where}", finish)
        logger.info(f"Sent {count} concurrent GET requests to {batch.where}.")

    @keyword
    def wait_for_concurrent_requests(self, timeout: timedelta = timedelta(seconds=60)) -> list:
        """Wait for the requests of `Start Concurrent Requests`; return their status codes (or error texts).

        Fails if some have not answered within ``timeout``.

        | @{statuses} =    `Wait For Concurrent Requests`
        | Should Be Equal    ${{ set($statuses) }}    ${{ {200} }}
        """
        batch = self.ctx.requests
        if batch is None or not batch.threads:
            raise ConfigurationError("No concurrent requests to wait for; use `Start Concurrent Requests` first.")
        deadline = time.monotonic() + timeout.total_seconds()
        for t in batch.threads:
            t.join(max(0.0, deadline - time.monotonic()))
        pending = sum(t.is_alive() for t in batch.threads)
        if pending:
            raise CrosscheckError(
                f"{pending} of {len(batch.threads)} requests to {batch.where} did not answer "
                f"within {timeout.total_seconds():g} s."
            )
        statuses = list(batch.statuses)
        counts: dict = {}
        for status in statuses:
            counts[status] = counts.get(status, 0) + 1
        log_html(html_table(sorted(counts.items(), key=str), ["status", "requests"], "Concurrent requests"))
        return statuses
