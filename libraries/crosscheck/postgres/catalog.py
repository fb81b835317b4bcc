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
* :func:`read_relations` ``(conn, schemas)``: every table, partitions included, flat.
* :func:`read_extensions`, :func:`list_schemas`, :func:`find_relation`.

Each reader runs one query per object kind for all requested schemas, so a
schema of hundreds of tables reads in a few round trips.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

__all__ = [
    "read_schema",
    "read_functions",
    "read_extensions",
    "read_tables",
    "read_relations",
    "read_views",
    "read_triggers",
    "read_sequences",
    "read_types",
    "read_rules",
    "read_policies",
    "read_composite_types",
    "read_range_types",
    "read_statistics",
    "read_collations",
    "read_schema_properties",
    "with_inherited",
    "digest",
    "list_schemas",
    "find_relation",
    "find_schema",
    "index_column",
    "PRIMARY_KEY_COLUMNS",
]

_CONSTRAINT_TYPES = {"p": "primary key", "u": "unique", "c": "check", "x": "exclusion", "f": "foreign key"}
_FK_ACTIONS = {"a": "no action", "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}
_FUNCTION_KINDS = {"f": "function", "p": "procedure", "a": "aggregate", "w": "window"}
_VOLATILITY = {"v": "volatile", "s": "stable", "i": "immutable"}


def _figure(value) -> int | float:
    """A cost or row estimate: an int when whole (``100``, not ``100.0``)."""
    number = float(value)
    return int(number) if number.is_integer() else number


_PARALLEL = {"u": "unsafe", "r": "restricted", "s": "safe"}

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


def find_schema(conn, schema: str) -> bool:
    """Whether ``schema`` exists."""
    return bool(_rows(conn, "SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)))


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
        "p": "partitioned table",
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


_RELATION_KINDS = {"r": "table", "p": "partitioned table", "f": "foreign table"}
_FK_MATCH = {"f": "full", "p": "partial"}  # the default, simple, is left out
_STORAGE = {"p": "plain", "e": "external", "m": "main", "x": "extended"}
_COMPRESSION = {"p": "pglz", "l": "lz4"}

# The collation of a column or attribute ({column}: the pg_attribute alias, joined to its type as t), when it
# is not the default of its type: "C", or schema.name for a collation outside pg_catalog; else NULL.
_COLLATION = """
    (SELECT CASE WHEN co.collnamespace = 'pg_catalog'::regnamespace THEN quote_ident(co.collname)
                 ELSE quote_ident(con.nspname) || '.' || quote_ident(co.collname) END
     FROM pg_collation co JOIN pg_namespace con ON con.oid = co.collnamespace
     WHERE co.oid = {column}.attcollation AND {column}.attcollation <> t.typcollation)
"""


def _deferrable(deferrable: bool, deferred: bool) -> dict:
    """``deferrable`` and ``initially_deferred`` of a constraint, when set (both are off by default)."""
    out = {}
    if deferrable:
        out["deferrable"] = True
    if deferred:
        out["initially_deferred"] = True
    return out


# Privileges of a relation, function or type for every role but its owner: rows (grantee, privilege).
_GRANTS = """
    ARRAY(SELECT ARRAY[COALESCE(r.rolname, 'PUBLIC'),
                       x.privilege_type || CASE WHEN x.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END]
          FROM aclexplode(COALESCE({acl}, acldefault({kind}, {owner}))) x
          LEFT JOIN pg_roles r ON r.oid = x.grantee
          WHERE x.grantee <> {owner} ORDER BY r.rolname NULLS FIRST, x.privilege_type)
"""


def _grants(pairs) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for role, privilege in pairs or []:
        out.setdefault(role, []).append(privilege)
    return out


def digest(text: str | None) -> str:
    """A short, stable fingerprint of a definition or body: ``sha256:`` and 16 hex digits.

    Runs of white space count as one space and leading or trailing space is
    ignored, so re-indenting a body keeps its digest; any other change alters it.
    """
    words = " ".join(str(text or "").split())
    return "sha256:" + hashlib.sha256(words.encode("utf-8")).hexdigest()[:16]


def _read_indexes(conn, oids: list[int]) -> dict[int, dict[str, dict]]:
    """``{table oid: {index: info}}``; an index attached to an index of the parent table has ``inherited``."""
    out: dict[int, dict[str, dict]] = {}
    for (
        oid,
        index,
        unique,
        primary,
        method,
        predicate,
        nkeys,
        keys,
        inherited,
        nulls,
        opclasses,
        comment,
        options,
        clustered,
    ) in _rows(
        conn,
        """
            SELECT x.indrelid, i.relname, x.indisunique, x.indisprimary, am.amname,
                   pg_get_expr(x.indpred, x.indrelid), x.indnkeyatts,
                   ARRAY(SELECT ARRAY[pg_get_indexdef(x.indexrelid, k, true),
                                      (x.indoption[k - 1] & 1)::text, (x.indoption[k - 1] & 2)::text]
                         FROM generate_series(1, x.indnatts) AS k ORDER BY k),
                   EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = x.indexrelid),
                   COALESCE((to_jsonb(x) ->> 'indnullsnotdistinct')::boolean, false),
                   ARRAY(SELECT pg_get_indexdef(x.indexrelid, k, true) || ' ' ||
                                CASE WHEN oc.opcnamespace = 'pg_catalog'::regnamespace THEN quote_ident(oc.opcname)
                                     ELSE quote_ident(ocn.nspname) || '.' || quote_ident(oc.opcname) END
                         FROM generate_series(1, x.indnkeyatts) AS k
                         JOIN pg_opclass oc ON oc.oid = x.indclass[k - 1]
                         JOIN pg_namespace ocn ON ocn.oid = oc.opcnamespace
                         WHERE NOT oc.opcdefault ORDER BY k),
                   obj_description(x.indexrelid, 'pg_class'), COALESCE(i.reloptions, '{}'), x.indisclustered
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_am am ON am.oid = i.relam
            WHERE x.indrelid = ANY(%s::oid[])
            ORDER BY i.relname""",
        (oids,),
    ):
        columns = [index_column(expr, desc != "0", nf != "0") for expr, desc, nf in keys[:nkeys]]
        info: dict = {"columns": columns, "unique": unique, "method": method}
        if primary:
            info["primary"] = True
        included = [expr for expr, _, _ in keys[nkeys:]]
        if included:
            info["include"] = included
        if predicate:
            info["where"] = predicate
        if nulls:
            info["nulls_not_distinct"] = True
        if opclasses:
            info["operator_classes"] = list(opclasses)
        if options:
            info["options"] = sorted(options)
        if clustered:
            info["clustered"] = True
        if comment is not None:
            info["comment"] = comment
        if inherited:
            info["inherited"] = True
        out.setdefault(oid, {})[index] = info
    return out


def _relation_entry(kind: str) -> dict:
    return {"kind": kind, "columns": {}, "indexes": {}, "constraints": {}, "foreign_keys": {}, "inherited": {}}


def read_relations(conn, schemas: Iterable[str]) -> dict[str, dict[str, dict]]:
    """Every table of ``schemas``, partitions included, flat: ``{schema: {table: info}}``.

    ``info`` holds ``kind`` (``table``, ``partitioned table``, ``foreign table``),
    ``columns``, and the table's own ``indexes``, ``constraints`` and
    ``foreign_keys``; those a partition inherits from its parent (cloned by
    Postgres) are under ``inherited`` (``{"indexes": ..., "foreign_keys": ...}``).
    A partitioned table has ``partition_key`` (``RANGE (ordered_at)``); a
    partition has ``partition_of`` (``schema.table``) and ``bounds``
    (``FOR VALUES FROM (...) TO (...)``). Also ``comment`` when set and
    ``grants`` (``{role: [privilege, ...]}``, the owner left out). Partitions
    in another schema whose root table is in ``schemas`` are included under
    their own schema.
    """
    schemas = list(schemas)
    out: dict[str, dict[str, dict]] = {s: {} for s in schemas}
    by_oid: dict[int, dict] = {}
    for (
        oid,
        schema,
        table,
        relkind,
        parent,
        partkey,
        bounds,
        comment,
        grants,
        persistence,
        options,
        row_security,
        forced,
        parents,
        replica,
        access_method,
    ) in _rows(
        conn,
        f"""
            SELECT c.oid, n.nspname, c.relname, c.relkind,
                   CASE WHEN c.relispartition THEN
                       (SELECT pn.nspname || '.' || pc.relname FROM pg_inherits h
                        JOIN pg_class pc ON pc.oid = h.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace
                        WHERE h.inhrelid = c.oid) END,
                   CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
                   CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END,
                   obj_description(c.oid, 'pg_class'),
                   {_GRANTS.format(acl="c.relacl", kind="'r'", owner="c.relowner")},
                   c.relpersistence, COALESCE(c.reloptions, '{{}}'), c.relrowsecurity, c.relforcerowsecurity,
                   ARRAY(SELECT pn.nspname || '.' || pc.relname FROM pg_inherits h
                         JOIN pg_class pc ON pc.oid = h.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace
                         WHERE h.inhrelid = c.oid AND NOT c.relispartition ORDER BY h.inhseqno),
                   CASE c.relreplident WHEN 'n' THEN 'nothing' WHEN 'f' THEN 'full'
                       WHEN 'i' THEN (SELECT 'index ' || ri.relname FROM pg_index rx JOIN pg_class ri ON ri.oid = rx.indexrelid
                                      WHERE rx.indrelid = c.oid AND rx.indisreplident) END,
                   (SELECT am.amname FROM pg_am am WHERE am.oid = c.relam AND am.amname <> 'heap')
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'f') AND {_not_member("pg_class", "c.oid")}
              AND (n.nspname = ANY(%s)
                   OR (c.relispartition AND (SELECT rn.nspname FROM pg_class r
                                             JOIN pg_namespace rn ON rn.oid = r.relnamespace
                                             WHERE r.oid = pg_partition_root(c.oid)) = ANY(%s)))
            ORDER BY n.nspname, c.relname""",
        (schemas, schemas),
    ):
        entry = _relation_entry(_RELATION_KINDS[relkind])
        if partkey:
            entry["partition_key"] = partkey
        if parent:
            entry["partition_of"] = parent
            entry["bounds"] = bounds
        if comment is not None:
            entry["comment"] = comment
        entry["grants"] = _grants(grants)
        if persistence == "u":
            entry["unlogged"] = True
        if options:
            entry["options"] = sorted(options)
        if row_security:
            entry["row_security"] = "forced" if forced else True
        if parents:
            entry["inherits"] = list(parents)
        if replica:
            entry["replica_identity"] = replica
        if access_method:
            entry["access_method"] = access_method
        out.setdefault(schema, {})[table] = entry
        by_oid[oid] = entry
    oids = list(by_oid)
    if not oids:
        return out

    for (
        oid,
        column,
        type_,
        notnull,
        default,
        identity,
        generated,
        comment,
        collation,
        grants,
        storage,
        compression,
        statistics,
    ) in _rows(
        conn,
        f"""
            SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod),
                   a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attgenerated,
                   col_description(a.attrelid, a.attnum), {_COLLATION.format(column="a")},
                   CASE WHEN a.attacl IS NOT NULL THEN
                       {_GRANTS.format(acl="a.attacl", kind="'c'", owner="c.relowner")} END,
                   CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage END,
                   NULLIF(a.attcompression::text, ''), NULLIF(a.attstattarget::int, -1)
            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_type t ON t.oid = a.atttypid
            LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
            WHERE a.attrelid = ANY(%s::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attrelid, a.attnum""",
        (oids,),
    ):
        info = {"type": type_, "nullable": not notnull, "default": default}
        if identity:
            info["identity"] = "always" if identity == "a" else "by default"
        if generated:
            info["generated"] = default
            info["default"] = None
            if generated == "v":
                info["virtual"] = True
        if collation:
            info["collation"] = collation
        if storage:
            info["storage"] = _STORAGE.get(storage, storage)
        if compression:
            info["compression"] = _COMPRESSION.get(compression, compression)
        if statistics is not None:
            info["statistics"] = statistics
        if comment is not None:
            info["comment"] = comment
        if grants:
            info["grants"] = _grants(grants)
        by_oid[oid]["columns"][column] = info

    for oid, indexes in _read_indexes(conn, oids).items():
        entry = by_oid[oid]
        for name, info in indexes.items():
            if info.pop("inherited", False):
                entry["inherited"].setdefault("indexes", {})[name] = info
            else:
                entry["indexes"][name] = info

    for (
        oid,
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
        inherited,
        deferrable,
        deferred,
        match,
        nulls,
        comment,
    ) in _rows(
        conn,
        """
            SELECT con.conrelid, con.conname, con.contype,
                   ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(num, ord)
                         JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num
                         ORDER BY k.ord),
                   pg_get_constraintdef(con.oid, true),
                   rn.nspname, rt.relname,
                   ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY AS k(num, ord)
                         JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num
                         ORDER BY k.ord),
                   con.confdeltype, con.confupdtype, con.convalidated,
                   con.conparentid <> 0 OR NOT con.conislocal,
                   con.condeferrable, con.condeferred, con.confmatchtype,
                   COALESCE((SELECT (to_jsonb(x) ->> 'indnullsnotdistinct')::boolean FROM pg_index x
                             WHERE x.indexrelid = con.conindid AND con.contype IN ('p', 'u')), false),
                   obj_description(con.oid, 'pg_constraint')
            FROM pg_constraint con
            LEFT JOIN pg_constraint pcon ON pcon.oid = con.conparentid
            LEFT JOIN pg_class rt ON rt.oid = con.confrelid
            LEFT JOIN pg_namespace rn ON rn.oid = rt.relnamespace
            WHERE con.conrelid = ANY(%s::oid[]) AND con.contype IN ('p', 'u', 'c', 'x', 'f')
              -- a key referencing a partitioned table is repeated for each of its partitions: keep the one
              AND (pcon.oid IS NULL OR pcon.conrelid <> con.conrelid)
            ORDER BY con.conname""",
        (oids,),
    ):
        entry = by_oid[oid]
        target = entry["inherited"] if inherited else entry
        if contype == "f":
            target.setdefault("foreign_keys", {})[name] = {
                "columns": list(columns),
                "references": f"{ref_schema}.{ref_table}",
                "referenced_columns": list(ref_columns),
                "on_delete": _FK_ACTIONS.get(on_delete, on_delete),
                "on_update": _FK_ACTIONS.get(on_update, on_update),
                "validated": validated,
                **_deferrable(deferrable, deferred),
            }
            if match in _FK_MATCH:
                target["foreign_keys"][name]["match"] = _FK_MATCH[match]
            if comment is not None:
                target["foreign_keys"][name]["comment"] = comment
        else:
            info = {"type": _CONSTRAINT_TYPES[contype], "columns": list(columns), **_deferrable(deferrable, deferred)}
            if contype in ("c", "x"):
                info["definition"] = definition
            if nulls:
                info["nulls_not_distinct"] = True
            if comment is not None:
                info["comment"] = comment
            target.setdefault("constraints", {})[name] = info
    return out


def with_inherited(info: dict, section: str) -> dict[str, dict]:
    """A table's own and inherited objects of ``section`` (``indexes``, ``constraints``, ``foreign_keys``)."""
    return {**info["inherited"].get(section, {}), **info[section]}


def _nest(schema: str, table: str, entry: dict, children: dict[str, list[tuple[str, str, dict]]]) -> dict:
    """``entry`` with its partitions nested under ``partitions`` (key: the name, ``schema.name`` in another schema)."""
    nested = dict(entry)
    if entry["kind"] == "partitioned table":
        nested["partitions"] = {
            (name if s == schema else f"{s}.{name}"): _nest(s, name, child, children)
            for s, name, child in children.get(f"{schema}.{table}", [])
        }
    return nested


def read_tables(conn, schemas: Iterable[str]) -> dict[str, dict[str, dict]]:
    """``{schema: {table: info}}``: the tables that are not partitions, as :func:`read_relations` gives them,
    a partitioned table with its ``partitions`` (``{name: info}``, nested likewise) under it."""
    schemas = list(schemas)
    flat = read_relations(conn, schemas)
    children: dict[str, list[tuple[str, str, dict]]] = {}
    for schema, tables in flat.items():
        for table, info in tables.items():
            if info.get("partition_of"):
                children.setdefault(info["partition_of"], []).append((schema, table, info))
    return {
        schema: {
            table: _nest(schema, table, info, children)
            for table, info in flat[schema].items()
            if not info.get("partition_of")
        }
        for schema in schemas
    }


def read_views(conn, schemas: Iterable[str]) -> dict[str, dict[str, dict]]:
    """``{schema: {view: {"materialized": bool, "columns": {name: {"type": ...}}}}}``.

    Every view has ``definition_digest`` (:func:`digest` of its query as
    Postgres prints it), ``grants``, ``options`` when set (``check_option=local``,
    ``security_barrier=true``) and ``comment`` when set; a materialized view
    also has ``indexes``.
    """
    schemas = list(schemas)
    out: dict[str, dict[str, dict]] = {s: {} for s in schemas}
    by_oid: dict[int, dict] = {}
    for oid, schema, view, kind, definition, comment, grants, options in _rows(
        conn,
        f"""
            SELECT c.oid, n.nspname, c.relname, c.relkind, pg_get_viewdef(c.oid, true),
                   obj_description(c.oid, 'pg_class'),
                   {_GRANTS.format(acl="c.relacl", kind="'r'", owner="c.relowner")},
                   COALESCE(c.reloptions, '{{}}')
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = ANY(%s) AND c.relkind IN ('v', 'm') AND {_not_member("pg_class", "c.oid")}
            ORDER BY n.nspname, c.relname""",
        (schemas,),
    ):
        entry: dict = {"materialized": kind == "m", "columns": {}, "definition_digest": digest(definition)}
        if kind == "m":
            entry["indexes"] = {}
        if options:
            entry["options"] = sorted(options)
        if comment is not None:
            entry["comment"] = comment
        entry["grants"] = _grants(grants)
        out[schema][view] = by_oid[oid] = entry
    if not by_oid:
        return out
    for oid, column, type_, comment in _rows(
        conn,
        """
            SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), col_description(a.attrelid, a.attnum)
            FROM pg_attribute a
            WHERE a.attrelid = ANY(%s::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attrelid, a.attnum""",
        (list(by_oid),),
    ):
        by_oid[oid]["columns"][column] = {"type": type_} if comment is None else {"type": type_, "comment": comment}
    for oid, indexes in _read_indexes(conn, [o for o, e in by_oid.items() if e["materialized"]]).items():
        by_oid[oid]["indexes"] = indexes
    return out


_TRIGGER_EVENTS = ((4, "insert"), (16, "update"), (8, "delete"), (32, "truncate"))
_TRIGGER_ENABLED = {"O": True, "D": False, "R": "replica", "A": "always"}
_TRIGGER_WHEN = re.compile(r" WHEN \((.*)\) EXECUTE (?:FUNCTION|PROCEDURE) ", re.S)
_TRIGGER_REFERENCING = re.compile(r" REFERENCING ((?:(?:OLD|NEW) TABLE AS \S+ ?)+) FOR EACH ", re.S)


def _trigger_arguments(raw) -> list[str]:
    data = bytes(raw or b"")
    return [a.decode("utf-8", "replace") for a in data.split(b"\x00")[:-1]] if data else []


def read_triggers(conn, schemas: Iterable[str]) -> dict[str, dict[str, dict]]:
    """``{schema: {"name on table": trigger}}``: the triggers declared on tables, partitions and views.

    A trigger is ``{"table", "name", "timing"`` (``before``, ``after``,
    ``instead of``), ``"events"`` (``["insert", "update of a, b"]``), ``"level"``
    (``row`` or ``statement``), ``"function"`` (``schema.name(args)``),
    ``"enabled"`` (``true``, ``false``, ``replica`` or ``always``) and ``"when"``
    if it has a condition. Triggers Postgres clones onto partitions from a
    trigger of the partitioned table, and internal ones (of foreign keys), are
    left out.
    """
    schemas = list(schemas)
    out: dict[str, dict[str, dict]] = {s: {} for s in schemas}
    for (
        schema,
        table,
        name,
        tgtype,
        enabled,
        fn_schema,
        fn_name,
        args,
        columns,
        definition,
        comment,
        is_constraint,
        deferrable,
        deferred,
    ) in _rows(
        conn,
        """
            SELECT n.nspname, c.relname, t.tgname, t.tgtype, t.tgenabled, pn.nspname, p.proname, t.tgargs,
                   ARRAY(SELECT a.attname FROM unnest(t.tgattr) AS k(num)
                         JOIN pg_attribute a ON a.attrelid = t.tgrelid AND a.attnum = k.num),
                   pg_get_triggerdef(t.oid, true), obj_description(t.oid, 'pg_trigger'),
                   t.tgconstraint <> 0, t.tgdeferrable, t.tginitdeferred
            FROM pg_trigger t
            JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace
            WHERE n.nspname = ANY(%s) AND NOT t.tgisinternal AND t.tgparentid = 0
            ORDER BY n.nspname, c.relname, t.tgname""",
        (schemas,),
    ):
        timing = "instead of" if tgtype & 64 else "before" if tgtype & 2 else "after"
        events = [event for bit, event in _TRIGGER_EVENTS if tgtype & bit]
        if columns:
            events = [f"update of {', '.join(columns)}" if e == "update" else e for e in events]
        arguments = ", ".join("'" + a.replace("'", "''") + "'" for a in _trigger_arguments(args))
        info = {
            "table": table,
            "name": name,
            "timing": timing,
            "events": events,
            "level": "row" if tgtype & 1 else "statement",
            "function": f"{fn_schema}.{fn_name}({arguments})",
            "enabled": _TRIGGER_ENABLED.get(enabled, enabled),
        }
        when = _TRIGGER_WHEN.search(definition or "")
        if when:
            info["when"] = when.group(1)
        referencing = _TRIGGER_REFERENCING.search(definition or "")
        if referencing:
            info["referencing"] = " ".join(referencing.group(1).split())
        if is_constraint:
            info["constraint"] = True
            info.update(_deferrable(deferrable, deferred))
        if comment is not None:
            info["comment"] = comment
        out[schema][f"{name} on {table}"] = info
    return out


_RULE_EVENTS = {"1": "select", "2": "update", "3": "insert", "4": "delete"}


def read_rules(conn, schemas: Iterable[str]) -> dict[str, dict[str, dict]]:
    """``{schema: {"name on table": rule}}``: the rewrite rules on tables and views, but the ``_RETURN`` rule
    that makes a view. A rule is ``{"table", "name", "event"`` (``insert``, ``update``, ``delete``,
    ``select``), ``"instead"``, ``"enabled"`` and ``"definition"`` (``CREATE RULE ...`` as Postgres prints
    it, on one line)}; also ``comment`` when set.
    """
    schemas = list(schemas)
    out: dict[str, dict[str, dict]] = {s: {} for s in schemas}
    for schema, table, name, event, instead, enabled, definition, comment in _rows(
        conn,
        """
            SELECT n.nspname, c.relname, r.rulename, r.ev_type, r.is_instead, r.ev_enabled,
                   pg_get_ruledef(r.oid, true), obj_description(r.oid, 'pg_rewrite')
            FROM pg_rewrite r
            JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = ANY(%s) AND r.rulename <> '_RETURN'
            ORDER BY n.nspname, c.relname, r.rulename""",
        (schemas,),
    ):
        info = {
            "table": table,
            "name": name,
            "event": _RULE_EVENTS.get(str(event), str(event)),
            "instead": instead,
            "enabled": _TRIGGER_ENABLED.get(enabled, enabled),
            "definition": " ".join(str(definition or "").split()),
        }
        if comment is not None:
            info["comment"] = comment
        out[schema][f"{name} on {table}"] = info
    return out


_POLICY_COMMANDS = {"r": "select", "a": "insert", "w": "update", "d": "delete", "*": "all"}


def read_policies(conn, schemas: Iterable[str]) -> dict[str, dict[str, dict]]:
    """``{schema: {"name on table": policy}}``: the row-level security policies. A policy is
    ``{"table", "name", "command"`` (``all``, ``select``, ``insert``, ``update``, ``delete``),
    ``"permissive"`` (true, or false for a restrictive one), ``"roles"`` (sorted, ``PUBLIC`` for everyone),
    ``"using"`` and ``"with_check"`` (the expressions, None when absent)}; also ``comment`` when set.
    Whether a table enforces them is its ``row_security`` (:func:`read_relations`).
    """
    schemas = list(schemas)
    out: dict[str, dict[str, dict]] = {s: {} for s in schemas}
    for schema, table, name, command, permissive, roles, using, check, comment in _rows(
        conn,
        """
            SELECT n.nspname, c.relname, p.polname, p.polcmd, p.polpermissive,
                   ARRAY(SELECT CASE WHEN r.oid = 0 THEN 'PUBLIC' ELSE (SELECT rolname FROM pg_roles WHERE oid = r.oid) END
                         FROM unnest(p.polroles) AS r(oid) ORDER BY 1),
                   pg_get_expr(p.polqual, p.polrelid, true), pg_get_expr(p.polwithcheck, p.polrelid, true),
                   obj_description(p.oid, 'pg_policy')
            FROM pg_policy p
            JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = ANY(%s)
            ORDER BY n.nspname, c.relname, p.polname""",
        (schemas,),
    ):
        info = {
            "table": table,
            "name": name,
            "command": _POLICY_COMMANDS.get(str(command), str(command)),
            "permissive": permissive,
            "roles": list(roles),
            "using": using,
            "with_check": check,
        }
        if comment is not None:
            info["comment"] = comment
        out[schema][f"{name} on {table}"] = info
    return out


def read_composite_types(conn, schemas: Iterable[str]) -> dict[str, dict[str, dict]]:
    """``{schema: {type: {"attributes": {name: type}}}}``: the composite types made with ``CREATE TYPE ... AS``
    (not the row types of tables and views); also ``grants`` and ``comment`` when set. An attribute with a
    collation other than its type's default reads ``text COLLATE "C"``."""
    schemas = list(schemas)
    out: dict[str, dict[str, dict]] = {s: {} for s in schemas}
    by_oid: dict[int, dict] = {}
    for oid, schema, name, comment, grants in _rows(
        conn,
        f"""
            SELECT c.oid, n.nspname, ty.typname, obj_description(ty.oid, 'pg_type'),
                   {_GRANTS.format(acl="ty.typacl", kind="'T'", owner="ty.typowner")}
            FROM pg_type ty
            JOIN pg_class c ON c.oid = ty.typrelid AND c.relkind = 'c'
            JOIN pg_namespace n ON n.oid = ty.typnamespace
            WHERE n.nspname = ANY(%s) AND ty.typtype = 'c' AND {_not_member("pg_type", "ty.oid")}
            ORDER BY n.nspname, ty.typname""",
        (schemas,),
    ):
        info: dict = {"attributes": {}, "grants": _grants(grants)}
        if comment is not None:
            info["comment"] = comment
        out[schema][name] = by_oid[oid] = info
    if by_oid:
        for oid, attribute, type_, collation in _rows(
            conn,
            f"""
                SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), {_COLLATION.format(column="a")}
                FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                WHERE a.attrelid = ANY(%s::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
                ORDER BY a.attrelid, a.attnum""",
            (list(by_oid),),
        ):
            by_oid[oid]["attributes"][attribute] = f"{type_} COLLATE {collation}" if collation else type_
    return out


def read_range_types(conn, schemas: Iterable[str]) -> dict[str, dict[str, dict]]:
    """``{schema: {type: {"range": {"subtype": ..., "collation"?: ...}}}}``: the range types made with
    ``CREATE TYPE ... AS RANGE``; also ``grants`` and ``comment`` when set."""
    schemas = list(schemas)
    out: dict[str, dict[str, dict]] = {s: {} for s in schemas}
    for schema, name, subtype, collation, comment, grants in _rows(
        conn,
        f"""
            SELECT n.nspname, ty.typname, format_type(r.rngsubtype, NULL),
                   (SELECT CASE WHEN co.collnamespace = 'pg_catalog'::regnamespace THEN quote_ident(co.collname)
                                ELSE quote_ident(con.nspname) || '.' || quote_ident(co.collname) END
                    FROM pg_collation co JOIN pg_namespace con ON con.oid = co.collnamespace
                    WHERE co.oid = r.rngcollation AND r.rngcollation <> st.typcollation),
                   obj_description(ty.oid, 'pg_type'),
                   {_GRANTS.format(acl="ty.typacl", kind="'T'", owner="ty.typowner")}
            FROM pg_type ty
            JOIN pg_range r ON r.rngtypid = ty.oid
            JOIN pg_type st ON st.oid = r.rngsubtype
            JOIN pg_namespace n ON n.oid = ty.typnamespace
            WHERE n.nspname = ANY(%s) AND {_not_member("pg_type", "ty.oid")}
            ORDER BY n.nspname, ty.typname""",
        (schemas,),
    ):
        info: dict = {"range": {"subtype": subtype}, "grants": _grants(grants)}
        if collation:
            info["range"]["collation"] = collation
        if comment is not None:
            info["comment"] = comment
        out[schema][name] = info
    return out


def read_statistics(conn, schemas: Iterable[str]) -> dict[str, dict[str, dict]]:
    """``{schema: {name: {"table": ..., "definition": "CREATE STATISTICS ..."}}}``: the extended statistics
    objects (``CREATE STATISTICS``); also ``comment`` when set."""
    schemas = list(schemas)
    out: dict[str, dict[str, dict]] = {s: {} for s in schemas}
    for schema, name, table, definition, comment in _rows(
        conn,
        """
            SELECT n.nspname, s.stxname, c.relname, pg_get_statisticsobjdef(s.oid),
                   obj_description(s.oid, 'pg_statistic_ext')
            FROM pg_statistic_ext s
            JOIN pg_namespace n ON n.oid = s.stxnamespace JOIN pg_class c ON c.oid = s.stxrelid
            WHERE n.nspname = ANY(%s)
            ORDER BY n.nspname, s.stxname""",
        (schemas,),
    ):
        info = {"table": table, "definition": " ".join(str(definition or "").split())}
        if comment is not None:
            info["comment"] = comment
        out[schema][name] = info
    return out


_COLLATION_PROVIDERS = {"c": "libc", "i": "icu", "b": "builtin", "d": "default"}


def read_collations(conn, schemas: Iterable[str]) -> dict[str, dict[str, dict]]:
    """``{schema: {collation: {"provider", "locale", "ctype", "deterministic"}}}``: the collations made with
    ``CREATE COLLATION``; ``ctype`` only where it differs from ``locale``; also ``comment`` when set."""
    schemas = list(schemas)
    out: dict[str, dict[str, dict]] = {s: {} for s in schemas}
    for schema, name, provider, locale, ctype, deterministic, comment in _rows(
        conn,
        f"""
            SELECT n.nspname, co.collname, co.collprovider,
                   COALESCE(to_jsonb(co) ->> 'colllocale', to_jsonb(co) ->> 'colliculocale', co.collcollate),
                   co.collctype, co.collisdeterministic, obj_description(co.oid, 'pg_collation')
            FROM pg_collation co JOIN pg_namespace n ON n.oid = co.collnamespace
            WHERE n.nspname = ANY(%s) AND {_not_member("pg_collation", "co.oid")}
            ORDER BY n.nspname, co.collname""",
        (schemas,),
    ):
        info: dict = {
            "provider": _COLLATION_PROVIDERS.get(str(provider), str(provider)),
            "locale": locale,
            "deterministic": deterministic,
        }
        if ctype is not None and ctype != locale:
            info["ctype"] = ctype
        if comment is not None:
            info["comment"] = comment
        out[schema][name] = info
    return out


_DEFAULT_ACL_KINDS = {"r": "tables", "S": "sequences", "f": "functions", "T": "types", "n": "schemas"}


def read_schema_properties(conn, schemas: Iterable[str]) -> dict[str, dict]:
    """``{schema: {"grants": {role: [privilege, ...]}, "comment": ..., "default_privileges": ...}}`` of each
    existing schema (the owner's own privileges left out; ``comment`` only when set).
    ``default_privileges`` (``ALTER DEFAULT PRIVILEGES IN SCHEMA``) is ``{"tables": {role: [privilege, ...]},
    ...}`` for the kinds that have some, whoever set them, the setting role's own privileges left out."""
    out: dict[str, dict] = {}
    for schema, comment, grants in _rows(
        conn,
        f"""
            SELECT n.nspname, obj_description(n.oid, 'pg_namespace'),
                   {_GRANTS.format(acl="n.nspacl", kind="'n'", owner="n.nspowner")}
            FROM pg_namespace n WHERE n.nspname = ANY(%s)""",
        (list(schemas),),
    ):
        info: dict = {"grants": _grants(grants)}
        if comment is not None:
            info["comment"] = comment
        out[schema] = info
    for schema, kind, role, privilege in _rows(
        conn,
        """
            SELECT n.nspname, d.defaclobjtype, COALESCE(r.rolname, 'PUBLIC'),
                   x.privilege_type || CASE WHEN x.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END
            FROM pg_default_acl d
            JOIN pg_namespace n ON n.oid = d.defaclnamespace
            CROSS JOIN LATERAL aclexplode(d.defaclacl) x
            LEFT JOIN pg_roles r ON r.oid = x.grantee
            WHERE n.nspname = ANY(%s) AND x.grantee <> d.defaclrole
            ORDER BY 1, 2, r.rolname NULLS FIRST, 4""",
        (list(schemas),),
    ):
        if schema in out:
            kinds = out[schema].setdefault("default_privileges", {})
            privileges = kinds.setdefault(_DEFAULT_ACL_KINDS.get(kind, kind), {}).setdefault(role, [])
            if privilege not in privileges:
                privileges.append(privilege)
    return out


def read_sequences(conn, schemas: Iterable[str]) -> dict[str, dict[str, dict]]:
    """``{schema: {sequence: {"type", "increment", "min", "max", "start", "cache", "cycle", "owned_by"}}}``.

    ``owned_by`` is ``schema.table.column`` for a sequence owned by a column
    (``serial``, identity, ``OWNED BY``), else None. Also ``grants`` and ``comment``.
    """
    schemas = list(schemas)
    out: dict[str, dict[str, dict]] = {s: {} for s in schemas}
    for schema, name, type_, increment, minimum, maximum, start, cache, cycle, owner, comment, grants in _rows(
        conn,
        f"""
            SELECT n.nspname, c.relname, format_type(s.seqtypid, NULL), s.seqincrement, s.seqmin, s.seqmax,
                   s.seqstart, s.seqcache, s.seqcycle,
                   (SELECT tn.nspname || '.' || tc.relname || '.' || a.attname FROM pg_depend d
                    JOIN pg_class tc ON tc.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = tc.relnamespace
                    JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                      AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
                    LIMIT 1),
                   obj_description(c.oid, 'pg_class'),
                   {_GRANTS.format(acl="c.relacl", kind="'s'", owner="c.relowner")}
            FROM pg_sequence s
            JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = ANY(%s) AND {_not_member("pg_class", "c.oid")}
            ORDER BY n.nspname, c.relname""",
        (schemas,),
    ):
        info = {
            "type": type_,
            "increment": int(increment),
            "min": int(minimum),
            "max": int(maximum),
            "start": int(start),
            "cache": int(cache),
            "cycle": cycle,
            "owned_by": owner,
            "grants": _grants(grants),
        }
        if comment is not None:
            info["comment"] = comment
        out[schema][name] = info
    return out


def read_types(conn, schemas: Iterable[str]) -> dict[str, dict[str, dict[str, dict]]]:
    """Domains and enum types: ``{schema: {"domains": {...}, "enums": {...}}}``.

    A domain is ``{"type"`` (its base type), ``"not_null"``, ``"default"``,
    ``"checks": {name: "CHECK (VALUE > 0)"}}``; an enum ``{"labels": [...]}``
    in their order. Both have ``grants`` and ``comment`` when set.
    """
    schemas = list(schemas)
    out: dict[str, dict[str, dict[str, dict]]] = {s: {"domains": {}, "enums": {}} for s in schemas}
    for schema, name, kind, base, notnull, default, labels, comment, collation, grants in _rows(
        conn,
        f"""
            SELECT n.nspname, t.typname, t.typtype, format_type(t.typbasetype, t.typtypmod), t.typnotnull,
                   t.typdefault,
                   ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder),
                   obj_description(t.oid, 'pg_type'),
                   (SELECT CASE WHEN co.collnamespace = 'pg_catalog'::regnamespace THEN quote_ident(co.collname)
                                ELSE quote_ident(con.nspname) || '.' || quote_ident(co.collname) END
                    FROM pg_collation co JOIN pg_namespace con ON con.oid = co.collnamespace
                    JOIN pg_type bt ON bt.oid = t.typbasetype
                    WHERE co.oid = t.typcollation AND t.typcollation <> bt.typcollation),
                   {_GRANTS.format(acl="t.typacl", kind="'T'", owner="t.typowner")}
            FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
            WHERE n.nspname = ANY(%s) AND t.typtype IN ('d', 'e') AND {_not_member("pg_type", "t.oid")}
            ORDER BY n.nspname, t.typname""",
        (schemas,),
    ):
        info: dict = (
            {"type": base, "not_null": notnull, "default": default, "checks": {}}
            if kind == "d"
            else {"labels": list(labels)}
        )
        if collation:
            info["collation"] = collation
        if comment is not None:
            info["comment"] = comment
        info["grants"] = _grants(grants)
        out[schema]["domains" if kind == "d" else "enums"][name] = info
    for schema, name, check, definition in _rows(
        conn,
        """
            SELECT n.nspname, t.typname, con.conname, pg_get_constraintdef(con.oid, true)
            FROM pg_constraint con
            JOIN pg_type t ON t.oid = con.contypid JOIN pg_namespace n ON n.oid = t.typnamespace
            WHERE n.nspname = ANY(%s) AND con.contype = 'c'
            ORDER BY n.nspname, t.typname, con.conname""",
        (schemas,),
    ):
        domain = out[schema]["domains"].get(name)
        if domain is not None:
            domain["checks"][check] = definition
    return out


def _read_functions(conn, schemas: list[str]) -> dict[str, dict[str, list[dict]]]:
    out: dict[str, dict[str, list[dict]]] = {s: {} for s in schemas}
    for (
        schema,
        name,
        kind,
        arguments,
        identity,
        argtypes,
        returns,
        language,
        body,
        comment,
        grants,
        volatile,
        definer,
        strict,
        leakproof,
        parallel,
        config,
        cost,
        rows,
        constructor,
    ) in _rows(
        conn,
        f"""
            SELECT n.nspname, p.proname, p.prokind,
                   pg_get_function_arguments(p.oid), pg_get_function_identity_arguments(p.oid),
                   ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes) AS t),
                   COALESCE(pg_get_function_result(p.oid), ''), l.lanname,
                   CASE WHEN p.prokind = 'a' THEN
                       (SELECT concat_ws(' ', 'sfunc', tf.proname, 'stype', format_type(a.aggtranstype, NULL),
                                         'finalfunc', ff.proname, 'combinefunc', cf.proname,
                                         'initcond', CASE WHEN a.agginitval = '' THEN '''''' ELSE a.agginitval END)
                        FROM pg_aggregate a
                        JOIN pg_proc tf ON tf.oid = a.aggtransfn
                        LEFT JOIN pg_proc ff ON ff.oid = a.aggfinalfn
                        LEFT JOIN pg_proc cf ON cf.oid = a.aggcombinefn
                        WHERE a.aggfnoid = p.oid)
                   ELSE COALESCE(pg_get_function_sqlbody(p.oid), p.prosrc) END,
                   obj_description(p.oid, 'pg_proc'),
                   {_GRANTS.format(acl="p.proacl", kind="'f'", owner="p.proowner")},
                   p.provolatile, p.prosecdef, p.proisstrict, p.proleakproof, p.proparallel,
                   COALESCE(p.proconfig, '{{}}'), p.procost, p.prorows,
                   EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                             AND d.refclassid = 'pg_type'::regclass AND d.deptype = 'i')
            FROM pg_proc p
            JOIN pg_namespace n ON n.oid = p.pronamespace
            JOIN pg_language l ON l.oid = p.prolang
            WHERE n.nspname = ANY(%s) AND {_not_member("pg_proc", "p.oid")}
            ORDER BY n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)""",
        (schemas,),
    ):
        info = {
            "arguments": identity,
            "arguments_with_defaults": arguments,
            "argument_types": list(argtypes),
            "returns": returns,
            "kind": _FUNCTION_KINDS.get(kind, kind),
            "language": language,
            "body_digest": digest(body),
            "grants": _grants(grants),
            "volatility": _VOLATILITY.get(volatile, volatile),
            "security": "definer" if definer else "invoker",
            "strict": strict,
            "leakproof": leakproof,
            "parallel": _PARALLEL.get(parallel, parallel),
            "config": list(config),
            "cost": _figure(cost),
            "rows": _figure(rows),
        }
        if comment is not None:
            info["comment"] = comment
        if constructor:
            info["constructor"] = True
        out[schema].setdefault(name, []).append(info)
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
    * ``language``: ``sql``, ``plpgsql``, ...;
    * ``body_digest``: :func:`digest` of the body (for an aggregate: its state
      and final functions, state type and initial value);
    * ``grants``: ``{role: [privilege, ...]}`` (the owner left out), and
      ``comment`` when set;
    * ``volatility`` (``volatile``, ``stable``, ``immutable``), ``security``
      (``invoker`` or ``definer``), ``strict``, ``leakproof``, ``parallel``
      (``unsafe``, ``restricted``, ``safe``) and ``config`` (``SET`` clauses:
      ``["search_path=app, pg_catalog"]``);
    * ``constructor``: true for a function Postgres made with a range type
      (its constructors), which the expected-schema file leaves out.

    Functions installed by an extension are not included.
    """
    return _read_functions(conn, [schema])[schema]


def read_schema(conn, schemas: Iterable[str]) -> dict:
    """The whole catalog picture of ``schemas`` in one pass.

    ``{"extensions": {name: {...}}, "schemas": {schema: {"exists": bool,
    "grants": {...}, "tables": {...}, "views": {...}, "functions": {...},
    "triggers": {...}, "sequences": {...}, "domains": {...}, "enums": {...},
    "types": {...}, "collations": {...}, "rules": {...}, "policies": {...},
    "statistics": {...}}}}`` (``types`` holds composite and range types)
    (see :func:`read_tables`, :func:`read_views`, :func:`read_functions`,
    :func:`read_triggers`, :func:`read_sequences`, :func:`read_types`,
    :func:`read_composite_types`, :func:`read_range_types`,
    :func:`read_statistics`, :func:`read_collations`, :func:`read_rules`,
    :func:`read_policies`, :func:`read_schema_properties`).
    """
    schemas = list(dict.fromkeys(schemas))
    existing = set(_rows_flat(conn, "SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)", (schemas,)))
    tables = read_tables(conn, schemas)
    views = read_views(conn, schemas)
    functions = _read_functions(conn, schemas)
    triggers = read_triggers(conn, schemas)
    sequences = read_sequences(conn, schemas)
    types = read_types(conn, schemas)
    rules = read_rules(conn, schemas)
    policies = read_policies(conn, schemas)
    composites = read_composite_types(conn, schemas)
    ranges = read_range_types(conn, schemas)
    statistics = read_statistics(conn, schemas)
    collations = read_collations(conn, schemas)
    properties = read_schema_properties(conn, schemas)
    return {
        "extensions": read_extensions(conn),
        "schemas": {
            s: {
                "exists": s in existing,
                **properties.get(s, {}),
                "tables": tables[s],
                "views": views[s],
                "functions": functions[s],
                "triggers": triggers[s],
                "sequences": sequences[s],
                "domains": types[s]["domains"],
                "enums": types[s]["enums"],
                "types": {**composites[s], **ranges[s]},
                "statistics": statistics[s],
                "collations": collations[s],
                "rules": rules[s],
                "policies": policies[s],
            }
            for s in schemas
        },
    }


def _rows_flat(conn, query: str, params=None) -> list:
    return [r[0] for r in _rows(conn, query, params)]
