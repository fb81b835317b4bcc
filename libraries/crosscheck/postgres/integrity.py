"""Data integrity: orphan rows, duplicate keys, NULLs where none may be.

Every table and column name is checked against the catalog first (so a typo
fails with "table ... does not exist", not an SQL error) and then quoted with
``psycopg2.sql.Identifier``: a name is never executed as SQL.
"""

from __future__ import annotations

from typing import Any

from psycopg2 import sql
from robot.api import logger
from robot.api.deco import keyword

from crosscheck.assertions import AssertionOperator, check
from crosscheck.errors import CrosscheckError
from crosscheck.postgres import catalog
from crosscheck.postgres.connection import quoted, split_name, to_count

SAMPLE = 5


def _cols(value) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value]
    return [c.strip() for c in str(value).split(",") if c.strip()]


class IntegrityKeywords:
    """Orphans (declared and undeclared relationships), duplicates and NULLs, with AssertionEngine counts."""

    def __init__(self, ctx):
        self.ctx = ctx

    # --- lookups ---------------------------------------------------------------------
    def _table(self, table: str) -> tuple[str, str, list[str]]:
        schema, name = split_name(table)
        rows = self.ctx.query("""
            SELECT a.attname FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
              AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum""", (schema, name), "catalog lookup")
        if not rows:
            raise CrosscheckError(f"Table {schema}.{name} does not exist in database {self.ctx.database}.")
        return schema, name, [r[0] for r in rows]

    def _columns(self, table: str, columns) -> tuple[str, str, list[str]]:
        schema, name, present = self._table(table)
        cols = _cols(columns)
        if not cols:
            raise CrosscheckError(f"No column given for {schema}.{name}.")
        missing = [c for c in cols if c not in present]
        if missing:
            raise CrosscheckError(f"Column {', '.join(missing)} does not exist in {schema}.{name}; "
                                  f"its columns: {', '.join(present)}.")
        return schema, name, cols

    def _primary_key(self, schema: str, name: str) -> list[str]:
        rows = self.ctx.query(catalog.PRIMARY_KEY_COLUMNS, (schema, name), "catalog lookup")
        if not rows:
            raise CrosscheckError(f"Table {schema}.{name} has no primary key; name the referenced columns.")
        return [r[0] for r in rows]

    # --- orphans ---------------------------------------------------------------------
    def _orphans(self, child: str, child_columns, parent: str, parent_columns=None):
        cs, cn, ccols = self._columns(child, child_columns)
        ps, pn, present = self._table(parent)
        pcols = _cols(parent_columns) if parent_columns else self._primary_key(ps, pn)
        missing = [c for c in pcols if c not in present]
        if missing:
            raise CrosscheckError(f"Column {', '.join(missing)} does not exist in {ps}.{pn}; "
                                  f"its columns: {', '.join(present)}.")
        if len(pcols) != len(ccols):
            raise CrosscheckError(f"{cs}.{cn} ({', '.join(ccols)}) and {ps}.{pn} ({', '.join(pcols)}) "
                                  "have different numbers of columns.")
        c_ids = [sql.SQL("c.{}").format(sql.Identifier(c)) for c in ccols]
        not_null = sql.SQL(" AND ").join(sql.SQL("{} IS NOT NULL").format(c) for c in c_ids)
        match = sql.SQL(" AND ").join(sql.SQL("p.{} = {}").format(sql.Identifier(p), c) for p, c in zip(pcols, c_ids))
        base = sql.SQL("FROM {child} c WHERE {not_null} AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {match})").format(
            child=quoted(cs, cn), parent=quoted(ps, pn), not_null=not_null, match=match)
        count = self.ctx.query(sql.SQL("SELECT count(*) ") + base, None, f"orphan check on {cs}.{cn}")[0][0]
        sample = []
        if count:
            sample = self.ctx.query(sql.SQL("SELECT DISTINCT {} ").format(sql.SQL(", ").join(c_ids)) + base
                                    + sql.SQL(" LIMIT {}").format(sql.Literal(SAMPLE)), None, "orphan sample")
        where = f"{cs}.{cn} ({', '.join(ccols)}) -> {ps}.{pn} ({', '.join(pcols)})"
        return count, sample, where, ccols

    @staticmethod
    def _sample_text(columns: list[str], rows) -> str:
        if not rows:
            return ""
        items = ["(" + ", ".join(f"{c}={v!r}" for c, v in zip(columns, row)) + ")" for row in rows]
        return "; e.g. " + ", ".join(items)

    @keyword
    def get_orphan_count(self, child_table: str, child_columns: str | list[str], parent_table: str,
                         parent_columns: str | list[str] | None = None,
                         assertion_operator: AssertionOperator | None = None, assertion_expected: Any = None) -> int:
        """Rows of ``child_table`` whose ``child_columns`` match no row of ``parent_table``.

        Works for declared foreign keys and for relationships the schema does
        not declare. ``parent_columns`` defaults to the parent's primary key;
        several columns are comma separated. Rows with a NULL in the key are
        not orphans.

        | `Get Orphan Count`    deepseek.requests    api_key_id    public.api_keys    id    ==    0
        """
        count, _, _, _ = self._orphans(child_table, child_columns, parent_table, parent_columns)
        return check(count, assertion_operator, assertion_expected,
                     f"orphan rows of {child_table} ({child_columns}) -> {parent_table}", to_count)

    @keyword
    def relationship_should_have_no_orphans(self, child_table: str, child_columns: str | list[str],
                                            parent_table: str, parent_columns: str | list[str] | None = None) -> None:
        """Fail if any row of ``child_table`` points at a ``parent_table`` row that does not exist.

        The message names both tables, the count and up to five orphan keys.

        | `Relationship Should Have No Orphans`    deepseek.requests    api_key_id    public.api_keys    id
        """
        count, sample, where, ccols = self._orphans(child_table, child_columns, parent_table, parent_columns)
        if count:
            raise CrosscheckError(f"{count} orphan row{'s' if count != 1 else ''} in {where}"
                                  f"{self._sample_text(ccols, sample)}.")
        logger.info(f"No orphan rows in {where}.")

    @keyword
    def foreign_keys_should_have_no_orphans(self, *tables: str, schema: str = "public") -> int:
        """Check every declared foreign key of ``tables`` (default: all tables of ``schema``) for orphans.

        Declared keys can still have orphans: constraints added ``NOT VALID``,
        rows loaded with triggers disabled or ``session_replication_role =
        replica``. All keys are checked before failing; the message lists each
        key with orphans. Returns the number of keys checked.

        | `Foreign Keys Should Have No Orphans`
        | `Foreign Keys Should Have No Orphans`    historical_data    cache_entries
        """
        from crosscheck.postgres import catalog

        wanted = [split_name(t) for t in tables]
        schemas = sorted({s for s, _ in wanted}) or [schema]
        found = catalog.read_tables(self.ctx.conn, schemas)
        for s, t in wanted:
            if t not in found.get(s, {}):
                raise CrosscheckError(f"Table {s}.{t} does not exist in database {self.ctx.database}.")
        problems, checked = [], 0
        for s in schemas:
            for t, info in sorted(found[s].items()):
                if wanted and (s, t) not in wanted:
                    continue
                for fk_name, fk in sorted(info["foreign_keys"].items()):
                    checked += 1
                    count, sample, where, ccols = self._orphans(f"{s}.{t}", fk["columns"], fk["references"],
                                                                fk["referenced_columns"])
                    if count:
                        problems.append(f"  {fk_name}: {count} orphan row{'s' if count != 1 else ''} in {where}"
                                        f"{self._sample_text(ccols, sample)}")
        if problems:
            raise CrosscheckError(f"Foreign keys with orphan rows ({len(problems)} of {checked}):\n"
                                  + "\n".join(problems))
        logger.info(f"{checked} foreign keys checked, no orphan rows.")
        return checked

    # --- duplicates and NULLs -----------------------------------------------------------
    def _duplicates(self, table: str, columns):
        s, n, cols = self._columns(table, columns)
        ids = sql.SQL(", ").join(sql.Identifier(c) for c in cols)
        not_null = sql.SQL(" AND ").join(sql.SQL("{} IS NOT NULL").format(sql.Identifier(c)) for c in cols)
        groups = sql.SQL("SELECT {ids}, count(*) AS n FROM {t} WHERE {nn} GROUP BY {ids} HAVING count(*) > 1").format(
            ids=ids, t=quoted(s, n), nn=not_null)
        total = self.ctx.query(sql.SQL("SELECT COALESCE(sum(n - 1), 0)::bigint FROM (") + groups + sql.SQL(") d"),
                               None, f"duplicate check on {s}.{n}")[0][0]
        sample = self.ctx.query(groups + sql.SQL(" ORDER BY n DESC LIMIT {}").format(sql.Literal(SAMPLE)),
                                None, "duplicate sample") if total else []
        return int(total), sample, f"{s}.{n} ({', '.join(cols)})", cols

    @keyword
    def get_duplicate_count(self, table: str, columns: str | list[str],
                            assertion_operator: AssertionOperator | None = None,
                            assertion_expected: Any = None) -> int:
        """Rows of ``table`` that repeat a value of ``columns`` already held by another row (extra copies).

        As for a unique constraint, rows with a NULL in ``columns`` never count as duplicates.

        | `Get Duplicate Count`    cache_entries    type, name, environment    ==    0
        """
        total, _, where, _ = self._duplicates(table, columns)
        return check(total, assertion_operator, assertion_expected, f"duplicate rows on {where}", to_count)

    @keyword
    def values_should_be_unique(self, table: str, columns: str | list[str]) -> None:
        """Fail if two rows of ``table`` share a value of ``columns`` (a key the schema may not enforce).

        The message gives the number of extra rows and the most repeated values.

        | `Values Should Be Unique`    historical_data    symbol, date
        """
        total, sample, where, cols = self._duplicates(table, columns)
        if total:
            items = ", ".join("(" + ", ".join(f"{c}={v!r}" for c, v in zip(cols, row[:-1])) + f") x{row[-1]}"
                              for row in sample)
            raise CrosscheckError(f"{total} duplicate row{'s' if total != 1 else ''} on {where}; e.g. {items}.")

    @keyword
    def get_null_count(self, table: str, column: str, assertion_operator: AssertionOperator | None = None,
                       assertion_expected: Any = None) -> int:
        """Rows of ``table`` where ``column`` is NULL.

        | `Get Null Count`    cache_entries    universe_category    <=    10
        """
        s, n, cols = self._columns(table, column)
        count = self.ctx.query(sql.SQL("SELECT count(*) FROM {} WHERE {} IS NULL").format(
            quoted(s, n), sql.Identifier(cols[0])), None, f"NULL check on {s}.{n}")[0][0]
        return check(count, assertion_operator, assertion_expected, f"NULLs in {s}.{n}.{cols[0]}", to_count)

    @keyword
    def columns_should_have_no_nulls(self, table: str, *columns: str) -> None:
        """Fail if any of ``columns`` of ``table`` holds a NULL; every column is checked before failing.

        | `Columns Should Have No Nulls`    cache_entries    universe_category    last_universe_update
        """
        s, n, cols = self._columns(table, list(columns))
        counts = self.ctx.query(sql.SQL("SELECT {} FROM {}").format(
            sql.SQL(", ").join(sql.SQL("count(*) FILTER (WHERE {} IS NULL)").format(sql.Identifier(c)) for c in cols),
            quoted(s, n)), None, f"NULL check on {s}.{n}")[0]
        bad = [f"{c} ({k} row{'s' if k != 1 else ''})" for c, k in zip(cols, counts) if k]
        if bad:
            raise CrosscheckError(f"NULLs in {s}.{n}: {', '.join(bad)}.")
