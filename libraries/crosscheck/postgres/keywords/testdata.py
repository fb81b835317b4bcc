"""Test-data keywords: ``TEST_`` rows inserted or registered, deleted by their key when the test ends."""

from __future__ import annotations

from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from crosscheck.assertions import AssertionOperator, check
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.postgres import testdata
from crosscheck.postgres.context import PostgresContext
from crosscheck.postgres.helpers import split_name, to_count


class TestDataKeywords(Component[PostgresContext]):
    """Insert and register ``TEST_`` rows; they are deleted when the test or suite ends."""

    def _register(self, schema: str, name: str, key: dict) -> None:
        label = f"delete test row {schema}.{name} " + ", ".join(f"{k}={v!r}" for k, v in key.items())
        self.ctx.cleanup.add(label, lambda: testdata.delete_row(self.ctx, schema, name, key))

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
        testdata.require_table(self.ctx, schema, name)
        testdata.require_prefix(self.ctx.test_prefix, f"the row for {schema}.{name}", values)
        key_columns = testdata.primary_key(self.ctx, schema, name)
        if not key_columns:
            raise CrosscheckError(
                f"Table {schema}.{name} has no primary key; register rows with "
                "`Register Test Row` and their identifying columns instead."
            )
        row = testdata.insert_row(self.ctx, schema, name, values)
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
        testdata.require_table(self.ctx, schema, name)
        if not key:
            raise ConfigurationError("Register Test Row needs the identifying columns, e.g. name=TEST_x.")
        testdata.require_prefix(self.ctx.test_prefix, f"the key of {schema}.{name}", key)
        self._register(schema, name, {k: testdata.adapt(v) for k, v in key.items()})

    @keyword
    def delete_test_rows(self) -> int:
        """Delete the rows registered so far in this test now (instead of at teardown); returns how many
        cleanup actions ran. Other registered objects (scratch schemas, locks) are undone too."""
        cleanup = self.ctx.cleanup
        count = len(cleanup.current.actions)
        scope, errors = cleanup.pop()
        if scope is not cleanup.scopes[0]:  # the test (or suite) goes on: its scope stays open
            cleanup.push(scope.kind, scope.name)
        if errors:
            raise CrosscheckError("Cleanup failed: " + "; ".join(errors))
        logger.info(f"{count} cleanup actions done.")
        return count

    @keyword
    def get_test_row_count(
        self,
        table: str,
        column: str,
        prefix: str | None = None,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
    ) -> int:
        """Rows of ``table`` whose ``column`` starts with the test prefix (``TEST_``), e.g. to prove cleanup.

        | `Get Test Row Count`    cache_entries    name    TEST_    ==    0
        """
        schema, name = split_name(table)
        testdata.require_table(self.ctx, schema, name)
        count = testdata.count_prefixed(
            self.ctx, schema, name, column, prefix if prefix is not None else self.ctx.test_prefix
        )
        return check(
            count,
            assertion_operator,
            assertion_expected,
            f"rows of {schema}.{name} with {column} starting {prefix or self.ctx.test_prefix}",
            to_count,
        )
