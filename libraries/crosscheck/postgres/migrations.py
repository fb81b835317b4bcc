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

from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.postgres import catalog
from crosscheck.postgres.context import PostgresContext
from crosscheck.postgres.diff import changes, diff, render
from crosscheck.postgres.schemafile import load_expected

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
    steps: list[Step] = []
    seen: dict[int, str] = {}
    for path in folder.iterdir():
        match = _FILE.match(path.name)
        if not match or not path.is_file():
            continue
        version = match["version"]
        if int(version) in seen:
            raise ConfigurationError(
                f"Migration folder {folder}: version {version} is used twice ({seen[int(version)]} and {path.name})."
            )
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
        cur.execute(
            """SELECT a.attname FROM pg_attribute a
                       WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped""",
            (f'"{schema}"."{table}"' if schema else table,),
        )
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


def apply_chain(
    conn,
    steps: list[Step],
    version_table: str = "schema_migrations",
    schema: str | None = None,
    record: bool = True,
    skip_applied: bool = True,
    when: str = "",
    first: int = 1,
    total: int | None = None,
) -> list[dict]:
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
            report.append(
                {"version": step.version, "name": step.name, "seconds": perf_counter() - start, "skipped": False}
            )
    finally:
        if not conn.closed:
            conn.rollback()
            conn.autocommit = True
    return report


def _record(cur, conn, step: Step, table: str, schema: str | None) -> None:
    target = _version_table(table, schema)
    cols = _version_columns(conn, table, schema)
    if cols is None:
        cur.execute(
            sql.SQL("""CREATE TABLE {} (version varchar(20) PRIMARY KEY, name text NOT NULL,
                               checksum char(64) NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())""").format(
                target
            )
        )
        cols = ["version", "name", "checksum"]
    values = {"version": step.version, "name": step.name, "checksum": step.checksum}
    use = [c for c in ("version", "name", "checksum") if c in cols]
    cur.execute(
        sql.SQL("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT DO NOTHING").format(
            target, sql.SQL(", ").join(sql.Identifier(c) for c in use), sql.SQL(", ").join(sql.Placeholder() * len(use))
        ),
        [values[c] for c in use],
    )


def snapshot(conn, schemas: list[str] | None = None) -> dict:
    """The catalog of ``schemas`` (default: every user schema but ``cc_*``)."""
    names = schemas or [s for s in catalog.list_schemas(conn) if not s.startswith("cc_")]
    return catalog.read_schema(conn, names)


def apply_step_by_step(conn, steps: list[Step]) -> tuple[list[tuple], dict]:
    """Apply each step in its own transaction, recording its version; one row per step
    (position, file, seconds, number of changes, what changed) and the final snapshot."""
    rows = []
    before = snapshot(conn)
    for index, step in enumerate(steps, 1):
        start = perf_counter()
        apply_chain(conn, [step], skip_applied=False, first=index, total=len(steps))
        seconds = perf_counter() - start
        after = snapshot(conn)
        changed = changes(before, after)
        rows.append(
            (
                f"{index}/{len(steps)}",
                str(step),
                seconds,
                len(changed),
                "; ".join(changed[:8]) + (" ..." if len(changed) > 8 else ""),
            )
        )
        before = after
    return rows, before


def require_idempotent(conn, steps: list[Step], before: dict | None = None, schema: str | None = None) -> None:
    """Run every file again (version table ignored); fail on any error or any change of the schema."""
    schemas = [schema] if schema else None
    if before is None:
        before = snapshot(conn, schemas)
    apply_chain(conn, steps, record=False, skip_applied=False, schema=schema, when=" (second run)")
    changed = changes(before, snapshot(conn, schemas))
    if changed:
        raise MigrationError(
            "Migration chain is not idempotent: running it again changed the schema:\n  " + "\n  ".join(changed)
        )


def require_end_state(conn, expected_schema: str, report_unexpected: bool = True) -> None:
    """Fail unless the database matches the expected-schema file, listing every difference."""
    expected = load_expected(expected_schema)
    actual = catalog.read_schema(conn, list(expected["schemas"]))
    found = diff(expected, actual, report_unexpected)
    if found:
        raise MigrationError(
            f"End state of the migration chain differs from {expected_schema} "
            f"({len(found)} differences):\n{render(found)}"
        )


# --- scratch targets -------------------------------------------------------------------------
def create_database(ctx: PostgresContext, name: str) -> None:
    ctx.query(
        sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)),
        None,
        f"creating scratch database {name}",
    )


def drop_database(ctx: PostgresContext, name: str) -> None:
    ctx.query(
        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)),
        None,
        f"dropping scratch database {name}",
    )


def create_schema(ctx: PostgresContext, name: str) -> None:
    ctx.query(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)), None, f"creating schema {name}")


def drop_schema(ctx: PostgresContext, name: str) -> None:
    ctx.query(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)), None, f"dropping schema {name}")


__all__ = [
    "MigrationError",
    "Step",
    "applied_versions",
    "apply_chain",
    "apply_step_by_step",
    "changes",
    "create_database",
    "create_schema",
    "discover",
    "drop_database",
    "drop_schema",
    "require_end_state",
    "require_idempotent",
    "snapshot",
]
