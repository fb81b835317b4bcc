"""Test data: rows a test adds to shared tables, registered and removed at teardown.

Seed 001's rule: test rows carry the ``TEST_`` prefix. A row is registered by
its primary key when inserted (or by key columns when the system under test
created it) and deleted by exactly that key when the test ends, also after a
failure. Rows the run did not register are never touched.
"""

from __future__ import annotations

from typing import Any

from psycopg2 import sql
from psycopg2.extras import Json
from robot.api import logger
from robot.api.deco import keyword

from crosscheck.assertions import AssertionOperator, check
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.postgres import catalog
from crosscheck.postgres.connection import db_error, quoted, split_name, to_count

DEFAULT_PREFIX = "TEST_"


def _adapt(value: Any) -> Any:
    return Json(value) if isinstance(value, (dict, list)) else value


class TestDataKeywords:
    """Insert and register ``TEST_`` rows; they are deleted when the test or suite ends."""

    def __init__(self, ctx, prefix: str = DEFAULT_PREFIX):
        self.ctx = ctx
        self.prefix = prefix

    def _require_prefix(self, where: str, values: dict) -> None:
        if not any(isinstance(v, str) and v.startswith(self.prefix) for v in values.values()):
            raise ConfigurationError(
                f"Test rows must be recognisable: give {where} at least one text value starting with "
                f"{self.prefix!r} (got {', '.join(f'{k}={v!r}' for k, v in values.items()) or 'no values'}).")

    def _primary_key(self, schema: str, name: str) -> list[str]:
        rows = self.ctx.query(catalog.PRIMARY_KEY_COLUMNS, (schema, name), "catalog lookup")
        return [r[0] for r in rows]

    def _exists(self, schema: str, name: str) -> None:
        if not self.ctx.query("SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                              "WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN ('r', 'p')",
                              (schema, name), "catalog lookup"):
            raise CrosscheckError(f"Table {schema}.{name} does not exist in database {self.ctx.database}.")

    def _register(self, schema: str, name: str, key: dict) -> None:
        label = f"delete test row {schema}.{name} " + ", ".join(f"{k}={v!r}" for k, v in key.items())
        self.ctx.register(label, lambda: self._delete(schema, name, key))

    def _delete(self, schema: str, name: str, key: dict) -> int:
        where = sql.SQL(" AND ").join(sql.SQL("{} = %s").format(sql.Identifier(k)) for k in key)
        with self.ctx.conn.cursor() as cur:
            cur.execute(sql.SQL("DELETE FROM {} WHERE {}").format(quoted(schema, name), where), list(key.values()))
            return cur.rowcount

    @keyword
    def insert_test_row(self, table: str, **values: Any) -> dict:
        """Insert one row into ``table`` and register it for deletion when the test ends.

        At least one text value must start with ``TEST_`` (the library's
        ``test_prefix``), so the row is recognisable as test data. The table
        needs a primary key: the row is deleted by it, and only it. dict and
        list values are stored as JSON. Returns the inserted row as a dictionary.

        | &{row} =    `Insert Test Row`    cache_entries    type=etf_universe    name=TEST_growth
        | ...    value=${{ {"symbols": ["SPY"]} }}    universe_category=etf
        """
        schema, name = split_name(table)
        self._exists(schema, name)
        self._require_prefix(f"the row for {schema}.{name}", values)
        key_columns = self._primary_key(schema, name)
        if not key_columns:
            raise CrosscheckError(f"Table {schema}.{name} has no primary key; register rows with "
                                  "`Register Test Row` and their identifying columns instead.")
        cols = list(values)
        statement = sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING *").format(
            quoted(schema, name), sql.SQL(", ").join(sql.Identifier(c) for c in cols),
            sql.SQL(", ").join(sql.Placeholder() * len(cols)))
        with self.ctx.conn.cursor() as cur:
            try:
                cur.execute(statement, [_adapt(values[c]) for c in cols])
            except Exception as err:
                raise db_error(err, f"Inserting a test row into {schema}.{name}", self.ctx.url) from None
            names = [d.name for d in cur.description]
            row = dict(zip(names, cur.fetchone()))
        self._register(schema, name, {k: row[k] for k in key_columns})
        return row

    @keyword
    def register_test_row(self, table: str, **key: Any) -> None:
        """Register a row someone else created (the system under test) for deletion when the test ends.

        ``key`` names the columns and values that identify it, exactly; one of
        the values must start with ``TEST_``.

        | `Register Test Row`    cache_entries    type=etf_universe    name=TEST_growth    environment=DEFAULT
        """
        schema, name = split_name(table)
        self._exists(schema, name)
        if not key:
            raise ConfigurationError("Register Test Row needs the identifying columns, e.g. name=TEST_x.")
        self._require_prefix(f"the key of {schema}.{name}", key)
        self._register(schema, name, {k: _adapt(v) for k, v in key.items()})

    @keyword
    def delete_test_rows(self) -> int:
        """Delete the rows registered so far in this test now (instead of at teardown); returns how many
        cleanup actions ran. Other registered objects (scratch schemas, locks) are undone too."""
        frame = self.ctx._frames[-1]
        count = len(frame)
        errors = self.ctx.pop()
        self.ctx.push()
        if errors:
            raise CrosscheckError("Cleanup failed: " + "; ".join(errors))
        logger.info(f"{count} cleanup actions done.")
        return count

    @keyword
    def get_test_row_count(self, table: str, column: str, prefix: str | None = None,
                           assertion_operator: AssertionOperator | None = None, assertion_expected: Any = None) -> int:
        """Rows of ``table`` whose ``column`` starts with the test prefix (``TEST_``), e.g. to prove cleanup.

        | `Get Test Row Count`    cache_entries    name    TEST_    ==    0
        """
        schema, name = split_name(table)
        self._exists(schema, name)
        like = (prefix if prefix is not None else self.prefix).replace("\\", "\\\\").replace("%", "\\%").replace(
            "_", "\\_") + "%"
        count = self.ctx.query(sql.SQL("SELECT count(*) FROM {} WHERE {}::text LIKE %s").format(
            quoted(schema, name), sql.Identifier(column)), (like,), f"counting test rows in {schema}.{name}")[0][0]
        return check(count, assertion_operator, assertion_expected,
                     f"rows of {schema}.{name} with {column} starting {prefix or self.prefix}", to_count)
