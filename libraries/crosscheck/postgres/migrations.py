"""Migration chains: a folder of ``NNNN_name.sql`` files applied in order to a fresh
database or schema, versions recorded, idempotency proven, end state compared.

The version table follows the demo's convention (``schema_migrations(version,
name, checksum, applied_at)``): if the chain creates it, its own shape is used;
otherwise crosscheck creates it after the first step.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import Any

import psycopg2
from psycopg2 import sql
from robot.api import logger
from robot.api.deco import keyword

from crosscheck import namespace
from crosscheck.assertions import AssertionOperator, check
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.postgres import catalog
from crosscheck.postgres import schema as schema_file
from crosscheck.postgres.connection import connect, db_error, with_database
from crosscheck.reporting import html_table, log_html

_FILE = re.compile(r"^(?P<version>\d+)_(?P<name>.+)\.sql$")


@dataclass(frozen=True)
class Step:
    version: str
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()

    def __str__(self) -> str:
        return self.path.name


class MigrationError(CrosscheckError):
    """A step of the chain failed; the message names the step, the line and the error."""


def discover(folder: str | Path) -> list[Step]:
    """The ``NNNN_name.sql`` files of ``folder`` in version order (numeric)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigurationError(f"Migration folder {folder} does not exist.")
    steps, seen = [], {}
    for path in folder.iterdir():
        match = _FILE.match(path.name)
        if not match or not path.is_file():
            continue
        version = match["version"]
        if int(version) in seen:
            raise ConfigurationError(f"Migration folder {folder}: version {version} is used twice "
                                     f"({seen[int(version)]} and {path.name}).")
        seen[int(version)] = path.name
        steps.append(Step(version, match["name"], path))
    if not steps:
        raise ConfigurationError(f"Migration folder {folder} holds no NNNN_name.sql files.")
    return sorted(steps, key=lambda s: int(s.version))


def _line_of(text: str, position: Any) -> str:
    try:
        pos = int(position)
    except (TypeError, ValueError):
        return ""
    return f" (line {text.count(chr(10), 0, max(pos - 1, 0)) + 1})"


def _step_error(step: Step, index: int, total: int, err: psycopg2.Error, when: str = "") -> MigrationError:
    diag = err.diag
    message = diag.message_primary or str(err).strip().splitlines()[0]
    where = _line_of(step.sql, diag.statement_position)
    context = f"; context: {diag.context.strip().splitlines()[0]}" if diag.context else ""
    return MigrationError(f"Migration step {index} of {total}, {step}{when}, failed{where}: {message}{context}")


def _version_columns(conn, table: str, schema: str | None) -> list[str] | None:
    with conn.cursor() as cur:
        cur.execute("""SELECT a.attname FROM pg_attribute a
                       WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped""",
                    (f'"{schema}"."{table}"' if schema else table,))
        cols = [r[0] for r in cur.fetchall()]
    return cols or None


def _version_table(table: str, schema: str | None) -> sql.Composable:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table)) if schema else sql.Identifier(table)


def applied_versions(conn, table: str = "schema_migrations", schema: str | None = None) -> list[str]:
    """Versions recorded in the version table, in order; [] if it does not exist."""
    if _version_columns(conn, table, schema) is None:
        return []
    with conn.cursor() as cur:
        cur.execute(sql.SQL("SELECT version FROM {} ORDER BY version").format(_version_table(table, schema)))
        return [str(r[0]) for r in cur.fetchall()]


def apply_chain(conn, steps: list[Step], version_table: str = "schema_migrations", schema: str | None = None,
                record: bool = True, skip_applied: bool = True, when: str = "", first: int = 1,
                total: int | None = None) -> list[dict]:
    """Apply ``steps`` in order, each in its own transaction; one dict per step (version, name, seconds, skipped).

    ``first`` and ``total`` number the steps in messages when ``steps`` is part of a longer chain.
    """
    report = []
    total = total or len(steps)
    done = set(applied_versions(conn, version_table, schema)) if skip_applied else set()
    conn.autocommit = False
    try:
        for index, step in enumerate(steps, first):
            if step.version in done:
                report.append({"version": step.version, "name": step.name, "seconds": 0.0, "skipped": True})
                continue
            start = perf_counter()
            try:
                with conn.cursor() as cur:
                    if schema:
                        cur.execute(sql.SQL("SET LOCAL search_path TO {}, public").format(sql.Identifier(schema)))
                    cur.execute(step.sql)
                    if record:
                        _record(cur, conn, step, version_table, schema)
                conn.commit()
            except psycopg2.Error as err:
                conn.rollback()
                raise _step_error(step, index, total, err, when) from None
            report.append({"version": step.version, "name": step.name, "seconds": perf_counter() - start,
                           "skipped": False})
    finally:
        if not conn.closed:
            conn.rollback()
            conn.autocommit = True
    return report


