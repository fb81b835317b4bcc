"""Test data: rows a test adds to shared tables, registered and removed at teardown.

Seed 001's rule: test rows carry the ``TEST_`` prefix. A row is registered by
its primary key when inserted (or by key columns when the system under test
created it) and deleted by exactly that key when the test ends, also after a
failure. Rows the run did not register are never touched.
"""

from __future__ import annotations

from typing import Any

import psycopg2
from psycopg2 import sql
from psycopg2.extras import Json

from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.postgres import catalog
from crosscheck.postgres.context import DEFAULT_PREFIX, PostgresContext
from crosscheck.postgres.helpers import quoted

__all__ = [
    "DEFAULT_PREFIX",
    "adapt",
    "count_prefixed",
    "delete_row",
    "insert_row",
    "primary_key",
    "require_prefix",
    "require_table",
]


def adapt(value: Any) -> Any:
    """dict and list values as JSON, the rest as psycopg2 adapts them."""
    return Json(value) if isinstance(value, (dict, list)) else value


def require_prefix(prefix: str, where: str, values: dict) -> None:
    """Fail unless one text value of ``values`` starts with ``prefix``: test rows must be recognisable."""
    if not any(isinstance(v, str) and v.startswith(prefix) for v in values.values()):
        raise ConfigurationError(
            f"Test rows must be recognisable: give {where} at least one text value starting with "
            f"{prefix!r} (got {', '.join(f'{k}={v!r}' for k, v in values.items()) or 'no values'})."
        )


def primary_key(ctx: PostgresContext, schema: str, name: str) -> list[str]:
    rows = ctx.query(catalog.PRIMARY_KEY_COLUMNS, (schema, name), "catalog lookup")
    return [r[0] for r in rows]


def require_table(ctx: PostgresContext, schema: str, name: str) -> None:
    if not ctx.query(
        "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN ('r', 'p')",
        (schema, name),
        "catalog lookup",
    ):
        raise CrosscheckError(f"Table {schema}.{name} does not exist in database {ctx.database}.")


def insert_row(ctx: PostgresContext, schema: str, name: str, values: dict) -> dict:
    """Insert ``values`` into ``schema.name``; the inserted row as a dict."""
    cols = list(values)
    statement = sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING *").format(
        quoted(schema, name),
        sql.SQL(", ").join(sql.Identifier(c) for c in cols),
        sql.SQL(", ").join(sql.Placeholder() * len(cols)),
    )
    with ctx.conn.cursor() as cur:
        try:
            cur.execute(statement, [adapt(values[c]) for c in cols])
        except Exception as err:
            raise ctx.error(err, f"Inserting a test row into {schema}.{name}") from None
        names = [d.name for d in cur.description]
        return dict(zip(names, cur.fetchone()))


def delete_row(ctx: PostgresContext, schema: str, name: str, key: dict) -> int:
    """Delete the rows matching ``key`` exactly; how many went."""
    where = sql.SQL(" AND ").join(sql.SQL("{} = %s").format(sql.Identifier(k)) for k in key)
    try:
        with ctx.conn.cursor() as cur:
            cur.execute(sql.SQL("DELETE FROM {} WHERE {}").format(quoted(schema, name), where), list(key.values()))
            return cur.rowcount
    except psycopg2.Error as err:
        raise ctx.error(err, f"DELETE FROM {schema}.{name}") from None


def count_prefixed(ctx: PostgresContext, schema: str, name: str, column: str, prefix: str) -> int:
    """Rows of ``schema.name`` whose ``column`` starts with ``prefix`` (taken literally, not as a pattern)."""
    like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return ctx.query(
        sql.SQL("SELECT count(*) FROM {} WHERE {}::text LIKE %s").format(quoted(schema, name), sql.Identifier(column)),
        (like,),
        f"counting test rows in {schema}.{name}",
    )[0][0]
