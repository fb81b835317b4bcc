"""Integrity keywords: orphans (declared and undeclared relationships), duplicates, NULLs."""

from __future__ import annotations

from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from crosscheck.assertions import AssertionOperator, check
from crosscheck.core import Component
from crosscheck.errors import CrosscheckError
from crosscheck.postgres import integrity
from crosscheck.postgres.context import PostgresContext
from crosscheck.postgres.helpers import to_count


class IntegrityKeywords(Component[PostgresContext]):
    """Orphans (declared and undeclared relationships), duplicates and NULLs, with AssertionEngine counts."""

    @keyword
    def get_orphan_count(
        self,
        child_table: str,
        child_columns: str | list[str],
        parent_table: str,
        parent_columns: str | list[str] | None = None,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
    ) -> int:
        """Rows of ``child_table`` whose ``child_columns`` match no row of ``parent_table``.

        Works for declared foreign keys and for relationships the schema does
        not declare. ``parent_columns`` defaults to the parent's primary key;
        several columns are comma separated. Rows with a NULL in the key are
        not orphans.

        | `Get Orphan Count`    deepseek.requests    api_key_id    public.api_keys    id    ==    0
        """
        found = integrity.orphans(self.ctx, child_table, child_columns, parent_table, parent_columns)
        return check(
            found.count,
            assertion_operator,
            assertion_expected,
            f"orphan rows of {child_table} ({child_columns}) -> {parent_table}",
            to_count,
        )

    @keyword
    def relationship_should_have_no_orphans(
        self,
        child_table: str,
        child_columns: str | list[str],
        parent_table: str,
        parent_columns: str | list[str] | None = None,
    ) -> None:
        """Fail if any row of ``child_table`` points at a ``parent_table`` row that does not exist.

        The message names both tables, the count and up to five orphan keys.

        | `Relationship Should Have No Orphans`    deepseek.requests    api_key_id    public.api_keys    id
        """
        found = integrity.orphans(self.ctx, child_table, child_columns, parent_table, parent_columns)
        if found.count:
            raise CrosscheckError(
                f"{found.count} orphan row{'s' if found.count != 1 else ''} in {found.where}{found.sample_text()}."
            )
        logger.info(f"No orphan rows in {found.where}.")

    @keyword
    def foreign_keys_should_have_no_orphans(
        self, *tables: str, schema: str = "public", allow_none: bool = False
    ) -> int:
        """Check every declared foreign key of ``tables`` (default: all tables of ``schema``) for orphans.

        Declared keys can still have orphans: constraints added ``NOT VALID``,
        rows loaded with triggers disabled or ``session_replication_role =
        replica``. All keys are checked before failing; the message lists each
        key with orphans. Returns the number of keys checked.

        Partitioned tables are covered: over a schema, the keys declared on a
        partitioned table and those declared on single partitions are all
        checked. A partitioned table named in ``tables`` brings the keys
        declared on its partitions; a partition named there is checked for its
        own keys and those it inherits.

        Having checked no key at all (the tables declare none) fails, naming
        the tables looked at, unless ``allow_none=True`` says that is expected.

        | `Foreign Keys Should Have No Orphans`
        | `Foreign Keys Should Have No Orphans`    orders    customers
        | `Foreign Keys Should Have No Orphans`    cache_entries    allow_none=True
        """
        sweep = integrity.foreign_key_orphans(self.ctx, tables, schema)
        checked = len(sweep.checked)
        if sweep.problems:
            raise CrosscheckError(
                f"Foreign keys with orphan rows ({len(sweep.problems)} of {checked}):\n" + "\n".join(sweep.problems)
            )
        if not checked:
            if tables:
                verb = "declares" if len(sweep.tables) == 1 else "declare"
                where = f"{', '.join(sweep.tables)} {verb} no foreign key"
                if sweep.partitions:
                    where += (
                        f", nor do {'its' if len(sweep.tables) == 1 else 'their'} {len(sweep.partitions)} partitions"
                    )
            elif sweep.tables:
                where = f"schema {schema} declares no foreign key on its {len(sweep.tables)} tables"
            else:
                where = f"schema {schema} has no tables"
            message = f"No foreign key checked in database {self.ctx.database}: {where}"
            if not allow_none:
                raise CrosscheckError(
                    f"{message}. Name the tables that hold the foreign keys, or pass allow_none=True "
                    "if having none is expected."
                )
            logger.info(f"{message}; allowed by allow_none=True.")
            return 0
        logger.info(f"{checked} foreign keys checked, no orphan rows: {', '.join(sweep.checked)}.")
        return checked

    @keyword
    def get_duplicate_count(
        self,
        table: str,
        columns: str | list[str],
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
    ) -> int:
        """Rows of ``table`` that repeat a value of ``columns`` already held by another row (extra copies).

        As for a unique constraint, rows with a NULL in ``columns`` never count as duplicates.

        | `Get Duplicate Count`    cache_entries    type, name, environment    ==    0
        """
        found = integrity.duplicates(self.ctx, table, columns)
        return check(found.count, assertion_operator, assertion_expected, f"duplicate rows on {found.where}", to_count)

    @keyword
    def values_should_be_unique(self, table: str, columns: str | list[str]) -> None:
        """Fail if two rows of ``table`` share a value of ``columns`` (a key the schema may not enforce).

        The message gives the number of extra rows and the most repeated values.

        | `Values Should Be Unique`    historical_data    symbol, date
        """
        found = integrity.duplicates(self.ctx, table, columns)
        if found.count:
            items = ", ".join(
                "(" + ", ".join(f"{c}={v!r}" for c, v in zip(found.columns, row[:-1])) + f") x{row[-1]}"
                for row in found.sample
            )
            raise CrosscheckError(
                f"{found.count} duplicate row{'s' if found.count != 1 else ''} on {found.where}; e.g. {items}."
            )

    @keyword
    def get_null_count(
        self,
        table: str,
        column: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
    ) -> int:
        """Rows of ``table`` where ``column`` is NULL.

        | `Get Null Count`    cache_entries    universe_category    <=    10
        """
        s, n, counts = integrity.null_counts(self.ctx, table, column)
        col, count = counts[0]
        return check(count, assertion_operator, assertion_expected, f"NULLs in {s}.{n}.{col}", to_count)

    @keyword
    def columns_should_have_no_nulls(self, table: str, *columns: str) -> None:
        """Fail if any of ``columns`` of ``table`` holds a NULL; every column is checked before failing.

        | `Columns Should Have No Nulls`    cache_entries    universe_category    last_universe_update
        """
        s, n, counts = integrity.null_counts(self.ctx, table, list(columns))
        bad = [f"{c} ({k} row{'s' if k != 1 else ''})" for c, k in counts if k]
        if bad:
            raise CrosscheckError(f"NULLs in {s}.{n}: {', '.join(bad)}.")
