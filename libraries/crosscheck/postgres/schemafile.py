"""The expected-schema file: type normalisation, parsing (YAML or JSON), writing YAML.

The diff of a parsed file against the live catalog is :mod:`crosscheck.postgres.diff`;
reading the catalog is :mod:`crosscheck.postgres.catalog`. Nothing here imports Robot
Framework.

File format (every section optional; see docs/postgres.md)::

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
        views:
          active_universes: {columns: {name: text}}
        functions:
          get_etf_universe: [{arguments: p_name text, returns: jsonb}]

A property left out is not checked (``universe_category: varchar(50)`` checks
the type and not nullability). Objects are compared by name in every schema
the file lists; objects the file does not list are reported as unexpected,
except those whose name starts with ``cc_`` (scratch objects of test runs,
see :mod:`crosscheck.namespace`) and those matching an ``ignore`` pattern.
"""

from __future__ import annotations

import fnmatch
import functools
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


def _table(value) -> dict:
    value = dict(value or {})
    return {
        "columns": {str(k): parse_column(v) for k, v in (value.get("columns") or {}).items()},
        "indexes": {str(k): _index(v) for k, v in (value.get("indexes") or {}).items()},
        "constraints": {str(k): dict(v) for k, v in (value.get("constraints") or {}).items()},
        "foreign_keys": {str(k): dict(v) for k, v in (value.get("foreign_keys") or {}).items()},
        "_sections": {k for k in ("columns", "indexes", "constraints", "foreign_keys") if k in value},
    }


def parse_expected(data: dict, source: str = "expected schema") -> dict:
    """Validate and expand the YAML structure into the shape :func:`diff` takes."""
    if not isinstance(data, dict):
        raise ConfigurationError(f"{source}: expected a mapping with 'schemas', found {type(data).__name__}")
    unknown = set(data) - {"extensions", "schemas", "ignore", "description"}
    if unknown:
        raise ConfigurationError(
            f"{source}: unknown top-level keys {sorted(unknown)}; allowed: extensions, schemas, ignore, description"
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
            raise ConfigurationError(f"{source}: schema {name!r} must be a mapping of tables/views/functions")
        tables = body.get("tables") or {}
        if isinstance(tables, list):
            tables = {t: {} for t in tables}
        views = body.get("views") or {}
        if isinstance(views, list):
            views = {v: {} for v in views}
        schemas[str(name)] = {
            "tables": {str(t): _table(v) for t, v in tables.items()},
            "views": {str(v): dict(b or {}) for v, b in views.items()},
            "functions": {str(f): _functions(b) for f, b in (body.get("functions") or {}).items()},
            "_sections": {k for k in ("tables", "views", "functions") if k in body},
        }
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


def to_expected(actual: dict, description: str = "") -> dict:
    """Turn :func:`catalog.read_schema` output into the expected-file structure."""
    out: dict[str, Any] = {}
    if description:
        out["description"] = description
    out["extensions"] = sorted(actual["extensions"])
    schemas: dict[str, Any] = {}
    for name, live in actual["schemas"].items():
        if not live.get("exists", True):
            continue
        body: dict[str, Any] = {}
        tables = {}
        for table, info in sorted(live["tables"].items()):
            if ignored(table, []):
                continue
            entry: dict[str, Any] = {"columns": {}}
            for col, c in info["columns"].items():
                item: dict[str, Any] = {"type": c["type"], "nullable": c["nullable"]}
                for key in ("default", "identity", "generated"):
                    if c.get(key) is not None:
                        item[key] = c[key]
                entry["columns"][col] = item
            entry["indexes"] = {}
            for idx, i in sorted(info["indexes"].items()):
                item = {"columns": i["columns"], "unique": i["unique"], "method": i["method"]}
                for key in ("primary", "include", "where"):
                    if i.get(key):
                        item[key] = i[key]
                entry["indexes"][idx] = item
            entry["constraints"] = {k: dict(v) for k, v in sorted(info["constraints"].items())}
            entry["foreign_keys"] = {
                k: {kk: vv for kk, vv in v.items() if not (kk == "validated" and vv)}
                for k, v in sorted(info["foreign_keys"].items())
            }
            for key in ("constraints", "foreign_keys"):
                if not entry[key]:
                    del entry[key]
            tables[table] = entry
        body["tables"] = tables
        views = {}
        for view, info in sorted(live["views"].items()):
            if ignored(view, []):
                continue
            item = {"columns": {c: v["type"] for c, v in info["columns"].items()}}
            if info["materialized"]:
                item["materialized"] = True
            views[view] = item
        if views:
            body["views"] = views
        functions = {}
        for fn, sigs in sorted(live["functions"].items()):
            if ignored(fn, []):
                continue
            items = []
            for s in sigs:
                item = {"arguments": s["arguments"], "returns": s["returns"]}
                if s["kind"] != "function":
                    item["kind"] = s["kind"]
                items.append(item)
            functions[fn] = items
        body["functions"] = functions
        schemas[name] = body
    out["schemas"] = schemas
    return out


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    pass


def _represent_dict(dumper, data):
    # leaf mappings (a column, an index) on one line; structure mappings in block style
    flow = (
        all(not isinstance(v, dict) for v in data.values())
        and len(data) <= 8
        and any(k in data for k in ("type", "columns", "arguments", "references"))
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
        narrowed["schemas"].setdefault(name, {"tables": {}, "views": {}, "functions": {}, "_sections": set()})
    return narrowed
