"""The live catalog, read into plain dicts: the one place that reads pg_catalog.

Every function takes an open psycopg2 connection and returns plain Python data
(dicts, lists, strings, booleans), so callers can compare, dump to YAML or
print it without knowing the catalog tables. Objects that belong to an
extension (pgvector's functions, for instance) are left out: they are covered
by the extension entry.

Public, stable API (other libraries import it):

* :func:`read_functions` ``(conn, schema="public") -> {name: [signature, ...]}``
  where a signature is ``{"arguments", "argument_types", "returns", "kind",
  "language"}``.
* :func:`read_schema` ``(conn, schemas) -> {"extensions": ..., "schemas": ...}``.
* :func:`read_extensions`, :func:`list_schemas`, :func:`find_relation`.

Each reader runs one query per object kind for all requested schemas, so a
schema of hundreds of tables reads in a few round trips.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "read_schema",
    "read_functions",
    "read_extensions",
    "read_tables",
    "read_views",
    "list_schemas",
    "find_relation",
    "index_column",
    "PRIMARY_KEY_COLUMNS",
]

_CONSTRAINT_TYPES = {"p": "primary key", "u": "unique", "c": "check", "x": "exclusion", "f": "foreign key"}
_FK_ACTIONS = {"a": "no action", "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}
_FUNCTION_KINDS = {"f": "function", "p": "procedure", "a": "aggregate", "w": "window"}

# Objects created by an extension (deptype 'e') are skipped everywhere.
_NOT_EXTENSION_MEMBER = """
    NOT EXISTS (SELECT 1 FROM pg_depend d
                WHERE d.classid = {catalog}::regclass AND d.objid = {oid} AND d.deptype = 'e')
