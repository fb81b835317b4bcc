"""Migration keywords: scratch databases and schemas, applying chains, proving them idempotent."""

from __future__ import annotations

from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from crosscheck import namespace
from crosscheck.assertions import AssertionOperator, check
from crosscheck.core import Component
from crosscheck.postgres import migrations
from crosscheck.postgres.context import PostgresContext
from crosscheck.postgres.migrations import MigrationError
from crosscheck.reporting import html_table, log_html


class MigrationKeywords(Component[PostgresContext]):
    """Scratch databases and schemas, applying chains, proving them idempotent."""

    # --- scratch targets ---------------------------------------------------------------
    @keyword
    def create_scratch_database(self, label: str = "migrations") -> str:
        """Create an empty database named after the test's namespace; dropped when the test (or suite) ends.

        Returns the database name (never a URL: that could carry a password
        into the log). Needs the CREATEDB privilege.

        | ${db} =    `Create Scratch Database`
        | `Apply Migrations`    ${CURDIR}/../../demo/migrations    database=${db}
        """
        name = namespace.new(label)
        migrations.create_database(self.ctx, name)
        self.ctx.cleanup.add(f"drop database {name}", lambda: migrations.drop_database(self.ctx, name))
        logger.info(f"Created scratch database {name}.")
        return name

    @keyword
    def create_scratch_schema(self, label: str = "scratch") -> str:
        """Create an empty schema named after the test's namespace; dropped (CASCADE) when the test ends.

        | ${schema} =    `Create Scratch Schema`
        | `Apply Migrations`    ${folder}    schema=${schema}
        """
        name = namespace.new(label)
        migrations.create_schema(self.ctx, name)
        self.ctx.cleanup.add(f"drop schema {name}", lambda: migrations.drop_schema(self.ctx, name))
        return name

    def _open(self, database: str | None):
        return self.ctx.connect(database, "crosscheck-migrations")

    # --- applying ----------------------------------------------------------------------------
    @keyword
    def apply_migrations(
        self,
        folder: str,
        database: str | None = None,
        schema: str | None = None,
        version_table: str = "schema_migrations",
    ) -> list[str]:
        """Apply the chain in ``folder`` (``NNNN_name.sql`` files, numeric order); return the versions applied now.

        Each file runs in its own transaction and is recorded in
        ``version_table``; files already recorded are skipped. ``database``
        (e.g. from `Create Scratch Database`) or ``schema`` (sets
        ``search_path`` to it, then public) choose the target; default: the
        library's database. On failure the message names the step, its
        position in the chain, the line and the error; earlier steps stay applied.

        | @{applied} =    `Apply Migrations`    ${MIGRATIONS}    database=${db}
        """
        steps = migrations.discover(folder)
        conn = self._open(database)
        try:
            report = migrations.apply_chain(conn, steps, version_table, schema)
        finally:
            conn.close()
        self._log_report(report, f"Migrations from {folder}")
        return [r["version"] for r in report if not r["skipped"]]

    @keyword
    def get_applied_migrations(
        self,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        database: str | None = None,
        version_table: str = "schema_migrations",
        schema: str | None = None,
    ) -> list[str]:
        """Versions recorded in the version table, in order (default: the library's database).

        | `Get Applied Migrations`    ==    ${expected_versions}    database=${db}
        """
        conn = self._open(database)
        try:
            versions = migrations.applied_versions(conn, version_table, schema)
        finally:
            conn.close()
        return check(
            versions,
            assertion_operator,
            assertion_expected,
            f"versions in {version_table} of database {database or self.ctx.database}",
        )

    @keyword
    def migration_chain_should_be_idempotent(
        self, folder: str, database: str | None = None, schema: str | None = None
    ) -> None:
        """Run every file of the chain again on an already migrated target; fail on any error or schema change.

        Ignores the version table on purpose: each file must be safe to re-run
        (``IF NOT EXISTS``, ``CREATE OR REPLACE``, ``ON CONFLICT``).
        """
        steps = migrations.discover(folder)
        conn = self._open(database)
        try:
            migrations.require_idempotent(conn, steps, schema=schema)
        finally:
            conn.close()

    @keyword
    def migration_chain_should_apply_cleanly(
        self, folder: str, expected_schema: str | None = None, report_unexpected: bool = True
    ) -> list[str]:
        """The whole migration check on a fresh scratch database, in one keyword.

        1. creates an empty database (dropped at the end, also on failure);
        2. applies each step in order, in its own transaction, recording its
           version; logs what each step changed (tables, columns, indexes, functions);
        3. checks the version table lists every step, in order;
        4. runs the whole chain again and checks nothing changed (idempotent);
        5. compares the end state with ``expected_schema`` (if given), as
           `Database Schema Should Match` does.

        A failing step is named (position, file, line, error). Returns the versions applied.

        | `Migration Chain Should Apply Cleanly`    ${CURDIR}/../../demo/migrations
        | ...    expected_schema=${CURDIR}/../../resources/schemas/demo.yaml
        """
        steps = migrations.discover(folder)
        name = namespace.new("migtest")
        migrations.create_database(self.ctx, name)
        try:
            conn = self.ctx.connect(name, "crosscheck-migrations")
            try:
                rows, after = migrations.apply_step_by_step(conn, steps)
                log_html(
                    html_table(
                        rows,
                        ["step", "file", "seconds", "changes", "what changed"],
                        f"Migration chain {folder} on fresh database {name}",
                    )
                )
                recorded = migrations.applied_versions(conn)
                wanted = [s.version for s in steps]
                if recorded != wanted:
                    raise MigrationError(f"Version table lists {recorded}, expected {wanted} after applying {folder}.")
                migrations.require_idempotent(conn, steps, after)
                if expected_schema:
                    migrations.require_end_state(conn, expected_schema, report_unexpected)
            finally:
                conn.close()
        finally:
            migrations.drop_database(self.ctx, name)
        return wanted

    @staticmethod
    def _log_report(report: list[dict], caption: str) -> None:
        log_html(
            html_table(
                [(r["version"], r["name"], r["seconds"], "skipped" if r["skipped"] else "applied") for r in report],
                ["version", "name", "seconds", "status"],
                caption,
            )
        )
