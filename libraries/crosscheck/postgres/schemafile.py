"""The expected-schema file: type normalisation, parsing (YAML or JSON), writing YAML.

The diff of a parsed file against the live catalog is :mod:`crosscheck.postgres.diff`;
reading the catalog is :mod:`crosscheck.postgres.catalog`. Nothing here imports Robot
Framework.

File format (every section optional; see docs/postgres.md)::

    format: 2                           # what is off by default is left out (see FORMAT)
    extensions: [plpgsql, vector]
    ignore: ["public.tmp_*"]            # glob patterns of objects not to report
    schemas:
      public:
        tables:
          cache_entries:
            columns:
              id: {type: integer, nullable: false, default: "nextval('cache_entries_id_seq'::regclass)"}
              universe_category: varchar(50)          # shorthand: the type only
            indexes:
              idx_cache_entries_updated: {columns: [last_universe_update DESC], method: btree}
            constraints:
              cache_entries_pkey: {type: primary key, columns: [id]}
            foreign_keys:
              historical_data_cache_id_fkey: {columns: [cache_id], references: public.cache_entries,
                                              referenced_columns: [id], on_delete: cascade}
            partition_key: RANGE (ordered_on)          # a partitioned table, and its partitions
            partitions:
              orders_2024: {bounds: "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')"}
        views:
          active_universes: {columns: {name: text}}
        functions:
          get_etf_universe: [{arguments: p_name text, returns: jsonb}]
        triggers:
          orders_audit on orders: {timing: after, events: [insert], level: row, function: public.audit()}
        sequences:
          order_no_seq: {type: bigint, increment: 1, start: 1000, owned_by: public.orders.id}
        domains:
          positive_int: {type: integer, checks: {positive_int_check: CHECK (VALUE > 0)}}
        enums:
          mood: [sad, ok, happy]
        types:
          film_summary: {attributes: {title: text, rental_rate: "numeric(4,2)"}}
        collations:
          bytewise: {provider: libc, locale: C, deterministic: true}
        rules:
          note_keep on notes: {event: delete, instead: true, definition: "CREATE RULE ..."}
        policies:
          own_store on customers: {command: select, roles: [app_reader], using: store_id = 1}

A property left out is not checked (``universe_category: varchar(50)`` checks
the type and not nullability), but for the properties of :data:`IMPLIED` in a
file of ``format: 2``; and so is a section left out (files written before
triggers, sequences, domains, enums, partitions, types, collations, rules and
policies were in the format load and compare as before). Objects are compared
by name in every schema the file lists; objects the file does not list are reported as unexpected,
except those whose name starts with ``cc_`` (scratch objects of test runs,
see :mod:`crosscheck.namespace`) and those matching an ``ignore`` pattern.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml

from crosscheck.errors import ConfigurationError

# --- normalisation ------------------------------------------------------------------

# One canonical spelling per type, as format_type() prints it where it can: both sides of a
# comparison go through normalize_type, so any accepted spelling matches any other.
_WORD_ALIASES = {
    "varchar": "character varying",
    "char": "character",
    "bpchar": "character",
    "int": "integer",
    "int4": "integer",
    "serial": "integer",
    "serial4": "integer",
    "int8": "bigint",
    "bigserial": "bigint",
    "serial8": "bigint",
    "int2": "smallint",
    "smallserial": "smallint",
    "serial2": "smallint",
    "bool": "boolean",
    "float8": "double precision",
    "float4": "real",
    "decimal": "numeric",
}
# Array types are named with a leading underscore in pg_type (``_text``, ``_int4``).
_ARRAY_BASES = set(_WORD_ALIASES) | {
    "text",
    "integer",
    "bigint",
    "smallint",
    "boolean",
    "numeric",
    "real",
    "jsonb",
    "json",
    "uuid",
    "bytea",
    "date",
    "time",
    "timetz",
    "timestamp",
    "timestamptz",
    "interval",
    "inet",
    "cidr",
    "macaddr",
    "oid",
    "name",
    "money",
    "bit",
    "varbit",
    "xml",
    "tsvector",
    "point",
    "vector",
    "halfvec",
    "sparsevec",
    "float",
}
_UNDERSCORE_ARRAY = re.compile(
    r'(?<![\w".$])_(' + "|".join(sorted(_ARRAY_BASES, key=len, reverse=True)) + r")\b(\(\d+(?:, \d+)*\))?"
)
_ARRAY_KEYWORD = re.compile(r"\s+array\b(\[\d*\])?")
_ARRAY_DIMS = re.compile(r"(?:\[\d*\])+")
_TIME_TYPE = re.compile(r"\b(timestamptz|timestamp|timetz|time)\b(\(\d+\))?(?: (with|without) time zone\b)?")
_FLOAT = re.compile(r"\bfloat\b(?:\((\d+)\))?")
_WORD = re.compile(r"\b(" + "|".join(sorted(_WORD_ALIASES, key=len, reverse=True)) + r")\b")
_QUOTED = re.compile(r'("(?:[^"]|"")*")')
_QUALIFIED = re.compile(r'^((?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*))\.(.+)$')
_SPACES = re.compile(r"\s+")


def _time_type(match: re.Match) -> str:
    name, precision, zone = match.group(1), match.group(2) or "", match.group(3)
    with_zone = name.endswith("tz") or zone == "with"
    base = "timestamp" if name.startswith("timestamp") else "time"
    return f"{base}{precision} {'with' if with_zone else 'without'} time zone"


def _float(match: re.Match) -> str:
    bits = match.group(1)
    return "real" if bits is not None and 1 <= int(bits) <= 24 else "double precision"


@functools.lru_cache(maxsize=4096)
def normalize_type(text: Any) -> str:
    """One spelling per Postgres type, so that any two spellings of it compare equal.

    ``varchar(50)`` -> ``character varying(50)``; ``timestamp`` and ``timestamp without
    time zone`` -> ``timestamp without time zone``; ``timestamptz`` -> ``timestamp with
    time zone``; ``int4`` -> ``integer``; ``serial`` -> ``integer`` (the column's type);
    ``float8`` -> ``double precision``; ``decimal(10,2)`` -> ``numeric(10, 2)``; ``_text``,
    ``text array`` and ``text[][]`` -> ``text[]``. Case and spacing do not matter (quoted
    names keep their case); other names, such as domains and ``vector(8)``, stay as written.
    Works on whole argument lists too (``p_name varchar, p_n int``); word boundaries
    keep ``p_int`` intact.
    """
    parts = _QUOTED.split(str(text).strip())
    text = "".join(part if i % 2 else part.lower() for i, part in enumerate(parts))
    text = _SPACES.sub(" ", text)
    text = re.sub(r"\s*\(\s*", "(", text)
    text = re.sub(r"\s*\)", ")", text)
    text = re.sub(r"\s*\[\s*", "[", text)
    text = re.sub(r"\s*\]", "]", text)
    text = re.sub(r"\s*,\s*", ", ", text)
    text = _UNDERSCORE_ARRAY.sub(lambda m: f"{m.group(1)}{m.group(2) or ''}[]", text)
    text = _ARRAY_KEYWORD.sub("[]", text)
    text = _ARRAY_DIMS.sub("[]", text)
    text = _TIME_TYPE.sub(_time_type, text)
    text = _FLOAT.sub(_float, text)
    text = _WORD.sub(lambda m: _WORD_ALIASES[m.group(1)], text)
    return text


def types_match(expected: Any, actual: Any) -> bool:
    """True when ``expected`` and ``actual`` name the same type in any accepted spelling.

    A name without a schema (``my_domain``) matches the same name in any schema
    (``app.my_domain``, as ``format_type`` prints a type outside the search path); two
    different schemas never match.
    """
    want, got = normalize_type(expected), normalize_type(actual)
    if want == got:
        return True
    want_q, got_q = _QUALIFIED.match(want), _QUALIFIED.match(got)
    want_schema, want_name = (want_q.group(1), want_q.group(2)) if want_q else (None, want)
    got_schema, got_name = (got_q.group(1), got_q.group(2)) if got_q else (None, got)
    return want_name == got_name and (want_schema is None or got_schema is None)


_CAST = re.compile(r"::[a-z_][a-z0-9_ ]*(\([0-9, ]+\))?(\[\])?")


@functools.lru_cache(maxsize=4096)
def normalize_default(text: Any) -> str | None:
    """Lower case, single spaces, type casts removed: ``'etf'::character varying`` -> ``'etf'``."""
    if text is None:
        return None
    text = _SPACES.sub(" ", str(text).strip())
    text = _CAST.sub("", text.lower() if "'" not in text else text)
    return text.strip()


@functools.lru_cache(maxsize=4096)
def normalize_index_column(text: str) -> str:
    """``col ASC`` -> ``col``; ``col DESC NULLS FIRST`` -> ``col DESC``; keywords upper case."""
    text = _SPACES.sub(" ", str(text).strip())
    upper = text.upper()
    desc = False
    nulls = None
    for suffix, flag in ((" NULLS FIRST", "first"), (" NULLS LAST", "last")):
        if upper.endswith(suffix):
            nulls, text, upper = flag, text[: -len(suffix)], upper[: -len(suffix)]
    for suffix, is_desc in ((" DESC", True), (" ASC", False)):
        if upper.endswith(suffix):
            desc, text = is_desc, text[: -len(suffix)]
            break
    if desc:
        return text + (" DESC NULLS LAST" if nulls == "last" else " DESC")
    return text + (" NULLS FIRST" if nulls == "first" else "")


def norm_words(text: Any) -> str:
    """Lower case, single spaces."""
    return _SPACES.sub(" ", str(text).strip().lower())


# --- the expected file --------------------------------------------------------------


def as_list(value) -> list:
    """``None`` -> ``[]``; a list stays; anything else becomes a list of one."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def split_list(value) -> list[str]:
    """A list, or a comma-separated string split at top-level commas (``lower(a), b DESC``)."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value]
    parts, depth, current = [], 0, ""
    for char in str(value):
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        depth += (char == "(") - (char == ")")
        current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def parse_column(value) -> dict:
    """A column entry: a mapping, or the shorthand ``type`` / ``type not null``."""
    if isinstance(value, dict):
        return dict(value)
    text = str(value).strip()
    info: dict[str, Any] = {}
    if re.search(r"\s+not null$", text, re.I):
        info["nullable"] = False
        text = re.sub(r"\s+not null$", "", text, flags=re.I)
    info["type"] = text
    return info


def _index(value) -> dict:
    if isinstance(value, dict):
        return dict(value)
    return {"columns": as_list(value)}


def _functions(value) -> list[dict]:
    out = []
    for item in as_list(value):
        out.append(dict(item) if isinstance(item, dict) else {"arguments": str(item)})
    return out


TABLE_KEYS = (
    "columns",
    "indexes",
    "constraints",
    "foreign_keys",
    "partition_key",
    "partitions",
    "partition_count",
    "partition_bounds_digest",
    "grants",
    "comment",
    "options",
    "unlogged",
    "row_security",
    "inherits",
    "replica_identity",
    "access_method",
)
PARTITION_KEYS = (
    "bounds",
    "indexes",
    "constraints",
    "foreign_keys",
    "partition_key",
    "partitions",
    "partition_count",
    "partition_bounds_digest",
    "columns",
    "options",
    "unlogged",
    "replica_identity",
    "access_method",
)
SCHEMA_SECTIONS = (
    "tables",
    "views",
    "functions",
    "triggers",
    "sequences",
    "domains",
    "enums",
    "types",
    "collations",
    "rules",
    "policies",
    "statistics",
)
SCHEMA_KEYS = (*SCHEMA_SECTIONS, "grants", "default_privileges", "comment")

FORMAT = 2
"""The format the dump writes (``format: 2``). In a file of this format a property that is off by default
and that the dump writes only when set (``deferrable``, ``security: definer``, a column's ``collation``,
...) means its default when left out, so that setting it later is reported; in files without ``format``
(written before these properties existed) whatever is left out is not checked."""

WRITTEN_WITH = ("function_bodies", "privileges", "comments")
"""The options of the dump a file of FORMAT 2 names under ``written_with``: with ``comments``, an object
without a ``comment`` has none; with ``privileges``, one without ``grants`` has none."""

# What a left-out property means in a file of FORMAT 2, per kind of entry.
IMPLIED: dict[str, dict[str, Any]] = {
    "column": {
        "default": None,
        "identity": None,
        "generated": None,
        "collation": None,
        "virtual": False,
        "storage": None,
        "compression": None,
        "statistics": None,
    },
    "index": {
        "primary": False,
        "include": [],
        "where": None,
        "nulls_not_distinct": False,
        "operator_classes": [],
        "options": [],
        "clustered": False,
    },
    "constraint": {"deferrable": False, "initially_deferred": False, "nulls_not_distinct": False},
    "foreign_key": {"validated": True, "deferrable": False, "initially_deferred": False, "match": "simple"},
    "table": {
        "options": [],
        "unlogged": False,
        "row_security": False,
        "inherits": [],
        "replica_identity": None,
        "access_method": None,
    },
    "view": {"materialized": False, "options": []},
    "trigger": {
        "when": None,
        "referencing": None,
        "constraint": False,
        "deferrable": False,
        "initially_deferred": False,
    },
    "sequence": {"cache": 1, "owned_by": None},
    "domain": {"default": None, "collation": None},
    "function": {
        "kind": "function",
        "volatility": "volatile",
        "security": "invoker",
        "strict": False,
        "leakproof": False,
        "parallel": "unsafe",
        "config": [],
    },
}


def _mapping(value, where: str, source: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigurationError(f"{source}: {where} must be a mapping, found {type(value).__name__}")
    return value


def _known(value: dict, allowed: tuple[str, ...], where: str, source: str) -> None:
    unknown = sorted(str(k) for k in set(value) - set(allowed))
    if unknown:
        raise ConfigurationError(f"{source}: {where} has unknown keys {unknown}; allowed: {', '.join(allowed)}")


def _grants(value, where: str, source: str) -> dict[str, list[str]]:
    return {str(role): [str(p) for p in as_list(privs)] for role, privs in _mapping(value, where, source).items()}


def _objects(body: dict, allowed: tuple[str, ...], where: str, source: str) -> dict:
    """The parts a table and a partition share: indexes, constraints, foreign keys, nested partitions."""
    out: dict[str, Any] = {
        "indexes": {str(k): _index(v) for k, v in _mapping(body.get("indexes"), f"{where} indexes", source).items()},
        "constraints": {
            str(k): dict(v or {}) for k, v in _mapping(body.get("constraints"), f"{where} constraints", source).items()
        },
        "foreign_keys": {
            str(k): dict(v or {})
            for k, v in _mapping(body.get("foreign_keys"), f"{where} foreign_keys", source).items()
        },
        "_sections": {k for k in allowed if k in body},
    }
    if "partitions" in body:
        out["partitions"] = {
            str(k): _partition(v, f"partition {k} of {where}", source)
            for k, v in _mapping(body.get("partitions"), f"{where} partitions", source).items()
        }
    for key in ("partition_key", "partition_count", "partition_bounds_digest"):
        if key in body:
            out[key] = body[key]
    return out


PARTITION_PROPERTIES = ("options", "unlogged", "replica_identity", "access_method")
"""What a partition can set differently from its partitioned table, besides its columns' defaults and NOT NULL."""

# The column properties a partition can hold apart from its partitioned table's
PARTITION_COLUMN_KEYS = ("nullable", "default")


def _partition(value, where: str, source: str) -> dict:
    if not isinstance(value, dict):
        value = {"bounds": value} if value is not None else {}
    _known(value, PARTITION_KEYS, where, source)
    out = _objects(value, PARTITION_KEYS, where, source)
    for key in ("bounds", *PARTITION_PROPERTIES):
        if key in value:
            out[key] = value[key]
    if "columns" in value:
        out["columns"] = {str(k): parse_column(v) for k, v in _mapping(value["columns"], where, source).items()}
    return out


def _table(value, where: str = "table", source: str = "expected schema") -> dict:
    value = _mapping(value, where, source)
    _known(value, TABLE_KEYS, where, source)
    out = _objects(value, TABLE_KEYS, where, source)
    out["columns"] = {str(k): parse_column(v) for k, v in _mapping(value.get("columns"), where, source).items()}
    if "grants" in value:
        out["grants"] = _grants(value["grants"], f"{where} grants", source)
    for key in ("comment", "options", "unlogged", "row_security", "inherits", "replica_identity", "access_method"):
        if key in value:
            out[key] = value[key]
    return out


def _view(value, where: str, source: str) -> dict:
    out = dict(_mapping(value, where, source))
    if "indexes" in out:
        out["indexes"] = {str(k): _index(v) for k, v in _mapping(out["indexes"], f"{where} indexes", source).items()}
    if "grants" in out:
        out["grants"] = _grants(out["grants"], f"{where} grants", source)
    return out


def _domain(value, where: str, source: str) -> dict:
    out = dict(_mapping(value, where, source))
    if "checks" in out:
        checks = out["checks"]
        if isinstance(checks, dict):
            out["checks"] = {str(k): str(v) for k, v in checks.items()}
        else:
            raise ConfigurationError(f"{source}: {where} checks must map each CHECK's name to its expression")
    return out


def _enum(value) -> dict:
    return dict(value) if isinstance(value, dict) else {"labels": [str(v) for v in as_list(value)]}


def _imply(entry: dict, kind: str, extra: dict | None = None) -> dict:
    for key, value in {**IMPLIED.get(kind, {}), **(extra or {})}.items():
        entry.setdefault(key, value)
    return entry


def _returns_set(returns) -> bool:
    return bool(re.match(r"\s*(setof|table)\b", str(returns), re.I))


def _imply_objects(entry: dict, extra: dict) -> None:
    """The implied defaults of a table's or partition's indexes, constraints and foreign keys (FORMAT 2):
    the dump lists all of them, so each of the three sections is checked even when it is left out."""
    entry["_sections"] |= {"indexes", "constraints", "foreign_keys"}
    if "partition_count" in entry:  # the dump listed every partition that has objects of its own
        entry["_partitions_complete"] = True
    for index in entry["indexes"].values():
        _imply(index, "index", extra)
    for constraint in entry["constraints"].values():
        _imply(constraint, "constraint", extra)
    for key in entry["foreign_keys"].values():
        _imply(key, "foreign_key", extra)
    for part in (entry.get("partitions") or {}).values():
        for key in PARTITION_PROPERTIES:
            part.setdefault(key, IMPLIED["table"][key])
        part.setdefault("columns", {})  # a column left out is as on the partitioned table
        _imply_objects(part, extra)


def _imply_schema(body: dict, written_with: set[str]) -> None:
    """Fill in what a left-out property means in a file of FORMAT 2 (see :data:`IMPLIED`, :data:`WRITTEN_WITH`)."""
    comment = {"comment": None} if "comments" in written_with else {}
    grants: dict[str, Any] = {"grants": {}} if "privileges" in written_with else {}
    both = {**comment, **grants}
    _imply(body, "", both)
    if "privileges" in written_with:
        body.setdefault("default_privileges", {})
    for table in body["tables"].values():
        _imply(table, "table", both)
        for column in table["columns"].values():
            if "grants" in table:  # written with privileges: a column without grants has none
                column.setdefault("grants", {})
            _imply(column, "column", both)
        _imply_objects(table, comment)
    for view in body["views"].values():
        _imply(view, "view", both)
        if comment and isinstance(view.get("columns"), dict):
            view["columns"] = {k: _imply(parse_column(v), "", comment) for k, v in view["columns"].items()}
        for index in (view.get("indexes") or {}).values():
            _imply(index, "index", comment)
    for signatures in body["functions"].values():
        for sig in signatures:
            _imply(sig, "function", both)
            if "arguments" in sig:
                sig.setdefault("arguments_with_defaults", sig["arguments"])
            if "language" in sig:  # the estimates Postgres gives a function that declares none
                sig.setdefault("cost", 1 if str(sig["language"]).lower() in ("c", "internal") else 100)
            if "returns" in sig:
                sig.setdefault("rows", 1000 if _returns_set(sig["returns"]) else 0)
    for section, kind, keys in (
        ("triggers", "trigger", comment),
        ("sequences", "sequence", both),
        ("domains", "domain", both),
        ("enums", "", both),
        ("types", "", both),
        ("collations", "", comment),
        ("statistics", "", comment),
        ("rules", "", comment),
        ("policies", "", comment),
    ):
        for item in body[section].values():
            _imply(item, kind, keys)


def _on_table(value, kind: str, where: str, source: str) -> dict[str, dict]:
    """Triggers, rules or policies keyed ``name on table`` (or by name, with a ``table`` property)."""
    out = {}
    for key, body in _mapping(value, where, source).items():
        body = dict(_mapping(body, f"{kind} {key}", source))
        name, _, table = str(key).partition(" on ")
        table = table.strip() or str(body.pop("table", "") or "")
        body.pop("table", None)
        if not table:
            raise ConfigurationError(
                f"{source}: {kind} {key!r} names no table; write it as '{key} on TABLE' or give 'table: TABLE'"
            )
        out[f"{name.strip()} on {table}"] = body
    return out


def _composite(value, where: str, source: str) -> dict:
    """A composite type: ``{attributes: {name: type}}``, or the attributes alone; or a range type:
    ``{range: {subtype: numeric}}``."""
    body = dict(_mapping(value, where, source))
    if "range" in body:
        body["range"] = dict(_mapping(body["range"], f"{where} range", source))
        if "grants" in body:
            body["grants"] = _grants(body["grants"], f"{where} grants", source)
        return body
    if "attributes" not in body and not set(body) & {"grants", "comment"}:
        body = {"attributes": body}
    body["attributes"] = {str(k): str(v) for k, v in _mapping(body.get("attributes"), where, source).items()}
    if "grants" in body:
        body["grants"] = _grants(body["grants"], f"{where} grants", source)
    return body


def _schema(name: str, body: dict, source: str, implied: bool = False, written_with: set[str] | None = None) -> dict:
    _known(body, SCHEMA_KEYS, f"schema {name!r}", source)
    tables = body.get("tables") or {}
    if isinstance(tables, list):
        tables = {t: {} for t in tables}
    views = body.get("views") or {}
    if isinstance(views, list):
        views = {v: {} for v in views}
    out = {
        "tables": {str(t): _table(v, f"table {name}.{t}", source) for t, v in _mapping(tables, name, source).items()},
        "views": {str(v): _view(b, f"view {name}.{v}", source) for v, b in _mapping(views, name, source).items()},
        "functions": {
            str(f): _functions(b) for f, b in _mapping(body.get("functions"), f"{name} functions", source).items()
        },
        "triggers": _on_table(body.get("triggers"), "trigger", f"{name} triggers", source),
        "sequences": {
            str(k): dict(_mapping(v, f"sequence {name}.{k}", source))
            for k, v in _mapping(body.get("sequences"), f"{name} sequences", source).items()
        },
        "domains": {
            str(k): _domain(v, f"domain {name}.{k}", source)
            for k, v in _mapping(body.get("domains"), f"{name} domains", source).items()
        },
        "enums": {str(k): _enum(v) for k, v in _mapping(body.get("enums"), f"{name} enums", source).items()},
        "types": {
            str(k): _composite(v, f"type {name}.{k}", source)
            for k, v in _mapping(body.get("types"), f"{name} types", source).items()
        },
        "collations": {
            str(k): dict(_mapping(v, f"collation {name}.{k}", source))
            for k, v in _mapping(body.get("collations"), f"{name} collations", source).items()
        },
        "rules": _on_table(body.get("rules"), "rule", f"{name} rules", source),
        "policies": _on_table(body.get("policies"), "policy", f"{name} policies", source),
        "statistics": {
            str(k): dict(_mapping(v, f"statistics {name}.{k}", source))
            for k, v in _mapping(body.get("statistics"), f"{name} statistics", source).items()
        },
        "_sections": {k for k in SCHEMA_SECTIONS if k in body},
    }
    if "grants" in body:
        out["grants"] = _grants(body["grants"], f"schema {name} grants", source)
    if "default_privileges" in body:
        out["default_privileges"] = {
            str(kind): _grants(grants, f"schema {name} default_privileges {kind}", source)
            for kind, grants in _mapping(
                body["default_privileges"], f"schema {name} default_privileges", source
            ).items()
        }
    if "comment" in body:
        out["comment"] = body["comment"]
    if implied:
        _imply_schema(out, written_with or set())
    return out


def empty_schema(sections=()) -> dict:
    """A parsed schema entry that lists nothing; ``sections`` are compared in full (so every object is unexpected)."""
    return {**{k: {} for k in SCHEMA_SECTIONS}, "_sections": set(sections)}


def parse_expected(data: dict, source: str = "expected schema") -> dict:
    """Validate and expand the YAML structure into the shape :func:`diff` takes.

    Files written before a section existed load as they are: a section the
    file leaves out is not checked. In a file of ``format: 2`` the properties
    of :data:`IMPLIED` that are left out take their defaults.
    """
    if not isinstance(data, dict):
        raise ConfigurationError(f"{source}: expected a mapping with 'schemas', found {type(data).__name__}")
    unknown = set(data) - {"format", "written_with", "extensions", "schemas", "ignore", "description"}
    if unknown:
        raise ConfigurationError(
            f"{source}: unknown top-level keys {sorted(unknown)}; allowed: format, written_with, extensions, "
            "schemas, ignore, description"
        )
    written_with = {str(option) for option in as_list(data.get("written_with"))}
    if written_with - set(WRITTEN_WITH):
        raise ConfigurationError(
            f"{source}: written_with has unknown options {sorted(written_with - set(WRITTEN_WITH))}; "
            f"allowed: {', '.join(WRITTEN_WITH)}"
        )
    version = data.get("format", 1)
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= FORMAT:
        raise ConfigurationError(
            f"{source}: format {version!r} is not one this version reads (1 to {FORMAT}); "
            "write the file again with 'crosscheck schema-dump'"
        )
    extensions = data.get("extensions")
    if isinstance(extensions, dict):
        extensions = {str(k): dict(v or {}) for k, v in extensions.items()}
    else:
        extensions = {str(name): {} for name in as_list(extensions)}
    schemas = {}
    for name, body in (data.get("schemas") or {}).items():
        body = body or {}
        if not isinstance(body, dict):
            raise ConfigurationError(f"{source}: schema {name!r} must be a mapping of {', '.join(SCHEMA_SECTIONS)}")
        schemas[str(name)] = _schema(str(name), body, source, implied=version >= 2, written_with=written_with)
    return {
        "extensions": extensions,
        "schemas": schemas,
        "ignore": [str(p) for p in as_list(data.get("ignore"))],
        "_has_extensions": "extensions" in data,
    }


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: 10x faster


_CACHE: dict[tuple, dict] = {}


def load_expected(path: str | Path) -> dict:
    """Read and parse an expected-schema file: YAML, or JSON when it ends in ``.json``.

    Parsed files are kept per (path, size, modification time), so a suite that
    checks several times reads each file once. JSON parses about 50 times
    faster than YAML: worth it for schemas of thousands of columns.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise ConfigurationError(
            f"Expected-schema file {path} does not exist; "
            "write one from a live database with 'crosscheck schema-dump -o FILE'"
        ) from None
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _CACHE:
        text = path.read_text(encoding="utf-8")
        try:
            if path.suffix.lower() == ".json":
                data = json.loads(text)
            else:
                data = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
        except (yaml.YAMLError, json.JSONDecodeError) as err:
            kind = "JSON" if path.suffix.lower() == ".json" else "YAML"
            raise ConfigurationError(f"Expected-schema file {path} is not valid {kind}: {err}") from None
        _CACHE.clear()  # keep one file: parsed files can be large
        _CACHE[key] = parse_expected(data or {}, str(path))
    return dict(_CACHE[key])  # top level copied: callers may narrow 'schemas'; nested parts are shared


def ignored(name: str, patterns: list[str]) -> bool:
    """Whether ``name`` (``schema.table``, ...) is left out of the check: a ``cc_`` scratch object of a
    test run, or a match of one of the file's ``ignore`` glob patterns."""
    last = name.rsplit(".", 1)[-1]
    if last.startswith("cc_"):
        return True
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


# --- writing the file -------------------------------------------------------------------


PARTITION_LIST_LIMIT = 100
"""A partitioned table with more partitions than this is written with ``partition_count``,
``partition_bounds_digest`` (:func:`partition_bounds_digest`) and only the partitions that carry objects of
their own (indexes, constraints, foreign keys, partitions)."""


def partition_bounds_digest(partitions: dict) -> str:
    """A fingerprint of every partition's name and bounds (``{name: {"bounds": ...}}``), in name order:
    ``sha256:`` and 16 hex digits; any partition renamed or bounded otherwise changes it."""
    lines = "\n".join(
        f"{name} {_SPACES.sub(' ', str(part.get('bounds')).strip())}" for name, part in sorted(partitions.items())
    )
    return "sha256:" + hashlib.sha256(lines.encode("utf-8")).hexdigest()[:16]


def _index_entry(i: dict, comments: bool = False) -> dict:
    item = {"columns": i["columns"], "unique": i["unique"], "method": i["method"]}
    for key in ("primary", "include", "where", "nulls_not_distinct", "operator_classes", "options", "clustered"):
        if i.get(key):
            item[key] = i[key]
    if comments and i.get("comment") is not None:
        item["comment"] = i["comment"]
    return item


def _foreign_key_entry(fk: dict, comments: bool = False) -> dict:
    return {
        k: v for k, v in fk.items() if not (k == "validated" and v) and (comments or k != "comment") and v is not None
    }


def _constraint_entry(constraint: dict, comments: bool = False) -> dict:
    return {k: v for k, v in constraint.items() if comments or k != "comment"}


def _own_objects(info: dict, entry: dict, keep_empty: bool, comments: bool = False) -> None:
    entry["indexes"] = {k: _index_entry(v, comments) for k, v in sorted(info.get("indexes", {}).items())}
    entry["constraints"] = {k: _constraint_entry(v, comments) for k, v in sorted(info.get("constraints", {}).items())}
    entry["foreign_keys"] = {
        k: _foreign_key_entry(v, comments) for k, v in sorted(info.get("foreign_keys", {}).items())
    }
    for key in ("indexes", "constraints", "foreign_keys"):
        if not entry[key] and (key != "indexes" or not keep_empty):
            del entry[key]


def _partitioning(info: dict, entry: dict, comments: bool = False) -> None:
    """``partition_key`` and ``partitions`` (or ``partition_count`` and the partitions with objects of their own)."""
    if not info.get("partition_key"):
        return
    entry["partition_key"] = info["partition_key"]
    partitions = {}
    for name, part in sorted(info.get("partitions", {}).items()):
        item: dict[str, Any] = {"bounds": part.get("bounds")}
        columns = {
            col: {k: c.get(k) for k in PARTITION_COLUMN_KEYS}
            for col, c in part.get("columns", {}).items()
            if any(c.get(k) != info.get("columns", {}).get(col, {}).get(k) for k in PARTITION_COLUMN_KEYS)
        }
        if columns:
            item["columns"] = columns
        for key in PARTITION_PROPERTIES:
            if part.get(key):
                item[key] = part[key]
        _own_objects(part, item, keep_empty=False, comments=comments)
        _partitioning(part, item, comments)
        partitions[name] = item
    if len(partitions) > PARTITION_LIST_LIMIT:
        entry["partition_count"] = len(partitions)
        entry["partition_bounds_digest"] = partition_bounds_digest(partitions)
        partitions = {k: v for k, v in partitions.items() if len(v) > 1}
        if partitions:
            entry["partitions"] = partitions
    else:
        entry["partitions"] = partitions


def to_expected(
    actual: dict,
    description: str = "",
    function_bodies: bool = False,
    privileges: bool = False,
    comments: bool = False,
) -> dict:
    """Turn :func:`catalog.read_schema` output into the expected-file structure.

    Always written: tables (with partition keys and partitions), views (their
    definition digests; a materialized view's indexes), functions, triggers,
    sequences, domains, enum and composite types, collations, rules and
    row-level security policies. On request: ``function_bodies`` (a digest of
    each function's body), ``privileges`` (``grants`` per role of schemas,
    tables, columns, views, sequences, functions and types) and ``comments``.
    The file is of :data:`FORMAT`: what is off by default is written only when set.
    """
    out: dict[str, Any] = {"format": FORMAT}
    options = [
        name
        for name, on in (("function_bodies", function_bodies), ("privileges", privileges), ("comments", comments))
        if on
    ]
    if options:
        out["written_with"] = options
    if description:
        out["description"] = description
    out["extensions"] = sorted(actual["extensions"])
    schemas: dict[str, Any] = {}

    def extras(info: dict, item: dict) -> dict:
        if privileges and "grants" in info:
            item["grants"] = info["grants"]
        if comments and info.get("comment") is not None:
            item["comment"] = info["comment"]
        return item

    for name, live in actual["schemas"].items():
        if not live.get("exists", True):
            continue
        body: dict[str, Any] = {}
        extras(live, body)
        if privileges and live.get("default_privileges"):
            body["default_privileges"] = live["default_privileges"]
        tables = {}
        for table, info in sorted(live["tables"].items()):
            if ignored(table, []):
                continue
            entry: dict[str, Any] = {"columns": {}}
            for col, c in info["columns"].items():
                item: dict[str, Any] = {"type": c["type"], "nullable": c["nullable"]}
                for key in (
                    "default",
                    "identity",
                    "generated",
                    "virtual",
                    "collation",
                    "storage",
                    "compression",
                    "statistics",
                ):
                    if c.get(key) is not None:
                        item[key] = c[key]
                if comments and c.get("comment") is not None:
                    item["comment"] = c["comment"]
                if privileges and c.get("grants"):
                    item["grants"] = c["grants"]
                entry["columns"][col] = item
            _own_objects(info, entry, keep_empty=True, comments=comments)
            _partitioning(info, entry, comments)
            for key in ("unlogged", "options", "row_security", "inherits", "replica_identity", "access_method"):
                if info.get(key):
                    entry[key] = info[key]
            tables[table] = extras(info, entry)
        body["tables"] = tables
        views = {}
        for view, info in sorted(live["views"].items()):
            if ignored(view, []):
                continue
            item = {
                "columns": {
                    c: {"type": v["type"], "comment": v["comment"]}
                    if comments and v.get("comment") is not None
                    else v["type"]
                    for c, v in info["columns"].items()
                }
            }
            if info["materialized"]:
                item["materialized"] = True
            if info.get("definition_digest"):
                item["definition_digest"] = info["definition_digest"]
            if info.get("options"):
                item["options"] = info["options"]
            if info["materialized"]:
                if "indexes" in info:
                    item["indexes"] = {k: _index_entry(v, comments) for k, v in sorted(info["indexes"].items())}
            views[view] = extras(info, item)
        if views:
            body["views"] = views
        functions = {}
        for fn, sigs in sorted(live["functions"].items()):
            if ignored(fn, []):
                continue
            items = []
            for sig in sigs:
                if sig.get("constructor"):  # made with its range type, which the file lists
                    continue
                item = {"arguments": sig["arguments"], "returns": sig["returns"]}
                if sig["kind"] != "function":
                    item["kind"] = sig["kind"]
                if sig.get("language"):
                    item["language"] = sig["language"]
                if sig.get("arguments_with_defaults", sig["arguments"]) != sig["arguments"]:
                    item["arguments_with_defaults"] = sig["arguments_with_defaults"]
                for key, default in IMPLIED["function"].items():
                    if key in sig and sig[key] != default and key != "kind":
                        item[key] = sig[key]
                if sig.get("cost", 100) != (1 if sig.get("language") in ("c", "internal") else 100):
                    item["cost"] = sig["cost"]
                if sig.get("rows", 0) != (1000 if _returns_set(sig["returns"]) else 0):
                    item["rows"] = sig["rows"]
                if function_bodies and sig.get("body_digest"):
                    item["body_digest"] = sig["body_digest"]
                items.append(extras(sig, item))
            if items:
                functions[fn] = items
        body["functions"] = functions
        body["triggers"] = {
            key: {k: v for k, v in t.items() if k not in ("table", "name") and (comments or k != "comment")}
            for key, t in sorted(live.get("triggers", {}).items())
            if not ignored(t["name"], [])
        }
        sequences = {}
        for seq, info in sorted(live.get("sequences", {}).items()):
            if ignored(seq, []):
                continue
            item = {k: info[k] for k in ("type", "increment", "min", "max", "start", "cycle")}
            if info.get("cache", 1) != 1:
                item["cache"] = info["cache"]
            if info.get("owned_by"):
                item["owned_by"] = info["owned_by"]
            sequences[seq] = extras(info, item)
        body["sequences"] = sequences
        domains = {}
        for domain, info in sorted(live.get("domains", {}).items()):
            item = {"type": info["type"], "not_null": info["not_null"]}
            for key in ("default", "collation"):
                if info.get(key) is not None:
                    item[key] = info[key]
            item["checks"] = dict(sorted(info["checks"].items()))
            domains[domain] = extras(info, item)
        body["domains"] = domains
        enums: dict[str, Any] = {}
        for enum, info in sorted(live.get("enums", {}).items()):
            enums[enum] = (
                extras(info, {"labels": info["labels"]})
                if (comments and info.get("comment")) or privileges
                else info["labels"]
            )
        body["enums"] = enums
        body["types"] = {
            name_: extras(
                info, {"range": dict(info["range"])} if "range" in info else {"attributes": dict(info["attributes"])}
            )
            for name_, info in sorted(live.get("types", {}).items())
        }
        body["statistics"] = {
            name_: extras(info, {k: v for k, v in info.items() if k != "comment"})
            for name_, info in sorted(live.get("statistics", {}).items())
        }
        body["collations"] = {
            name_: extras(info, {k: v for k, v in info.items() if k != "comment"})
            for name_, info in sorted(live.get("collations", {}).items())
        }
        for section in ("rules", "policies"):
            body[section] = {
                key: extras(item, {k: v for k, v in item.items() if k not in ("table", "name", "comment")})
                for key, item in sorted(live.get(section, {}).items())
            }
        schemas[name] = body
    out["schemas"] = schemas
    return out


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    pass


def _represent_dict(dumper, data):
    # leaf mappings (a column, an index) on one line; structure mappings in block style
    flow = (
        all(not isinstance(v, dict) or not v for v in data.values())
        and len(data) <= 8
        and any(
            k in data
            for k in ("type", "columns", "arguments", "references", "bounds", "timing", "event", "command", "provider")
        )
    )
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)


def _represent_list(dumper, data):
    flow = all(not isinstance(v, (dict, list)) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(list, _represent_list)


def dump_yaml(data: dict, header: str = "") -> str:
    """The expected-schema file text: block style for structure, one line per column or index."""
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, width=4096, allow_unicode=True)
    if header:
        text = "".join(f"# {line}\n" for line in header.splitlines()) + text
    return text


def only_schemas(expected: dict, schemas: str | list[str] | None) -> dict:
    """``expected`` narrowed to ``schemas`` (a list, or comma separated); a schema the file does not
    list is still checked for existence. No ``schemas``: ``expected`` as it is."""
    if not schemas:
        return expected
    names = split_list(schemas)
    narrowed = dict(expected)
    narrowed["schemas"] = {k: v for k, v in expected["schemas"].items() if k in names}
    for name in names:
        narrowed["schemas"].setdefault(name, empty_schema())
    return narrowed