"""


# The primary key columns of one table, in key order; parameters (schema, table).
PRIMARY_KEY_COLUMNS = """
    SELECT a.attname FROM pg_index x
    JOIN pg_class c ON c.oid = x.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(num, ord) ON true
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.num
    WHERE n.nspname = %s AND c.relname = %s AND x.indisprimary ORDER BY k.ord"""


def _not_member(catalog: str, oid: str) -> str:
    return _NOT_EXTENSION_MEMBER.format(catalog=f"'{catalog}'", oid=oid)


def _rows(conn, query: str, params=None) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall()


def list_schemas(conn) -> list[str]:
    """User schemas of the database (no ``pg_*`` or ``information_schema``), sorted."""
    return [
        r[0]
        for r in _rows(
            conn,
            """
        SELECT nspname FROM pg_namespace
        WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
        ORDER BY nspname""",
        )
    ]


def read_extensions(conn) -> dict[str, dict]:
    """``{name: {"version": ..., "schema": ...}}`` for every installed extension."""
    return {
        name: {"version": version, "schema": schema}
        for name, version, schema in _rows(
            conn,
            """
        SELECT e.extname, e.extversion, n.nspname
        FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        ORDER BY e.extname""",
        )
    }


def find_relation(conn, schema: str, name: str) -> str | None:
    """The kind of relation ``schema.name`` (``table``, ``view``, ...) or None if absent.

    Names are passed as query parameters, never spliced into SQL.
    """
    rows = _rows(
        conn,
        """
        SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relname = %s""",
        (schema, name),
    )
    if not rows:
        return None
    return {
        "r": "table",
        "p": "table",
        "v": "view",
        "m": "materialized view",
        "f": "foreign table",
        "i": "index",
        "I": "index",
        "S": "sequence",
        "c": "type",
    }.get(rows[0][0], rows[0][0])


def index_column(expression: str, descending: bool, nulls_first: bool) -> str:
    """One index key as text: ``col``, ``col DESC``, ``lower(col)``, ``col NULLS FIRST``."""
    text = expression
    if descending:
        text += " DESC"
        if not nulls_first:
            text += " NULLS LAST"
    elif nulls_first:
        text += " NULLS FIRST"
    return text


def read_tables(conn, schemas: Iterable[str]) -> dict[str, dict[str, dict]]:
    """``{schema: {table: {"columns", "indexes", "constraints", "foreign_keys"}}}``."""
    schemas = list(schemas)
    out: dict[str, dict[str, dict]] = {s: {} for s in schemas}
    for schema, table in _rows(
        conn,
        f"""
            SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p', 'f')
              AND NOT c.relispartition AND {_not_member("pg_class", "c.oid")}""",
        (schemas,),
    ):
        out[schema][table] = {"columns": {}, "indexes": {}, "constraints": {}, "foreign_keys": {}}

    for schema, table, column, type_, notnull, default, identity, generated in _rows(
        conn,
        """
            SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                   a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attgenerated
            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
            WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p', 'f')
              AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY n.nspname, c.relname, a.attnum""",
        (schemas,),
    ):
        target = out[schema].get(table)
        if target is None:
            continue
        info = {"type": type_, "nullable": not notnull, "default": default}
        if identity:
            info["identity"] = "always" if identity == "a" else "by default"
        if generated:
            info["generated"] = default
            info["default"] = None
        target["columns"][column] = info

    for schema, table, index, unique, primary, method, predicate, nkeys, keys in _rows(
        conn,
        """
            SELECT n.nspname, t.relname, i.relname, x.indisunique, x.indisprimary, am.amname,
                   pg_get_expr(x.indpred, x.indrelid), x.indnkeyatts,
                   ARRAY(SELECT ARRAY[pg_get_indexdef(x.indexrelid, k, true),
                                      (x.indoption[k - 1] & 1)::text, (x.indoption[k - 1] & 2)::text]
                         FROM generate_series(1, x.indnatts) AS k ORDER BY k)
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            JOIN pg_am am ON am.oid = i.relam
            WHERE n.nspname = ANY(%s) AND t.relkind IN ('r', 'p', 'm')
            ORDER BY n.nspname, t.relname, i.relname""",
        (schemas,),
    ):
        target = out[schema].get(table)
        if target is None:
            continue
        columns = [index_column(expr, desc != "0", nf != "0") for expr, desc, nf in keys[:nkeys]]
        info = {"columns": columns, "unique": unique, "method": method}
        if primary:
            info["primary"] = True
        included = [expr for expr, _, _ in keys[nkeys:]]
        if included:
            info["include"] = included
        if predicate:
            info["where"] = predicate
        target["indexes"][index] = info

    for (
        schema,
        table,
        name,
        contype,
        columns,
        definition,
        ref_schema,
        ref_table,
        ref_columns,
        on_delete,
        on_update,
        validated,
    ) in _rows(
        conn,
        """
            SELECT n.nspname, t.relname, con.conname, con.contype,
                   ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(num, ord)
                         JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num
                         ORDER BY k.ord),
                   pg_get_constraintdef(con.oid, true),
                   rn.nspname, rt.relname,
                   ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY AS k(num, ord)
                         JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num
                         ORDER BY k.ord),
                   con.confdeltype, con.confupdtype, con.convalidated
            FROM pg_constraint con
            JOIN pg_class t ON t.oid = con.conrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            LEFT JOIN pg_class rt ON rt.oid = con.confrelid
            LEFT JOIN pg_namespace rn ON rn.oid = rt.relnamespace
            WHERE n.nspname = ANY(%s) AND con.contype IN ('p', 'u', 'c', 'x', 'f')
            ORDER BY n.nspname, t.relname, con.conname""",
        (schemas,),
    ):
        target = out[schema].get(table)
        if target is None:
            continue
        if contype == "f":
            target["foreign_keys"][name] = {
                "columns": list(columns),
                "references": f"{ref_schema}.{ref_table}",
                "referenced_columns": list(ref_columns),
                "on_delete": _FK_ACTIONS.get(on_delete, on_delete),
                "on_update": _FK_ACTIONS.get(on_update, on_update),
                "validated": validated,
            }
        else:
            info = {"type": _CONSTRAINT_TYPES[contype], "columns": list(columns)}
            if contype in ("c", "x"):
                info["definition"] = definition
            target["constraints"][name] = info
    return out


def read_views(conn, schemas: Iterable[str]) -> dict[str, dict[str, dict]]:
    """``{schema: {view: {"materialized": bool, "columns": {name: {"type": ...}}}}}``."""
    schemas = list(schemas)
    out: dict[str, dict[str, dict]] = {s: {} for s in schemas}
    for schema, view, kind, column, type_ in _rows(
        conn,
        f"""
            SELECT n.nspname, c.relname, c.relkind, a.attname, format_type(a.atttypid, a.atttypmod)
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE n.nspname = ANY(%s) AND c.relkind IN ('v', 'm') AND {_not_member("pg_class", "c.oid")}
            ORDER BY n.nspname, c.relname, a.attnum""",
        (schemas,),
    ):
        entry = out[schema].setdefault(view, {"materialized": kind == "m", "columns": {}})
        entry["columns"][column] = {"type": type_}
    return out


def _read_functions(conn, schemas: list[str]) -> dict[str, dict[str, list[dict]]]:
    out: dict[str, dict[str, list[dict]]] = {s: {} for s in schemas}
    for schema, name, kind, arguments, identity, argtypes, returns, language in _rows(
        conn,
        f"""
            SELECT n.nspname, p.proname, p.prokind,
                   pg_get_function_arguments(p.oid), pg_get_function_identity_arguments(p.oid),
                   ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes) AS t),
                   COALESCE(pg_get_function_result(p.oid), ''), l.lanname
            FROM pg_proc p
            JOIN pg_namespace n ON n.oid = p.pronamespace
            JOIN pg_language l ON l.oid = p.prolang
            WHERE n.nspname = ANY(%s) AND {_not_member("pg_proc", "p.oid")}
            ORDER BY n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)""",
        (schemas,),
    ):
        out[schema].setdefault(name, []).append(
            {
                "arguments": identity,
                "arguments_with_defaults": arguments,
                "argument_types": list(argtypes),
                "returns": returns,
                "kind": _FUNCTION_KINDS.get(kind, kind),
                "language": language,
            }
        )
    return out


def read_functions(conn, schema: str = "public") -> dict[str, list[dict]]:
    """Functions and procedures of ``schema``: ``{name: [signature, ...]}``.

    One signature per overload, sorted by argument list. A signature is a dict:

    * ``arguments``: the identity argument list as Postgres prints it
      (``p_name text, p_limit integer``), without defaults;
    * ``arguments_with_defaults``: the same with ``DEFAULT`` clauses;
    * ``argument_types``: the input types only (``["text", "integer"]``);
    * ``returns``: the result type (``jsonb``, ``SETOF record``, ``TABLE(...)``,
      empty for procedures);
    * ``kind``: ``function``, ``procedure``, ``aggregate`` or ``window``;
    * ``language``: ``sql``, ``plpgsql``, ...

    Functions installed by an extension are not included.
    """
    return _read_functions(conn, [schema])[schema]


def read_schema(conn, schemas: Iterable[str]) -> dict:
    """The whole catalog picture of ``schemas`` in one pass.

    ``{"extensions": {name: {...}}, "schemas": {schema: {"exists": bool,
    "tables": {...}, "views": {...}, "functions": {...}}}}``.
    """
    schemas = list(dict.fromkeys(schemas))
    existing = set(_rows_flat(conn, "SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)", (schemas,)))
    tables = read_tables(conn, schemas)
    views = read_views(conn, schemas)
    functions = _read_functions(conn, schemas)
    return {
        "extensions": read_extensions(conn),
        "schemas": {
            s: {"exists": s in existing, "tables": tables[s], "views": views[s], "functions": functions[s]}
            for s in schemas
        },
    }


def _rows_flat(conn, query: str, params=None) -> list:
    return [r[0] for r in _rows(conn, query, params)]