def _record(cur, conn, step: Step, table: str, schema: str | None) -> None:
    target = _version_table(table, schema)
    cols = _version_columns(conn, table, schema)
    if cols is None:
        cur.execute(sql.SQL("""CREATE TABLE {} (version varchar(20) PRIMARY KEY, name text NOT NULL,
                               checksum char(64) NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())""")
                    .format(target))
        cols = ["version", "name", "checksum"]
    values = {"version": step.version, "name": step.name, "checksum": step.checksum}
    use = [c for c in ("version", "name", "checksum") if c in cols]
    cur.execute(sql.SQL("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT DO NOTHING").format(
        target, sql.SQL(", ").join(sql.Identifier(c) for c in use), sql.SQL(", ").join(sql.Placeholder() * len(use))),
        [values[c] for c in use])


def snapshot(conn, schemas: list[str] | None = None) -> dict:
    """The catalog of ``schemas`` (default: every user schema but ``cc_*``)."""
    names = schemas or [s for s in catalog.list_schemas(conn) if not s.startswith("cc_")]
    return catalog.read_schema(conn, names)


def changes(before: dict, after: dict) -> list[str]:
    """What a step changed, as diff lines (``+``/``-``/``~``) between two snapshots."""
    expected = schema_file.parse_expected(schema_file.to_expected(before))
    for name in after["schemas"]:
        expected["schemas"].setdefault(name, {"tables": {}, "views": {}, "functions": {},
                                              "_sections": {"tables", "views", "functions"}})
    for body in expected["schemas"].values():
        body["_sections"] = {"tables", "views", "functions"}
    marks = {"missing": "-", "unexpected": "+", "different": "~"}
    out = []
    for d in schema_file.diff(expected, after):
        if d.kind == "schema" and d.problem == "missing":
            out.append(f"- schema {d.name}")
        else:
            out.append(f"{marks[d.problem]} {d.kind} {d.name}" + (f": {d.detail}" if d.problem == "different" else ""))
    return out


