"""The expected schema as a YAML file, and its diff against the live catalog.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from robot.api import logger
from robot.api.deco import keyword

from crosscheck.assertions import AssertionOperator, check
from crosscheck.errors import ConfigurationError, CrosscheckError

# --- normalisation ------------------------------------------------------------------

# One canonical spelling per type, as format_type() prints it where it can: both sides of a
# comparison go through normalize_type, so any accepted spelling matches any other.
_WORD_ALIASES = {
    "varchar": "character varying", "char": "character", "bpchar": "character",
    "int": "integer", "int4": "integer", "serial": "integer", "serial4": "integer",
    "int8": "bigint", "bigserial": "bigint", "serial8": "bigint",
    "int2": "smallint", "smallserial": "smallint", "serial2": "smallint",
    "bool": "boolean", "float8": "double precision", "float4": "real", "decimal": "numeric",
}
# Array types are named with a leading underscore in pg_type (``_text``, ``_int4``).
_ARRAY_BASES = set(_WORD_ALIASES) | {
    "text", "integer", "bigint", "smallint", "boolean", "numeric", "real", "jsonb", "json", "uuid", "bytea",
    "date", "time", "timetz", "timestamp", "timestamptz", "interval", "inet", "cidr", "macaddr", "oid",
    "name", "money", "bit", "varbit", "xml", "tsvector", "point", "vector", "halfvec", "sparsevec", "float",
}
_UNDERSCORE_ARRAY = re.compile(r'(?<![\w".$])_(' + "|".join(sorted(_ARRAY_BASES, key=len, reverse=True))
                               + r")\b(\(\d+(?:, \d+)*\))?")
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


def _norm_words(text: Any) -> str:
    return _SPACES.sub(" ", str(text).strip().lower())


# --- the expected file --------------------------------------------------------------

def _as_list(value) -> list:
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


def _column(value) -> dict:
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
    return {"columns": _as_list(value)}


def _functions(value) -> list[dict]:
    out = []
    for item in _as_list(value):
        out.append(dict(item) if isinstance(item, dict) else {"arguments": str(item)})
    return out


def _table(value) -> dict:
    value = dict(value or {})
    return {
        "columns": {str(k): _column(v) for k, v in (value.get("columns") or {}).items()},
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
        raise ConfigurationError(f"{source}: unknown top-level keys {sorted(unknown)}; "
                                 "allowed: extensions, schemas, ignore, description")
    extensions = data.get("extensions")
    if isinstance(extensions, dict):
        extensions = {str(k): dict(v or {}) for k, v in extensions.items()}
    else:
        extensions = {str(name): {} for name in _as_list(extensions)}
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
    return {"extensions": extensions, "schemas": schemas, "ignore": [str(p) for p in _as_list(data.get("ignore"))],
            "_has_extensions": "extensions" in data}


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
        raise ConfigurationError(f"Expected-schema file {path} does not exist; "
                                 "write one from a live database with 'crosscheck schema-dump -o FILE'") from None
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


# --- the diff -------------------------------------------------------------------------

@dataclass(frozen=True)
class Difference:
    """One finding: ``problem`` is ``missing``, ``unexpected`` or ``different``."""

    problem: str
    kind: str
    name: str
    detail: str = ""

    def __str__(self) -> str:
        text = f"{self.problem:<10} {self.kind} {self.name}"
        return f"{text}: {self.detail}" if self.detail else text


def _ignored(name: str, patterns: list[str]) -> bool:
    last = name.rsplit(".", 1)[-1]
    if last.startswith("cc_"):
        return True
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def _fmt(value) -> str:
    if isinstance(value, list):
        return "(" + ", ".join(str(v) for v in value) + ")"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _compare(props: dict, expected: dict, actual: dict, normalizers: dict) -> list[str]:
    out = []
    for key in props:
        if key not in expected:
            continue
        norm = normalizers.get(key, lambda v: v)
        want, got = expected[key], actual.get(key)
        same = types_match(want, got) if norm is normalize_type else norm(want) == norm(got)
        if not same:
            out.append(f"{props[key]} expected {_fmt(want)}, found {_fmt(got)}")
    return out


_COLUMN_PROPS = {"type": "type", "nullable": "nullable", "default": "default", "identity": "identity",
                 "generated": "generated"}
_COLUMN_NORM = {"type": normalize_type, "default": normalize_default, "generated": normalize_default,
                "nullable": bool, "identity": lambda v: _norm_words(v) if v else None}
_INDEX_PROPS = {"columns": "columns", "unique": "unique", "method": "method", "primary": "primary",
                "include": "include columns", "where": "predicate"}
_INDEX_NORM = {"columns": lambda v: [normalize_index_column(c) for c in _as_list(v)],
               "include": lambda v: [str(c) for c in _as_list(v)],
               "method": lambda v: _norm_words(v or "btree"), "unique": bool, "primary": bool,
               "where": normalize_default}
_CONSTRAINT_PROPS = {"type": "type", "columns": "columns", "definition": "definition"}
_CONSTRAINT_NORM = {"type": _norm_words, "columns": lambda v: [str(c) for c in _as_list(v)],
                    "definition": lambda v: _SPACES.sub(" ", str(v).strip())}
_FK_PROPS = {"columns": "columns", "references": "references", "referenced_columns": "referenced columns",
             "on_delete": "on delete", "on_update": "on update", "validated": "validated"}
_FK_NORM = {"columns": lambda v: [str(c) for c in _as_list(v)],
            "referenced_columns": lambda v: [str(c) for c in _as_list(v)],
            "references": lambda v: str(v) if "." in str(v) else f"public.{v}",
            "on_delete": lambda v: _norm_words(v or "no action"), "on_update": lambda v: _norm_words(v or "no action"),
            "validated": bool}


def _diff_named(kind: str, prefix: str, expected: dict, actual: dict, props: dict, norm: dict,
                patterns: list[str], out: list[Difference], describe=None) -> None:
    for name, want in expected.items():
        path = f"{prefix}.{name}"
        got = actual.get(name)
        if got is None:
            detail = describe(want) if describe else ""
            out.append(Difference("missing", kind, path, detail))
            continue
        for message in _compare(props, want, got, norm):
            out.append(Difference("different", kind, path, message))
    for name in actual:
        path = f"{prefix}.{name}"
        if name not in expected and not _ignored(path, patterns):
            out.append(Difference("unexpected", kind, path, describe(actual[name]) if describe else ""))


def _describe_column(info: dict) -> str:
    text = str(info.get("type", ""))
    if info.get("nullable") is False:
        text += " not null"
    return text


def _describe_index(info: dict) -> str:
    return f"on {_fmt(_as_list(info.get('columns')))}" if info.get("columns") else ""


def _signature(sig: dict) -> str:
    text = f"({sig.get('arguments', '...')})"
    if sig.get("returns"):
        text += f" returns {sig['returns']}"
    return text


def _diff_functions(prefix: str, expected: dict, actual: dict, patterns: list[str], out: list[Difference]) -> None:
    for name, wanted in expected.items():
        path = f"{prefix}.{name}"
        present = actual.get(name)
        if not present:
            out.append(Difference("missing", "function", path,
                                  " or ".join(_signature(s) for s in wanted)))
            continue
        unmatched = list(present)
        problems = []
        for want in wanted:
            match = None
            for sig in unmatched:
                if "arguments" in want and normalize_type(want["arguments"]) != normalize_type(sig["arguments"]):
                    continue
                if "argument_types" in want and [normalize_type(t) for t in _as_list(want["argument_types"])] != [
                        normalize_type(t) for t in sig["argument_types"]]:
                    continue
                match = sig
                break
            if match is None:
                problems.append(want)
                continue
            unmatched.remove(match)
            for message in _compare({"returns": "returns", "kind": "kind", "language": "language"}, want, match,
                                     {"returns": normalize_type, "kind": _norm_words, "language": _norm_words}):
                out.append(Difference("different", "function", f"{path}{_signature(match)}", message))
        if problems:
            found = " and ".join(_signature(s) for s in unmatched) or "no other overload"
            for want in problems:
                out.append(Difference("different", "function", path,
                                      f"signature expected {_signature(want)}, found {found}"))
        elif unmatched and len(wanted) and not _ignored(path, patterns):
            for sig in unmatched:
                out.append(Difference("unexpected", "function", f"{path}{_signature(sig)}", "extra overload"))
    for name, sigs in actual.items():
        path = f"{prefix}.{name}"
        if name not in expected and not _ignored(path, patterns):
            out.append(Difference("unexpected", "function", path, " and ".join(_signature(s) for s in sigs)))


def diff(expected: dict, actual: dict, report_unexpected: bool = True) -> list[Difference]:
    """Every difference between a parsed expected schema and :func:`catalog.read_schema` output."""
    out: list[Difference] = []
    patterns = expected.get("ignore", [])
    if expected.get("_has_extensions"):
        _diff_named("extension", "", expected["extensions"], actual["extensions"],
                    {"version": "version", "schema": "schema"}, {"version": str}, patterns, out)
    for schema, want in expected["schemas"].items():
        live = actual["schemas"].get(schema)
        if live is None or not live.get("exists", True):
            out.append(Difference("missing", "schema", schema))
            continue
        sections = want["_sections"]
        if "tables" in sections or want["tables"]:
            _diff_tables(schema, want["tables"], live["tables"], patterns, out)
        if "views" in sections or want["views"]:
            _diff_named("view", schema, want["views"], live["views"], {"materialized": "materialized"},
                        {"materialized": bool}, patterns, out)
            for view, body in want["views"].items():
                if view in live["views"] and "columns" in body:
                    cols = {str(k): _column(v) for k, v in (body["columns"] or {}).items()}
                    _diff_named("column", f"{schema}.{view}", cols, live["views"][view]["columns"],
                                {"type": "type"}, _COLUMN_NORM, patterns, out, _describe_column)
        if "functions" in sections or want["functions"]:
            _diff_functions(schema, want["functions"], live["functions"], patterns, out)
    if not report_unexpected:
        out = [d for d in out if d.problem != "unexpected"]
    for d in out:
        if d.kind == "extension":
            object.__setattr__(d, "name", d.name.lstrip("."))
    order = {"missing": 0, "different": 1, "unexpected": 2}
    return sorted(out, key=lambda d: (d.name.split(".")[0], order[d.problem], d.name))


def _diff_tables(schema: str, expected: dict, actual: dict, patterns: list[str], out: list[Difference]) -> None:
    for table, want in expected.items():
        path = f"{schema}.{table}"
        got = actual.get(table)
        if got is None:
            out.append(Difference("missing", "table", path))
            continue
        if want["columns"] or "columns" in want["_sections"]:
            _diff_named("column", path, want["columns"], got["columns"], _COLUMN_PROPS, _COLUMN_NORM,
                        patterns, out, _describe_column)
        if want["indexes"] or "indexes" in want["_sections"]:
            _diff_named("index", path, want["indexes"], got["indexes"], _INDEX_PROPS, _INDEX_NORM,
                        patterns, out, _describe_index)
        if want["constraints"] or "constraints" in want["_sections"]:
            _diff_named("constraint", path, want["constraints"], got["constraints"], _CONSTRAINT_PROPS,
                        _CONSTRAINT_NORM, patterns, out)
        if want["foreign_keys"] or "foreign_keys" in want["_sections"]:
            _diff_named("foreign key", path, want["foreign_keys"], got["foreign_keys"], _FK_PROPS, _FK_NORM,
                        patterns, out)
    for table in actual:
        path = f"{schema}.{table}"
        if table not in expected and not _ignored(path, patterns):
            out.append(Difference("unexpected", "table", path))


def render(differences: list[Difference]) -> str:
    """One line per difference, in a stable order."""
    return "\n".join(f"  {d}" for d in differences)


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
            if _ignored(table, []):
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
            entry["foreign_keys"] = {k: {kk: vv for kk, vv in v.items() if not (kk == "validated" and vv)}
                                     for k, v in sorted(info["foreign_keys"].items())}
            for key in ("constraints", "foreign_keys"):
                if not entry[key]:
                    del entry[key]
            tables[table] = entry
        body["tables"] = tables
        views = {}
        for view, info in sorted(live["views"].items()):
            if _ignored(view, []):
                continue
            item = {"columns": {c: v["type"] for c, v in info["columns"].items()}}
            if info["materialized"]:
                item["materialized"] = True
            views[view] = item
        if views:
            body["views"] = views
        functions = {}
        for fn, sigs in sorted(live["functions"].items()):
            if _ignored(fn, []):
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


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    pass


def _represent_dict(dumper, data):
    # leaf mappings (a column, an index) on one line; structure mappings in block style
    flow = all(not isinstance(v, dict) for v in data.values()) and len(data) <= 8 and any(
        k in data for k in ("type", "columns", "arguments", "references"))
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


# --- keywords ---------------------------------------------------------------------------

class SchemaKeywords:
    """The expected-schema file and single-object checks against the live catalog."""

    def __init__(self, ctx):
        self.ctx = ctx

    # whole-schema -------------------------------------------------------------------
    def _differences(self, expected_schema, schemas, report_unexpected):
        from crosscheck.postgres import catalog

        expected = load_expected(expected_schema)
        if schemas:
            names = split_list(schemas)
            expected["schemas"] = {k: v for k, v in expected["schemas"].items() if k in names}
            for name in names:
                expected["schemas"].setdefault(name, {"tables": {}, "views": {}, "functions": {},
                                                      "_sections": set()})
        try:
            actual = catalog.read_schema(self.ctx.conn, list(expected["schemas"]))
        except Exception as err:  # psycopg2 errors as one line
            from crosscheck.postgres.connection import db_error
            raise db_error(err, f"reading the catalog of {self.ctx.database}", self.ctx.url) from None
        return diff(expected, actual, report_unexpected)

    @keyword
    def database_schema_should_match(self, expected_schema: str, schemas: str | list[str] | None = None,
                                     report_unexpected: bool = True) -> None:
        """Compare the live database with the expected-schema YAML file in one pass.

        Fails with every difference at once, one line each: ``missing`` (in the
        file, not in the database), ``different`` (property, expected and found
        value) and ``unexpected`` (in the database, not in the file). The
        differences are also logged as a table.

        ``schemas`` limits the check to some of the file's schemas.
        ``report_unexpected=False`` ignores objects the file does not list.
        Objects whose name starts with ``cc_`` (test-run scratch objects) are
        never reported as unexpected. Write a first file with `Write Expected Schema`
        or ``crosscheck schema-dump``.

        | `Database Schema Should Match`    ${CURDIR}/../../resources/schemas/demo.yaml
        | `Database Schema Should Match`    demo.yaml    schemas=public    report_unexpected=False
        """
        differences = self._differences(expected_schema, schemas, report_unexpected)
        if not differences:
            logger.info(f"Database {self.ctx.database} matches {expected_schema}.")
            return
        from crosscheck.reporting import html_table, log_html

        log_html(html_table([(d.problem, d.kind, d.name, d.detail) for d in differences],
                            ["problem", "kind", "object", "detail"],
                            f"{len(differences)} differences from {Path(expected_schema).name}"))
        raise CrosscheckError(
            f"Schema of database {self.ctx.database} differs from {expected_schema} "
            f"({len(differences)} difference{'s' if len(differences) != 1 else ''}):\n{render(differences)}")

    @keyword
    def get_schema_differences(self, expected_schema: str, schemas: str | list[str] | None = None,
                               report_unexpected: bool = True) -> list[str]:
        """The differences `Database Schema Should Match` would report, as a list of lines.

        | ${diff} =    `Get Schema Differences`    demo.yaml
        | Should Contain    ${diff}[0]    missing
        """
        return [str(d) for d in self._differences(expected_schema, schemas, report_unexpected)]

    @keyword
    def write_expected_schema(self, path: str, schemas: str | list[str] | None = None) -> str:
        """Write the expected-schema YAML file of the live database to ``path`` (JSON if it ends in ``.json``).

        ``schemas`` defaults to every user schema except ``cc_*`` scratch
        schemas. Review the file and commit it; it is a starting point, not a
        truth. Returns the path. Same as ``crosscheck schema-dump -o PATH``.
        """
        from crosscheck.postgres import catalog

        out = Path(path)
        text = dump_text(self.ctx.conn, schemas, self.ctx.database, as_json=out.suffix.lower() == ".json")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        logger.info(f"Wrote {out} ({len(catalog.read_extensions(self.ctx.conn))} extensions).")
        return str(out)

    # single objects -----------------------------------------------------------------
    def _table(self, table: str, schema: str | None = None) -> tuple[str, str, dict]:
        from crosscheck.postgres import catalog
        from crosscheck.postgres.connection import split_name

        schema, name = split_name(table, schema)
        tables = catalog.read_tables(self.ctx.conn, [schema])[schema]
        if name not in tables:
            kind = catalog.find_relation(self.ctx.conn, schema, name)
            extra = f" (it is a {kind})" if kind else ""
            raise CrosscheckError(f"Table {schema}.{name} does not exist in database {self.ctx.database}{extra}.")
        return schema, name, tables[name]

    @keyword
    def column_should_exist(self, table: str, column: str, type: str | None = None,
                            nullable: bool | None = None, default: str | None = None) -> None:
        """Fail unless ``table`` has ``column``, with the given type, nullability and default if given.

        ``table`` may be ``schema.table`` (default schema ``public``). Types are
        compared as Postgres names them, with the usual aliases accepted
        (``varchar(50)``, ``timestamptz``, ``int``).

        | `Column Should Exist`    cache_entries    universe_metadata    jsonb
        | `Column Should Exist`    cache_entries    universe_category    varchar(50)    nullable=True
        """
        schema, name, info = self._table(table)
        where = f"{schema}.{name}.{column}"
        got = info["columns"].get(column)
        if got is None:
            raise CrosscheckError(f"Column {where} does not exist; {schema}.{name} has "
                                  f"{', '.join(info['columns']) or 'no columns'}.")
        want = {k: v for k, v in (("type", type), ("nullable", nullable), ("default", default)) if v is not None}
        problems = _compare(_COLUMN_PROPS, want, got, _COLUMN_NORM)
        if problems:
            raise CrosscheckError(f"Column {where}: " + "; ".join(problems) + ".")

    @keyword
    def column_should_not_exist(self, table: str, column: str) -> None:
        """Fail if ``table`` has ``column`` (for instance after a migration that drops it)."""
        schema, name, info = self._table(table)
        if column in info["columns"]:
            raise CrosscheckError(f"Column {schema}.{name}.{column} exists ({info['columns'][column]['type']}) "
                                  "but should not.")

    @keyword
    def get_column_type(self, table: str, column: str, assertion_operator: AssertionOperator | None = None,
                        assertion_expected: Any = None) -> str:
        """The type of ``column`` as Postgres prints it (``character varying(50)``), with an optional assertion.

        With ``==`` and ``!=`` any spelling of a type compares as the same type:
        ``timestamp`` and ``timestamp without time zone``, ``timestamptz``,
        ``varchar(50)`` and ``character varying(50)``, ``int4`` and ``integer``,
        ``decimal(10,2)``, ``_text`` and ``text[]``; a domain compares by its own
        name. Other operators (``contains``, ``matches``) see the type as Postgres
        prints it.

        | ${type} =    `Get Column Type`    cache_entries    universe_category
        | `Get Column Type`    cache_entries    liquidity_filter    ==    jsonb
        | `Get Column Type`    cache_entries    last_universe_update    ==    timestamp
        """
        schema, name, info = self._table(table)
        got = info["columns"].get(column)
        if got is None:
            raise CrosscheckError(f"Column {schema}.{name}.{column} does not exist.")
        actual = got["type"]
        if assertion_operator is not None and assertion_operator.value in ("==", "!=") and isinstance(
                assertion_expected, str):
            same = types_match(assertion_expected, actual)
            if same != (assertion_operator.value == "=="):
                relation = "expected" if assertion_operator.value == "==" else "expected anything but"
                raise CrosscheckError(f"Column {schema}.{name}.{column}: type {relation} {assertion_expected}, "
                                      f"found {actual}.")
            return actual
        return check(actual, assertion_operator, assertion_expected, f"type of column {schema}.{name}.{column}")

    @keyword
    def index_should_exist(self, table: str, index: str, columns: str | list[str] | None = None,
                           unique: bool | None = None, method: str | None = None) -> None:
        """Fail unless ``table`` has ``index``, on ``columns`` in that order, unique and of ``method`` if given.

        Columns read as in ``CREATE INDEX``, as a list or comma separated:
        ``last_universe_update DESC``, ``type, name``.

        | `Index Should Exist`    cache_entries    idx_cache_entries_updated    columns=last_universe_update DESC
        | `Index Should Exist`    documents    documents_pkey    unique=True
        """
        schema, name, info = self._table(table)
        got = info["indexes"].get(index)
        if got is None:
            found = ", ".join(f"{n} {_fmt(i['columns'])}" for n, i in info["indexes"].items()) or "none"
            raise CrosscheckError(f"Index {index} does not exist on {schema}.{name}; its indexes: {found}.")
        want = {"columns": split_list(columns)} if columns else {}
        want.update({k: v for k, v in (("unique", unique), ("method", method)) if v is not None})
        problems = _compare(_INDEX_PROPS, want, got, _INDEX_NORM)
        if problems:
            raise CrosscheckError(f"Index {index} on {schema}.{name}: " + "; ".join(problems) + ".")

    @keyword
    def foreign_key_should_exist(self, table: str, columns: str | list[str], references: str,
                                 referenced_columns: str | list[str] | None = None) -> None:
        """Fail unless a foreign key on ``table`` (``columns``) references ``references``.

        | `Foreign Key Should Exist`    orders    customer_id    public.customers    id
        """
        schema, name, info = self._table(table)
        cols = split_list(columns)
        ref = _FK_NORM["references"](references)
        for fk_name, fk in info["foreign_keys"].items():
            if fk["columns"] == cols and fk["references"] == ref and (
                    not referenced_columns or fk["referenced_columns"] == split_list(referenced_columns)):
                return
        found = "; ".join(f"{n}: {_fmt(f['columns'])} -> {f['references']}{_fmt(f['referenced_columns'])}"
                          for n, f in info["foreign_keys"].items()) or "none"
        raise CrosscheckError(f"No foreign key on {schema}.{name} {_fmt(cols)} references {ref}; "
                              f"its foreign keys: {found}.")

    @keyword
    def get_function_signatures(self, function: str, schema: str = "public") -> list[dict]:
        """Every overload of ``function``: dicts with ``arguments``, ``argument_types``, ``returns``, ``kind``.

        | ${sigs} =    `Get Function Signatures`    get_etf_universe
        | Should Be Equal    ${sigs}[0][returns]    jsonb
        """
        from crosscheck.postgres import catalog
        from crosscheck.postgres.connection import split_name

        schema, name = split_name(function, schema if schema != "public" else None)
        return catalog.read_functions(self.ctx.conn, schema).get(name, [])

    @keyword
    def function_should_exist(self, function: str, arguments: str | None = None, returns: str | None = None,
                              schema: str = "public") -> None:
        """Fail unless ``function`` exists, with this argument list and result type if given.

        ``arguments`` is the argument list as Postgres prints it, names and
        types, no defaults (``p_universe_name text``); ``${EMPTY}`` means no
        arguments. A changed signature fails with the expected and found ones.

        | `Function Should Exist`    get_etf_universe    p_universe_name text    jsonb
        """
        sigs = self.get_function_signatures(function, schema)
        where = function if "." in function else f"{schema}.{function}"
        if not sigs:
            raise CrosscheckError(f"Function {where} does not exist in database {self.ctx.database}.")
        want = {k: v for k, v in (("arguments", arguments), ("returns", returns)) if v is not None}
        for sig in sigs:
            if not _compare({"arguments": "arguments", "returns": "returns"}, want, sig,
                            {"arguments": normalize_type, "returns": normalize_type}):
                return
        found = " and ".join(_signature(s) for s in sigs)
        raise CrosscheckError(f"Function {where} signature changed: expected "
                              f"({arguments if arguments is not None else '...'})"
                              f"{' returns ' + returns if returns else ''}, found {found}.")

    @keyword
    def extension_should_be_installed(self, extension: str, version: str | None = None) -> None:
        """Fail unless ``extension`` is installed (at ``version`` if given).

        | `Extension Should Be Installed`    vector
        """
        from crosscheck.postgres import catalog

        installed = catalog.read_extensions(self.ctx.conn)
        got = installed.get(extension)
        if got is None:
            raise CrosscheckError(f"Extension {extension} is not installed in database {self.ctx.database}; "
                                  f"installed: {', '.join(installed) or 'none'}.")
        if version is not None and str(version) != got["version"]:
            raise CrosscheckError(f"Extension {extension}: version expected {version}, found {got['version']}.")

    @keyword
    def schema_should_exist(self, *schemas: str) -> None:
        """Fail unless every schema named exists; the message lists all missing ones.

        | `Schema Should Exist`    @{EXPECTED_MODEL_SCHEMAS}
        """
        from crosscheck.postgres import catalog

        present = set(catalog.list_schemas(self.ctx.conn))
        missing = [s for s in schemas if s not in present]
        if missing:
            raise CrosscheckError(f"Schemas missing in database {self.ctx.database}: {', '.join(missing)}.")

    @keyword
    def view_should_exist(self, view: str) -> None:
        """Fail unless ``view`` (``schema.view`` or a view in public) exists, plain or materialized."""
        from crosscheck.postgres import catalog
        from crosscheck.postgres.connection import split_name

        schema, name = split_name(view)
        kind = catalog.find_relation(self.ctx.conn, schema, name)
        if kind not in ("view", "materialized view"):
            raise CrosscheckError(f"View {schema}.{name} does not exist in database {self.ctx.database}"
                                  + (f" (it is a {kind})." if kind else "."))


def dump_text(conn, schemas: list[str] | None, database: str, as_json: bool = False) -> str:
    """The expected-schema YAML (or JSON) text of the live database (``schemas`` or all user schemas but ``cc_*``)."""
    from crosscheck.postgres import catalog

    names = split_list(schemas) or [s for s in catalog.list_schemas(conn) if not s.startswith("cc_")]
    data = to_expected(catalog.read_schema(conn, names))
    if as_json:
        return json.dumps(data, indent=1) + "\n"
    header = (f"Expected schema of database {database}, written from the live catalog by crosscheck.\n"
              "Review it: leave out any property you do not want checked. Format: docs/postgres.md")
    return dump_yaml(data, header)
