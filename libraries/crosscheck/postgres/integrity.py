"""Data integrity: orphan rows, duplicate keys, NULLs where none may be.

Every table and column name is checked against the catalog first (so a typo
fails with "table ... does not exist", not an SQL error) and then quoted with
``psycopg2.sql.Identifier``: a name is never executed as SQL. Each function runs
its queries through the library's context (:class:`PostgresContext.query`).
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg2 import sql

from crosscheck.errors import CrosscheckError
from crosscheck.postgres import catalog
from crosscheck.postgres.context import PostgresContext
from crosscheck.postgres.helpers import no_such_table, quoted, split_name

SAMPLE = 5


@dataclass
class Finding:
    """Offending rows: how many, up to :data:`SAMPLE` examples, where (tables and columns)."""

    count: int
    sample: list
    where: str
    columns: list[str]

    def sample_text(self) -> str:
        """``; e.g. (col=1), (col=2)``, or nothing without a sample."""
        if not self.sample:
            return ""
        items = ["(" + ", ".join(f"{c}={v!r}" for c, v in zip(self.columns, row)) + ")" for row in self.sample]
        return "; e.g. " + ", ".join(items)


def column_list(value) -> list[str]:
    """A list, or comma-separated column names."""
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value]
    return [c.strip() for c in str(value).split(",") if c.strip()]


# --- lookups ---------------------------------------------------------------------------------
def table_columns(ctx: PostgresContext, table: str) -> tuple[str, str, list[str]]:
    """``(schema, table, columns)``; fails naming the table if it does not exist."""
    schema, name = split_name(table)
    rows = ctx.query(
        """
        SELECT a.attname FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum""",
        (schema, name),
        "catalog lookup",
    )
    if not rows:
        raise no_such_table(catalog.find_relation(ctx.conn, schema, name), schema, name, ctx.database)
    return schema, name, [r[0] for r in rows]


def checked_columns(ctx: PostgresContext, table: str, columns) -> tuple[str, str, list[str]]:
    """``(schema, table, columns)`` once every column is known to exist."""
    schema, name, present = table_columns(ctx, table)
    cols = column_list(columns)
    if not cols:
        raise CrosscheckError(f"No column given for {schema}.{name}.")
    missing = [c for c in cols if c not in present]
    if missing:
        raise CrosscheckError(
            f"Column {', '.join(missing)} does not exist in {schema}.{name}; its columns: {', '.join(present)}."
        )
    return schema, name, cols


def primary_key(ctx: PostgresContext, schema: str, name: str) -> list[str]:
    rows = ctx.query(catalog.PRIMARY_KEY_COLUMNS, (schema, name), "catalog lookup")
    if not rows:
        raise CrosscheckError(f"Table {schema}.{name} has no primary key; name the referenced columns.")
    return [r[0] for r in rows]


# --- orphans ----------------------------------------------------------------------------------
def orphans(ctx: PostgresContext, child: str, child_columns, parent: str, parent_columns=None) -> Finding:
    """Rows of ``child`` whose ``child_columns`` match no row of ``parent`` (NULL keys are not orphans)."""
    cs, cn, ccols = checked_columns(ctx, child, child_columns)
    ps, pn, present = table_columns(ctx, parent)
    pcols = column_list(parent_columns) if parent_columns else primary_key(ctx, ps, pn)
    missing = [c for c in pcols if c not in present]
    if missing:
        raise CrosscheckError(
            f"Column {', '.join(missing)} does not exist in {ps}.{pn}; its columns: {', '.join(present)}."
        )
    if len(pcols) != len(ccols):
        raise CrosscheckError(
            f"{cs}.{cn} ({', '.join(ccols)}) and {ps}.{pn} ({', '.join(pcols)}) have different numbers of columns."
        )
    c_ids = [sql.SQL("c.{}").format(sql.Identifier(c)) for c in ccols]
    not_null = sql.SQL(" AND ").join(sql.SQL("{} IS NOT NULL").format(c) for c in c_ids)
    match = sql.SQL(" AND ").join(sql.SQL("p.{} = {}").format(sql.Identifier(p), c) for p, c in zip(pcols, c_ids))
    base = sql.SQL("FROM {child} c WHERE {not_null} AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {match})").format(
        child=quoted(cs, cn), parent=quoted(ps, pn), not_null=not_null, match=match
    )
    count = ctx.query(sql.SQL("SELECT count(*) ") + base, None, f"orphan check on {cs}.{cn}")[0][0]
    sample = []
    if count:
        sample = ctx.query(
            sql.SQL("SELECT DISTINCT {} ").format(sql.SQL(", ").join(c_ids))
            + base
            + sql.SQL(" LIMIT {}").format(sql.Literal(SAMPLE)),
            None,
            "orphan sample",
        )
    where = f"{cs}.{cn} ({', '.join(ccols)}) -> {ps}.{pn} ({', '.join(pcols)})"
    return Finding(count, sample, where, ccols)


@dataclass
class KeySweep:
    """The outcome of :func:`foreign_key_orphans`: one line per key with orphans, the keys checked
    (``schema.table.key``), the tables looked at and the partitions of named tables looked at with them."""

    problems: list[str]
    checked: list[str]
    tables: list[str]
    partitions: list[str]


def _partitions_of(flat: dict[str, dict[str, dict]], parent: str) -> list[tuple[str, str, dict]]:
    """Every partition below ``parent`` (``schema.table``), sub-partitions included."""
    out = []
    for s, tables in flat.items():
        for t, info in tables.items():
            if info.get("partition_of") == parent:
                out.append((s, t, info))
                out.extend(_partitions_of(flat, f"{s}.{t}"))
    return out


def foreign_key_orphans(ctx: PostgresContext, tables: tuple[str, ...] | list[str], schema: str = "public") -> KeySweep:
    """Every declared foreign key of ``tables`` (default: all of ``schema``) checked for orphans.

    Partitions count: over a schema, each key is checked once, on the table it
    is declared on (a partitioned table's key covers the rows of all its
    partitions; a key declared on a partition covers that partition). A
    partitioned table named in ``tables`` brings the keys declared on its
    partitions; a partition named there is checked for its own keys and those
    it inherits, on its own rows.
    """
    wanted = [split_name(t) for t in tables]
    schemas = sorted({s for s, _ in wanted}) or [schema]
    flat = catalog.read_relations(ctx.conn, schemas)
    work: list[tuple[str, str, str, dict]] = []  # (schema, table, key, foreign key)
    looked_at: list[str] = []
    below: list[str] = []
    if wanted:
        for s, t in wanted:
            info = flat.get(s, {}).get(t)
            if info is None:
                raise no_such_table(catalog.find_relation(ctx.conn, s, t), s, t, ctx.database)
            looked_at.append(f"{s}.{t}")
            work += [(s, t, k, fk) for k, fk in sorted(catalog.with_inherited(info, "foreign_keys").items())]
            for ps, pt, part in _partitions_of(flat, f"{s}.{t}"):
                below.append(f"{ps}.{pt}")
                work += [(ps, pt, k, fk) for k, fk in sorted(part["foreign_keys"].items())]
    else:
        if not catalog.find_schema(ctx.conn, schema):
            raise CrosscheckError(f"Schema {schema} does not exist in database {ctx.database}.")
        for s, found in sorted(flat.items()):
            for t, info in sorted(found.items()):
                looked_at.append(f"{s}.{t}")
                work += [(s, t, k, fk) for k, fk in sorted(info["foreign_keys"].items())]
    problems, checked = [], []
    for s, t, fk_name, fk in work:
        checked.append(f"{s}.{t}.{fk_name}")
        finding = orphans(ctx, f"{s}.{t}", fk["columns"], fk["references"], fk["referenced_columns"])
        if finding.count:
            problems.append(
                f"  {fk_name}: {finding.count} orphan row{'s' if finding.count != 1 else ''} "
                f"in {finding.where}{finding.sample_text()}"
            )
    return KeySweep(problems, checked, looked_at, below)


# --- duplicates and NULLs ----------------------------------------------------------------------
def duplicates(ctx: PostgresContext, table: str, columns) -> Finding:
    """Extra copies of a value of ``columns`` (NULL keys never count); the sample rows end with their count."""
    s, n, cols = checked_columns(ctx, table, columns)
    ids = sql.SQL(", ").join(sql.Identifier(c) for c in cols)
    not_null = sql.SQL(" AND ").join(sql.SQL("{} IS NOT NULL").format(sql.Identifier(c)) for c in cols)
    groups = sql.SQL("SELECT {ids}, count(*) AS n FROM {t} WHERE {nn} GROUP BY {ids} HAVING count(*) > 1").format(
        ids=ids, t=quoted(s, n), nn=not_null
    )
    total = ctx.query(
        sql.SQL("SELECT COALESCE(sum(n - 1), 0)::bigint FROM (") + groups + sql.SQL(") d"),
        None,
        f"duplicate check on {s}.{n}",
    )[0][0]
    sample = (
        ctx.query(groups + sql.SQL(" ORDER BY n DESC LIMIT {}").format(sql.Literal(SAMPLE)), None, "duplicate sample")
        if total
        else []
    )
    return Finding(int(total), sample, f"{s}.{n} ({', '.join(cols)})", cols)


def null_counts(ctx: PostgresContext, table: str, columns) -> tuple[str, str, list[tuple[str, int]]]:
    """``(schema, table, [(column, rows with NULL), ...])`` in one pass over the table."""
    s, n, cols = checked_columns(ctx, table, columns)
    counts = ctx.query(
        sql.SQL("SELECT {} FROM {}").format(
            sql.SQL(", ").join(sql.SQL("count(*) FILTER (WHERE {} IS NULL)").format(sql.Identifier(c)) for c in cols),
            quoted(s, n),
        ),
        None,
        f"NULL check on {s}.{n}",
    )[0]
    return s, n, list(zip(cols, counts))