class MigrationKeywords:
    """Scratch databases and schemas, applying chains, proving them idempotent."""

    def __init__(self, ctx):
        self.ctx = ctx

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
        self.ctx.query(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)), None,
                       f"creating scratch database {name}")
        self.ctx.register(f"drop database {name}", lambda: self._drop_database(name))
        logger.info(f"Created scratch database {name}.")
        return name

    def _drop_database(self, name: str) -> None:
        self.ctx.query(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)), None,
                       f"dropping scratch database {name}")

    @keyword
    def create_scratch_schema(self, label: str = "scratch") -> str:
        """Create an empty schema named after the test's namespace; dropped (CASCADE) when the test ends.

        | ${schema} =    `Create Scratch Schema`
        | `Apply Migrations`    ${folder}    schema=${schema}
        """
        name = namespace.new(label)
        self.ctx.query(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)), None, f"creating schema {name}")
        self.ctx.register(f"drop schema {name}", lambda: self.ctx.query(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)), None, f"dropping schema {name}"))
        return name

    def _open(self, database: str | None):
        if database:
            return connect(with_database(self.ctx.url, database), "crosscheck-migrations")
        return connect(self.ctx.url, "crosscheck-migrations")

    # --- applying ----------------------------------------------------------------------------
    @keyword
    def apply_migrations(self, folder: str, database: str | None = None, schema: str | None = None,
                         version_table: str = "schema_migrations") -> list[str]:
        """Apply the chain in ``folder`` (``NNNN_name.sql`` files, numeric order); return the versions applied now.

        Each file runs in its own transaction and is recorded in
        ``version_table``; files already recorded are skipped. ``database``
        (e.g. from `Create Scratch Database`) or ``schema`` (sets
        ``search_path`` to it, then public) choose the target; default: the
        library's database. On failure the message names the step, its
        position in the chain, the line and the error; earlier steps stay applied.

        | @{applied} =    `Apply Migrations`    ${MIGRATIONS}    database=${db}
        """
        steps = discover(folder)
        conn = self._open(database)
        try:
            report = apply_chain(conn, steps, version_table, schema)
        finally:
            conn.close()
        self._log_report(report, f"Migrations from {folder}")
        return [r["version"] for r in report if not r["skipped"]]

    @keyword
    def get_applied_migrations(self, assertion_operator: AssertionOperator | None = None,
                               assertion_expected: Any = None, database: str | None = None,
                               version_table: str = "schema_migrations", schema: str | None = None) -> list[str]:
        """Versions recorded in the version table, in order (default: the library's database).

        | `Get Applied Migrations`    ==    ${expected_versions}    database=${db}
        """
        conn = self._open(database)
        try:
            versions = applied_versions(conn, version_table, schema)
        finally:
            conn.close()
        return check(versions, assertion_operator, assertion_expected,
                     f"versions in {version_table} of database {database or self.ctx.database}")

    @keyword
    def migration_chain_should_be_idempotent(self, folder: str, database: str | None = None,
                                             schema: str | None = None) -> None:
        """Run every file of the chain again on an already migrated target; fail on any error or schema change.

        Ignores the version table on purpose: each file must be safe to re-run
        (``IF NOT EXISTS``, ``CREATE OR REPLACE``, ``ON CONFLICT``).
        """
        steps = discover(folder)
        conn = self._open(database)
        try:
            before = snapshot(conn, [schema] if schema else None)
            apply_chain(conn, steps, record=False, skip_applied=False, schema=schema, when=" (second run)")
            after = snapshot(conn, [schema] if schema else None)
        finally:
            conn.close()
        changed = changes(before, after)
        if changed:
            raise MigrationError("Migration chain is not idempotent: running it again changed the schema:\n  "
                                 + "\n  ".join(changed))

    @keyword
    def migration_chain_should_apply_cleanly(self, folder: str, expected_schema: str | None = None,
                                             report_unexpected: bool = True) -> list[str]:
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
        steps = discover(folder)
        name = namespace.new("migtest")
        self.ctx.query(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)), None,
                       f"creating scratch database {name}")
        try:
            conn = connect(with_database(self.ctx.url, name), "crosscheck-migrations")
            try:
                rows = []
                before = snapshot(conn)
                for index, step in enumerate(steps, 1):
                    start = perf_counter()
                    apply_chain(conn, [step], skip_applied=False, first=index, total=len(steps))
                    seconds = perf_counter() - start
                    after = snapshot(conn)
                    changed = changes(before, after)
                    rows.append((f"{index}/{len(steps)}", str(step), seconds, len(changed),
                                 "; ".join(changed[:8]) + (" ..." if len(changed) > 8 else "")))
                    before = after
                log_html(html_table(rows, ["step", "file", "seconds", "changes", "what changed"],
                                    f"Migration chain {folder} on fresh database {name}"))
                recorded = applied_versions(conn)
                wanted = [s.version for s in steps]
                if recorded != wanted:
                    raise MigrationError(f"Version table lists {recorded}, expected {wanted} after applying {folder}.")
                self._idempotent(conn, steps, before)
                if expected_schema:
                    expected = schema_file.load_expected(expected_schema)
                    actual = catalog.read_schema(conn, list(expected["schemas"]))
                    found = schema_file.diff(expected, actual, report_unexpected)
                    if found:
                        raise MigrationError(
                            f"End state of the migration chain differs from {expected_schema} "
                            f"({len(found)} differences):\n{schema_file.render(found)}")
            finally:
                conn.close()
        finally:
            self._drop_database(name)
        return wanted

    def _idempotent(self, conn, steps: list[Step], before: dict) -> None:
        apply_chain(conn, steps, record=False, skip_applied=False, when=" (second run)")
        changed = changes(before, snapshot(conn))
        if changed:
            raise MigrationError("Migration chain is not idempotent: running it again changed the schema:\n  "
                                 + "\n  ".join(changed))

    @staticmethod
    def _log_report(report: list[dict], caption: str) -> None:
        log_html(html_table([(r["version"], r["name"], r["seconds"], "skipped" if r["skipped"] else "applied")
                             for r in report], ["version", "name", "seconds", "status"], caption))


__all__ = ["MigrationKeywords", "MigrationError", "Step", "discover", "apply_chain", "applied_versions",
           "snapshot", "changes", "db_error"]
