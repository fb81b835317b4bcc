"""The diff of an expected schema against the live catalog: pure, no Robot Framework.

:func:`diff` compares a parsed expected-schema file (:func:`schemafile.parse_expected`)
with :func:`catalog.read_schema` output and returns every :class:`Difference`
(``missing``, ``different``, ``unexpected``); :func:`changes` says what changed between
two catalog snapshots (a migration step). Both sides go through the normalisers of
:mod:`crosscheck.postgres.schemafile`, so any accepted spelling of a type matches any other.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from crosscheck.postgres.schemafile import (
    PARTITION_COLUMN_KEYS,
    PARTITION_PROPERTIES,
    SCHEMA_SECTIONS,
    as_list,
    empty_schema,
    ignored,
    norm_words,
    normalize_default,
    normalize_index_column,
    normalize_type,
    parse_column,
    parse_expected,
    partition_bounds_digest,
    to_expected,
    types_match,
)

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Difference:
    """One finding: ``problem`` is ``missing``, ``unexpected`` or ``different``."""

    problem: str
    kind: str
    name: str
    detail: str = ""
    schema: str = field(default="", compare=False)  # for the order of the report

    def __str__(self) -> str:
        text = f"{self.problem:<10} {self.kind} {self.name}"
        return f"{text}: {self.detail}" if self.detail else text


def fmt(value) -> str:
    """A value as a message shows it: ``(a, b)``, ``none``, ``true``."""
    if isinstance(value, list):
        return "(" + ", ".join(str(v) for v in value) + ")"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# Properties whose absence means Postgres' default rather than nothing: shown as "default".
_UNSET_IS_DEFAULT = {"collation", "storage", "compression", "statistics", "replica_identity", "access_method"}


def compare(props: dict, expected: dict, actual: dict, normalizers: dict) -> list[str]:
    """``property expected X, found Y`` for each property set in ``expected`` that ``actual`` differs in."""
    out = []
    for key in props:
        if key not in expected:
            continue
        norm = normalizers.get(key, lambda v: v)
        want, got = expected[key], actual.get(key)
        same = types_match(want, got) if norm is normalize_type else norm(want) == norm(got)
        if not same:
            if got is None and isinstance(want, (bool, list)):
                got = False if isinstance(want, bool) else []  # a flag or list the catalog leaves out when unset
            shown = [("default" if v is None and key in _UNSET_IS_DEFAULT else fmt(v)) for v in (want, got)]
            out.append(f"{props[key]} expected {shown[0]}, found {shown[1]}")
    return out


Normalizers = dict[str, Callable[[Any], Any]]


def _words_list(value) -> list[str]:
    return [_SPACES.sub(" ", str(v).strip()) for v in as_list(value)]


def _sorted_words(value) -> list[str]:
    return sorted(_words_list(value))


def _collation(value) -> str | None:
    return str(value).replace('"', "") if value else None


COLUMN_PROPS = {
    "type": "type",
    "nullable": "nullable",
    "default": "default",
    "identity": "identity",
    "generated": "generated",
    "virtual": "virtual",
    "collation": "collation",
    "storage": "storage",
    "compression": "compression",
    "statistics": "statistics target",
    "comment": "comment",
}
COLUMN_NORM: Normalizers = {
    "type": normalize_type,
    "default": normalize_default,
    "generated": normalize_default,
    "nullable": bool,
    "identity": lambda v: norm_words(v) if v else None,
    "virtual": bool,
    "collation": _collation,
    "storage": lambda v: norm_words(v) if v else None,
    "compression": lambda v: norm_words(v) if v else None,
    "statistics": lambda v: None if v is None else int(v),
}
INDEX_PROPS = {
    "columns": "columns",
    "unique": "unique",
    "method": "method",
    "primary": "primary",
    "include": "include columns",
    "where": "predicate",
    "nulls_not_distinct": "nulls not distinct",
    "operator_classes": "operator classes",
    "options": "options",
    "clustered": "clustered",
    "comment": "comment",
}
INDEX_NORM: Normalizers = {
    "columns": lambda v: [normalize_index_column(c) for c in as_list(v)],
    "include": lambda v: [str(c) for c in as_list(v)],
    "method": lambda v: norm_words(v or "btree"),
    "unique": bool,
    "primary": bool,
    "where": normalize_default,
    "nulls_not_distinct": bool,
    "operator_classes": _words_list,
    "options": _sorted_words,
    "clustered": bool,
}
CONSTRAINT_PROPS = {
    "type": "type",
    "columns": "columns",
    "definition": "definition",
    "deferrable": "deferrable",
    "initially_deferred": "initially deferred",
    "nulls_not_distinct": "nulls not distinct",
    "comment": "comment",
}
CONSTRAINT_NORM: Normalizers = {
    "type": norm_words,
    "columns": lambda v: [str(c) for c in as_list(v)],
    "definition": lambda v: _SPACES.sub(" ", str(v).strip()),
    "deferrable": bool,
    "initially_deferred": bool,
    "nulls_not_distinct": bool,
}


def _comment(value) -> str | None:
    return None if value is None else str(value)


COLUMN_NORM["comment"] = _comment
INDEX_NORM["comment"] = _comment
CONSTRAINT_NORM["comment"] = _comment

FK_PROPS = {
    "columns": "columns",
    "references": "references",
    "referenced_columns": "referenced columns",
    "on_delete": "on delete",
    "on_update": "on update",
    "validated": "validated",
    "match": "match",
    "deferrable": "deferrable",
    "initially_deferred": "initially deferred",
    "comment": "comment",
}
FK_NORM: Normalizers = {
    "columns": lambda v: [str(c) for c in as_list(v)],
    "referenced_columns": lambda v: [str(c) for c in as_list(v)],
    "references": lambda v: str(v) if "." in str(v) else f"public.{v}",
    "on_delete": lambda v: norm_words(v or "no action"),
    "on_update": lambda v: norm_words(v or "no action"),
    "validated": bool,
    "match": lambda v: norm_words(v or "simple"),
    "deferrable": bool,
    "initially_deferred": bool,
    "comment": _comment,
}


def _diff_named(
    kind: str,
    prefix: str,
    expected: dict,
    actual: dict,
    props: dict,
    norm: dict,
    patterns: list[str],
    out: list[Difference],
    describe=None,
    note: str = "",
) -> None:
    schema = prefix.split(".")[0]
    suffix = f"; {note}" if note else ""

    def detail(text: str) -> str:
        return f"{text}{suffix}" if text else note

    for name, want in expected.items():
        path = f"{prefix}.{name}"
        got = actual.get(name)
        if got is None:
            out.append(Difference("missing", kind, path, detail(describe(want) if describe else ""), schema))
            continue
        for message in compare(props, want, got, norm):
            out.append(Difference("different", kind, path, detail(message), schema))
        if "grants" in want:
            _diff_grants(kind, path, want["grants"], got.get("grants", {}), out, schema)
    for name in actual:
        path = f"{prefix}.{name}"
        if name not in expected and not ignored(path, patterns):
            text = describe(actual[name]) if describe else ""
            out.append(Difference("unexpected", kind, path, detail(text), schema))


def _privilege(text) -> str:
    return _SPACES.sub(" ", str(text).strip().upper())


def _diff_grants(
    kind: str, path: str, expected: dict, actual: dict, out: list[Difference], schema: str, prefix: str = ""
) -> None:
    """``grant SELECT to app_reader missing`` / ``... unexpected`` for each privilege that differs."""
    want = {(str(role), _privilege(p)) for role, privs in (expected or {}).items() for p in as_list(privs)}
    got = {(str(role), _privilege(p)) for role, privs in (actual or {}).items() for p in as_list(privs)}
    for role, privilege in sorted(want - got):
        out.append(Difference("different", kind, path, f"{prefix}grant {privilege} to {role} missing", schema))
    for role, privilege in sorted(got - want):
        out.append(Difference("different", kind, path, f"{prefix}grant {privilege} to {role} unexpected", schema))


def _describe_column(info: dict) -> str:
    text = str(info.get("type", ""))
    if info.get("nullable") is False:
        text += " not null"
    return text


def _describe_index(info: dict) -> str:
    return f"on {fmt(as_list(info.get('columns')))}" if info.get("columns") else ""


def _describe_foreign_key(info: dict) -> str:
    if not info.get("columns") or not info.get("references"):
        return ""
    target = FK_NORM["references"](info["references"])
    referenced = f" {fmt(as_list(info['referenced_columns']))}" if info.get("referenced_columns") else ""
    return f"{fmt(as_list(info['columns']))} -> {target}{referenced}"


def signature(sig: dict) -> str:
    """``(p_name text) returns jsonb``."""
    text = f"({sig.get('arguments', '...')})"
    if sig.get("returns"):
        text += f" returns {sig['returns']}"
    return text


FUNCTION_PROPS = {
    "returns": "returns",
    "kind": "kind",
    "language": "language",
    "arguments_with_defaults": "arguments with defaults",
    "volatility": "volatility",
    "security": "security",
    "strict": "strict",
    "leakproof": "leakproof",
    "parallel": "parallel",
    "config": "config",
    "cost": "cost",
    "rows": "rows",
    "body_digest": "body digest",
    "comment": "comment",
}
FUNCTION_NORM: Normalizers = {
    "returns": normalize_type,
    "kind": norm_words,
    "language": norm_words,
    "arguments_with_defaults": normalize_type,
    "volatility": lambda v: norm_words(v or "volatile"),
    "security": lambda v: norm_words(v or "invoker").removeprefix("security "),
    "strict": bool,
    "leakproof": bool,
    "parallel": lambda v: norm_words(v or "unsafe").removeprefix("parallel "),
    "config": _sorted_words,
    "cost": lambda v: None if v is None else float(v),
    "rows": lambda v: None if v is None else float(v),
    "body_digest": lambda v: str(v or "").strip().lower(),
    "comment": _comment,
}


def _diff_functions(prefix: str, expected: dict, actual: dict, patterns: list[str], out: list[Difference]) -> None:
    for name, wanted in expected.items():
        path = f"{prefix}.{name}"
        present = actual.get(name)
        if not present:
            out.append(Difference("missing", "function", path, " or ".join(signature(s) for s in wanted)))
            continue
        unmatched = list(present)
        problems = []
        for want in wanted:
            match = None
            for sig in unmatched:
                if "arguments" in want and normalize_type(want["arguments"]) != normalize_type(sig["arguments"]):
                    continue
                if "argument_types" in want and [normalize_type(t) for t in as_list(want["argument_types"])] != [
                    normalize_type(t) for t in sig["argument_types"]
                ]:
                    continue
                match = sig
                break
            if match is None:
                problems.append(want)
                continue
            unmatched.remove(match)
            where = f"{path}{signature(match)}"
            # estimates a catalog snapshot without them (an older one) cannot contradict
            match = {**{k: want[k] for k in ("cost", "rows") if k in want and k not in match}, **match}
            for message in compare(FUNCTION_PROPS, want, match, FUNCTION_NORM):
                out.append(Difference("different", "function", where, message))
            if "grants" in want:
                _diff_grants("function", where, want["grants"], match.get("grants", {}), out, prefix)
        if problems:
            found = " and ".join(signature(s) for s in unmatched) or "no other overload"
            for want in problems:
                out.append(
                    Difference("different", "function", path, f"signature expected {signature(want)}, found {found}")
                )
        elif unmatched and len(wanted) and not ignored(path, patterns):
            for sig in (s for s in unmatched if not s.get("constructor")):
                out.append(Difference("unexpected", "function", f"{path}{signature(sig)}", "extra overload"))
    for name, sigs in actual.items():
        path = f"{prefix}.{name}"
        sigs = [s for s in sigs if not s.get("constructor")]  # a range type's own: the type is reported
        if sigs and name not in expected and not ignored(path, patterns):
            out.append(Difference("unexpected", "function", path, " and ".join(signature(s) for s in sigs)))


def diff(expected: dict, actual: dict, report_unexpected: bool = True) -> list[Difference]:
    """Every difference between a parsed expected schema and :func:`catalog.read_schema` output.

    A section the file leaves out (``triggers``, ``sequences``, ...) is not
    checked, so files written before a section existed still compare as they did.
    """
    out: list[Difference] = []
    patterns = expected.get("ignore", [])
    if expected.get("_has_extensions"):
        _diff_named(
            "extension",
            "",
            expected["extensions"],
            actual["extensions"],
            {"version": "version", "schema": "schema"},
            {"version": str},
            patterns,
            out,
        )
    for schema, want in expected["schemas"].items():
        live = actual["schemas"].get(schema)
        if live is None or not live.get("exists", True):
            out.append(Difference("missing", "schema", schema, "", schema))
            continue
        checked = {section for section in SCHEMA_SECTIONS if section in want["_sections"] or want.get(section)}
        for section, diff_section in _SECTION_DIFFS.items():
            if section in checked:
                diff_section(schema, want[section], live.get(section, {}), patterns, out)
        if "grants" in want:
            _diff_grants("schema", schema, want["grants"], live.get("grants", {}), out, schema)
        if "default_privileges" in want:
            have = live.get("default_privileges", {})
            for kind in sorted(set(want["default_privileges"]) | set(have)):
                _diff_grants(
                    "schema",
                    schema,
                    want["default_privileges"].get(kind, {}),
                    have.get(kind, {}),
                    out,
                    schema,
                    f"default privileges on {kind}: ",
                )
        if "comment" in want and _comment(want["comment"]) != _comment(live.get("comment")):
            detail = f"comment expected {fmt(want['comment'])}, found {fmt(live.get('comment'))}"
            out.append(Difference("different", "schema", schema, detail, schema))
    if not report_unexpected:
        out = [d for d in out if d.problem != "unexpected"]
    for d in out:
        if d.kind == "extension":
            object.__setattr__(d, "name", d.name.lstrip("."))
    order = {"missing": 0, "different": 1, "unexpected": 2}
    return sorted(out, key=lambda d: (d.schema or d.name.split(".")[0], order[d.problem], d.name))


def _diff_views(schema: str, expected: dict, actual: dict, patterns: list[str], out: list[Difference]) -> None:
    _diff_named("view", schema, expected, actual, VIEW_PROPS, VIEW_NORM, patterns, out)
    for view, body in expected.items():
        got = actual.get(view)
        if got is None:
            continue
        if "columns" in body:
            cols = {str(k): parse_column(v) for k, v in (body["columns"] or {}).items()}
            _diff_named(
                "column",
                f"{schema}.{view}",
                cols,
                got["columns"],
                {"type": "type", "comment": "comment"},
                COLUMN_NORM,
                patterns,
                out,
                _describe_column,
            )
        if "indexes" in body:
            _diff_named(
                "index",
                f"{schema}.{view}",
                body["indexes"],
                got.get("indexes", {}),
                INDEX_PROPS,
                INDEX_NORM,
                patterns,
                out,
                _describe_index,
            )


VIEW_PROPS = {
    "materialized": "materialized",
    "definition_digest": "definition digest",
    "options": "options",
    "comment": "comment",
}
VIEW_NORM: Normalizers = {
    "materialized": bool,
    "definition_digest": lambda v: str(v or "").strip().lower(),
    "options": _sorted_words,
    "comment": _comment,
}

SEQUENCE_PROPS = {
    "type": "type",
    "increment": "increment",
    "min": "min",
    "max": "max",
    "start": "start",
    "cache": "cache",
    "cycle": "cycle",
    "owned_by": "owned by",
    "comment": "comment",
}


def _number(value):
    try:
        return int(str(value).strip())
    except ValueError:
        return str(value)


SEQUENCE_NORM: Normalizers = {
    "type": normalize_type,
    "increment": _number,
    "min": _number,
    "max": _number,
    "start": _number,
    "cache": _number,
    "cycle": bool,
    "owned_by": lambda v: str(v) if v else None,
    "comment": _comment,
}

_ENABLED = {"true": True, "enabled": True, "origin": True, "false": False, "disabled": False}


def _enabled(value):
    if isinstance(value, bool):
        return value
    return _ENABLED.get(norm_words(value), norm_words(value))


def _event(text: str) -> str:
    text = norm_words(text)
    if text.startswith("update of "):
        return "update of " + ", ".join(sorted(c.strip() for c in text[len("update of ") :].split(",")))
    return text


def _events(value) -> list[str]:
    """Trigger events in any order: a list, or ``insert or update of a, b`` as ``CREATE TRIGGER`` has them."""
    items = [str(v) for v in as_list(value)]
    if len(items) == 1:
        items = re.split(r"\s+or\s+", items[0], flags=re.I)
    return sorted(_event(e) for e in items)


def _trigger_function(value) -> str:
    text = _SPACES.sub("", str(value))
    return text if "(" in text else f"{text}()"


TRIGGER_PROPS = {
    "timing": "timing",
    "events": "events",
    "level": "level",
    "function": "function",
    "enabled": "enabled",
    "when": "condition",
    "referencing": "referencing",
    "constraint": "constraint trigger",
    "deferrable": "deferrable",
    "initially_deferred": "initially deferred",
    "comment": "comment",
}
TRIGGER_NORM: Normalizers = {
    "timing": norm_words,
    "events": _events,
    "level": lambda v: norm_words(v).removeprefix("for each "),
    "function": _trigger_function,
    "enabled": _enabled,
    "when": lambda v: norm_words(v) if v else None,
    "referencing": lambda v: norm_words(v) if v else None,
    "constraint": bool,
    "deferrable": bool,
    "initially_deferred": bool,
    "comment": _comment,
}


def _describe_trigger(info: dict) -> str:
    parts = [
        " ".join(str(p) for p in (info.get("timing"), " or ".join(as_list(info.get("events")))) if p),
        f"for each {info['level']}" if info.get("level") else "",
        f"executes {info['function']}" if info.get("function") else "",
    ]
    return ", ".join(p for p in parts if p)


def _diff_triggers(schema: str, expected: dict, actual: dict, patterns: list[str], out: list[Difference]) -> None:
    """Triggers keyed ``name on table``; reported as ``trigger name on schema.table``."""
    _diff_on_table("trigger", schema, expected, actual, patterns, out, TRIGGER_PROPS, TRIGGER_NORM, _describe_trigger)


def _diff_on_table(
    kind: str,
    schema: str,
    expected: dict,
    actual: dict,
    patterns: list[str],
    out: list[Difference],
    props: dict,
    norm: Normalizers,
    describe: Callable[[dict], str],
) -> None:
    """Triggers, rules or policies, keyed ``name on table``; reported as ``KIND name on schema.table``."""

    def label(key: str) -> str:
        name, _, table = key.partition(" on ")
        return f"{name} on {table if '.' in table else f'{schema}.{table}'}"

    def bare(key: str) -> str:  # "audit on app.orders" -> "audit on orders" when app is this schema
        name, _, table = key.partition(" on ")
        return f"{name} on {table.removeprefix(f'{schema}.')}"

    wanted = {bare(k): v for k, v in expected.items()}
    for key, want in wanted.items():
        got = actual.get(key)
        if got is None:
            out.append(Difference("missing", kind, label(key), describe(want), schema))
            continue
        if kind == "trigger" and "function" in want and "." not in str(want["function"]).split("(")[0]:
            got = {**got, "function": str(got["function"]).split(".", 1)[-1]}
        for message in compare(props, want, got, norm):
            out.append(Difference("different", kind, label(key), message, schema))
    for key, got in actual.items():
        table = got.get("table", key.partition(" on ")[2])
        if key not in wanted and not ignored(f"{schema}.{table}.{got.get('name', key)}", patterns):
            out.append(Difference("unexpected", kind, label(key), describe(got), schema))


RULE_PROPS = {
    "event": "event",
    "instead": "instead",
    "enabled": "enabled",
    "definition": "definition",
    "comment": "comment",
}
RULE_NORM: Normalizers = {
    "event": norm_words,
    "instead": bool,
    "enabled": _enabled,
    "definition": lambda v: _SPACES.sub(" ", str(v or "").strip()),
    "comment": _comment,
}


def _describe_rule(info: dict) -> str:
    return " ".join(p for p in ("on", str(info.get("event") or ""), "do instead" if info.get("instead") else "") if p)


POLICY_PROPS = {
    "command": "command",
    "permissive": "permissive",
    "roles": "roles",
    "using": "using",
    "with_check": "with check",
    "comment": "comment",
}
POLICY_NORM: Normalizers = {
    "command": lambda v: norm_words(v or "all"),
    "permissive": lambda v: True if v is None else bool(v),
    "roles": lambda v: sorted("PUBLIC" if str(r).lower() == "public" else str(r) for r in as_list(v)) or ["PUBLIC"],
    "using": lambda v: _SPACES.sub(" ", str(v).strip()) if v else None,
    "with_check": lambda v: _SPACES.sub(" ", str(v).strip()) if v else None,
    "comment": _comment,
}


def _describe_policy(info: dict) -> str:
    kind = "permissive" if info.get("permissive", True) else "restrictive"
    return f"{kind}, for {info.get('command', 'all')}, to {fmt(as_list(info.get('roles') or ['PUBLIC']))}"


COLLATION_PROPS = {
    "provider": "provider",
    "locale": "locale",
    "ctype": "ctype",
    "deterministic": "deterministic",
    "comment": "comment",
}
COLLATION_NORM: Normalizers = {
    "provider": norm_words,
    "locale": lambda v: str(v) if v is not None else None,
    "ctype": lambda v: str(v) if v is not None else None,
    "deterministic": bool,
    "comment": _comment,
}


def _describe_type(info: dict) -> str:
    return fmt([f"{k} {v}" for k, v in (info.get("attributes") or {}).items()])


def _describe_range(info: dict) -> str:
    return f"range of {(info.get('range') or {}).get('subtype')}"


def _diff_types(schema: str, expected: dict, actual: dict, patterns: list[str], out: list[Difference]) -> None:
    """Composite types: each attribute by name and type, in order; range types: their subtype and collation."""
    _diff_named(
        "type",
        schema,
        expected,
        actual,
        {"comment": "comment"},
        {"comment": _comment},
        patterns,
        out,
        lambda info: _describe_range(info) if "range" in info else _describe_type(info),
    )
    for name, want in expected.items():
        got = actual.get(name)
        if got is None or "range" not in want:
            continue
        if "range" not in got:
            detail = f"expected a {_describe_range(want)}, found a composite type {_describe_type(got)}"
            out.append(Difference("different", "type", f"{schema}.{name}", detail, schema))
            continue
        for key, label in (("subtype", "range subtype"), ("collation", "range collation")):
            wanted, found = want["range"].get(key), got["range"].get(key)
            same = types_match(wanted, found) if key == "subtype" else _collation(wanted) == _collation(found)
            if not same:
                detail = f"{label} expected {wanted or 'default'}, found {found or 'default'}"
                out.append(Difference("different", "type", f"{schema}.{name}", detail, schema))
    for name, want in expected.items():
        got = actual.get(name)
        if got is None or "attributes" not in want:
            continue
        path = f"{schema}.{name}"
        if "attributes" not in got:
            detail = f"expected a composite type, found a {_describe_range(got)}"
            out.append(Difference("different", "type", path, detail, schema))
            continue
        have = got.get("attributes", {})
        for attribute, type_ in want["attributes"].items():
            if attribute not in have:
                out.append(Difference("different", "type", path, f"attribute {attribute} missing: {type_}", schema))
            elif not types_match(type_, have[attribute]):
                out.append(
                    Difference(
                        "different",
                        "type",
                        path,
                        f"attribute {attribute} type expected {type_}, found {have[attribute]}",
                        schema,
                    )
                )
        for attribute, type_ in have.items():
            if attribute not in want["attributes"]:
                out.append(Difference("different", "type", path, f"attribute {attribute} unexpected: {type_}", schema))
        common = [a for a in want["attributes"] if a in have]
        if common != [a for a in have if a in want["attributes"]]:
            out.append(
                Difference(
                    "different",
                    "type",
                    path,
                    f"attributes expected in the order {fmt(list(want['attributes']))}, found {fmt(list(have))}",
                    schema,
                )
            )


DOMAIN_PROPS = {
    "type": "type",
    "not_null": "not null",
    "default": "default",
    "collation": "collation",
    "comment": "comment",
}
DOMAIN_NORM: Normalizers = {
    "type": normalize_type,
    "not_null": bool,
    "default": normalize_default,
    "collation": _collation,
    "comment": _comment,
}


def _check(text) -> str:
    return _SPACES.sub(" ", str(text).strip())


def _diff_domains(schema: str, expected: dict, actual: dict, patterns: list[str], out: list[Difference]) -> None:
    """Base type, NOT NULL, default; each CHECK by name: ``check positive_int_check missing``."""
    _diff_named("domain", schema, expected, actual, DOMAIN_PROPS, DOMAIN_NORM, patterns, out)
    for name, want in expected.items():
        got = actual.get(name)
        if got is None or "checks" not in want:
            continue
        path = f"{schema}.{name}"
        have = got.get("checks", {})
        for check, definition in want["checks"].items():
            if check not in have:
                out.append(Difference("different", "domain", path, f"check {check} missing: {definition}", schema))
            elif _check(definition) != _check(have[check]):
                out.append(
                    Difference(
                        "different", "domain", path, f"check {check} expected {definition}, found {have[check]}", schema
                    )
                )
        for check, definition in have.items():
            if check not in want["checks"]:
                out.append(Difference("different", "domain", path, f"check {check} unexpected: {definition}", schema))


def _label_changes(want: list[str], got: list[str]) -> list[str]:
    """``label 'x' added after 'y'``, ``label 'z' missing``, or the whole order when only the order changed."""
    messages = [f"label {label!r} missing" for label in want if label not in got]
    for i, label in enumerate(got):
        if label in want:
            continue
        if i:
            messages.append(f"label {label!r} added after {got[i - 1]!r}")
        else:
            messages.append(f"label {label!r} added first" + (f", before {got[1]!r}" if len(got) > 1 else ""))
    common_want = [label for label in want if label in got]
    common_got = [label for label in got if label in want]
    if common_want != common_got:
        messages.append(f"labels expected in the order {fmt(want)}, found {fmt(got)}")
    return messages


def _diff_enums(schema: str, expected: dict, actual: dict, patterns: list[str], out: list[Difference]) -> None:
    _diff_named("enum", schema, expected, actual, {"comment": "comment"}, {"comment": _comment}, patterns, out)
    for name, want in expected.items():
        got = actual.get(name)
        if got is None or "labels" not in want:
            continue
        for message in _label_changes([str(v) for v in as_list(want["labels"])], list(got["labels"])):
            out.append(Difference("different", "enum", f"{schema}.{name}", message, schema))


def _row_security(value):
    return "forced" if norm_words(value) == "forced" else bool(value)


TABLE_PROPS = {
    "comment": "comment",
    "unlogged": "unlogged",
    "options": "options",
    "row_security": "row security",
    "inherits": "inherits",
    "replica_identity": "replica identity",
    "access_method": "access method",
}
TABLE_NORM: Normalizers = {
    "partition_key": lambda v: norm_words(v) if v else None,
    "comment": _comment,
    "unlogged": bool,
    "options": _sorted_words,
    "row_security": _row_security,
    "inherits": lambda v: [str(p) for p in as_list(v)],
    "replica_identity": lambda v: norm_words(v) if v and norm_words(v) != "default" else None,
    "access_method": lambda v: norm_words(v) if v and norm_words(v) != "heap" else None,
}


def _diff_objects(path: str, want: dict, got: dict, patterns: list[str], out: list[Difference], note: str = "") -> None:
    """The indexes, constraints and foreign keys of a table or a partition (its own, not those it inherits)."""
    sections = want["_sections"]
    if want["indexes"] or "indexes" in sections:
        _diff_named(
            "index",
            path,
            want["indexes"],
            got["indexes"],
            INDEX_PROPS,
            INDEX_NORM,
            patterns,
            out,
            _describe_index,
            note,
        )
    if want["constraints"] or "constraints" in sections:
        _diff_named(
            "constraint",
            path,
            want["constraints"],
            got["constraints"],
            CONSTRAINT_PROPS,
            CONSTRAINT_NORM,
            patterns,
            out,
            None,
            note,
        )
    if want["foreign_keys"] or "foreign_keys" in sections:
        _diff_named(
            "foreign key",
            path,
            want["foreign_keys"],
            got["foreign_keys"],
            FK_PROPS,
            FK_NORM,
            patterns,
            out,
            _describe_foreign_key,
            note,
        )


def _qualified(schema: str, name: str) -> str:
    return name if "." in name else f"{schema}.{name}"


def _diff_partitions(path: str, want: dict, got: dict, patterns: list[str], out: list[Difference]) -> None:
    """Partitions of the partitioned table ``path``: each by name, its bounds and its own objects."""
    schema = path.split(".")[0]
    if "partitions" not in want and "partition_count" not in want:
        return
    live = got.get("partitions") or {}
    found = {_qualified(schema, k): v for k, v in live.items()}
    wanted = {_qualified(schema, k): v for k, v in (want.get("partitions") or {}).items()}
    if "partition_count" in want and _number(want["partition_count"]) != len(live):
        out.append(
            Difference(
                "different", "table", path, f"partitions expected {want['partition_count']}, found {len(live)}", schema
            )
        )
    for name, part in wanted.items():
        has = found.get(name)
        if has is None:
            bounds = f", {part['bounds']}" if part.get("bounds") else ""
            out.append(Difference("missing", "partition", name, f"of {path}{bounds}", schema))
            continue
        if "bounds" in part and _check(part["bounds"]).lower() != _check(has.get("bounds")).lower():
            out.append(
                Difference(
                    "different",
                    "partition",
                    name,
                    f"of {path}: bounds expected {part['bounds']}, found {has.get('bounds')}",
                    schema,
                )
            )
        note = f"on partition {name} of {path}"
        for message in compare({k: TABLE_PROPS[k] for k in PARTITION_PROPERTIES}, part, has, TABLE_NORM):
            out.append(Difference("different", "partition", name, f"of {path}: {message}", schema))
        if "columns" in part:
            _diff_partition_columns(name, path, part["columns"], has, got, out, note)
        _diff_objects(name, part, has, patterns, out, note)
        _diff_partitioning(name, part, has, patterns, out)
    if "partition_bounds_digest" in want:
        now = partition_bounds_digest(live)
        if str(want["partition_bounds_digest"]).strip().lower() != now:
            detail = f"partition bounds digest expected {want['partition_bounds_digest']}, found {now}"
            out.append(
                Difference("different", "table", path, detail + " (a partition renamed or bounded otherwise)", schema)
            )
    if "partition_count" not in want:
        for name, has in found.items():
            if name not in wanted and not ignored(name, patterns):
                out.append(Difference("unexpected", "partition", name, f"of {path}, {has.get('bounds')}", schema))
    elif want.get("_partitions_complete"):  # a partition left out had no objects of its own
        nothing = {
            "indexes": {},
            "constraints": {},
            "foreign_keys": {},
            "_sections": {"indexes", "constraints", "foreign_keys"},
        }
        for name, has in found.items():
            if name not in wanted and not ignored(name, patterns):
                _diff_objects(name, nothing, has, patterns, out, f"on partition {name} of {path}")


def _diff_partition_columns(
    name: str, path: str, expected: dict, has: dict, parent: dict, out: list[Difference], note: str
) -> None:
    """The defaults and NOT NULL a partition holds apart from its partitioned table: those the file lists,
    and any other column of the partition that differs from the table's."""
    schema = path.split(".")[0]
    props = {k: COLUMN_PROPS[k] for k in PARTITION_COLUMN_KEYS}
    for column, info in has.get("columns", {}).items():
        want = expected.get(column)
        if want is None:
            table = parent.get("columns", {}).get(column, {})
            want = {k: table.get(k) for k in PARTITION_COLUMN_KEYS}
            messages = [f"{m} (as on {path})" for m in compare(props, want, info, COLUMN_NORM)]
        else:
            messages = compare(props, want, info, COLUMN_NORM)
        for message in messages:
            out.append(Difference("different", "column", f"{name}.{column}", f"{message}; {note}", schema))


def _diff_partitioning(path: str, want: dict, got: dict, patterns: list[str], out: list[Difference]) -> None:
    for message in compare({"partition_key": "partition key"}, want, got, TABLE_NORM):
        out.append(Difference("different", "table", path, message, path.split(".")[0]))
    _diff_partitions(path, want, got, patterns, out)


def _diff_tables(schema: str, expected: dict, actual: dict, patterns: list[str], out: list[Difference]) -> None:
    for table, want in expected.items():
        path = f"{schema}.{table}"
        got = actual.get(table)
        if got is None:
            out.append(Difference("missing", "table", path, "", schema))
            continue
        if want["columns"] or "columns" in want["_sections"]:
            _diff_named(
                "column",
                path,
                want["columns"],
                got["columns"],
                COLUMN_PROPS,
                COLUMN_NORM,
                patterns,
                out,
                _describe_column,
            )
        _diff_objects(path, want, got, patterns, out)
        for message in compare(TABLE_PROPS, want, got, TABLE_NORM):
            out.append(Difference("different", "table", path, message, schema))
        if "grants" in want:
            _diff_grants("table", path, want["grants"], got.get("grants", {}), out, schema)
        _diff_partitioning(path, want, got, patterns, out)
    for table in actual:
        path = f"{schema}.{table}"
        if table not in expected and not ignored(path, patterns):
            out.append(Difference("unexpected", "table", path, "", schema))


def render(differences: list[Difference]) -> str:
    """One line per difference, in a stable order."""
    return "\n".join(f"  {d}" for d in differences)


def changes(before: dict, after: dict) -> list[str]:
    """What a step changed, as diff lines (``+``/``-``/``~``) between two :func:`catalog.read_schema` snapshots."""
    expected = parse_expected(to_expected(before))
    for name in after["schemas"]:
        expected["schemas"].setdefault(name, empty_schema(SCHEMA_SECTIONS))
    for body in expected["schemas"].values():
        body["_sections"] = set(SCHEMA_SECTIONS)
    marks = {"missing": "-", "unexpected": "+", "different": "~"}
    out = []
    for d in diff(expected, after):
        if d.kind == "schema" and d.problem == "missing":
            out.append(f"- schema {d.name}")
        else:
            out.append(f"{marks[d.problem]} {d.kind} {d.name}" + (f": {d.detail}" if d.problem == "different" else ""))
    return out


STATISTICS_PROPS = {"table": "table", "definition": "definition", "comment": "comment"}
STATISTICS_NORM = {"table": str, "definition": lambda v: _SPACES.sub(" ", str(v or "").strip()), "comment": _comment}

# how each section of a schema is compared, in the order differences are reported
_SECTION_DIFFS: dict[str, Callable[[str, dict, dict, list[str], list[Difference]], None]] = {
    "tables": _diff_tables,
    "views": _diff_views,
    "functions": _diff_functions,
    "triggers": _diff_triggers,
    "sequences": lambda s, w, a, p, o: _diff_named("sequence", s, w, a, SEQUENCE_PROPS, SEQUENCE_NORM, p, o),
    "domains": _diff_domains,
    "enums": _diff_enums,
    "types": _diff_types,
    "collations": lambda s, w, a, p, o: _diff_named("collation", s, w, a, COLLATION_PROPS, COLLATION_NORM, p, o),
    "statistics": lambda s, w, a, p, o: _diff_named("statistics", s, w, a, STATISTICS_PROPS, STATISTICS_NORM, p, o),
    "rules": lambda s, w, a, p, o: _diff_on_table("rule", s, w, a, p, o, RULE_PROPS, RULE_NORM, _describe_rule),
    "policies": lambda s, w, a, p, o: _diff_on_table(
        "policy", s, w, a, p, o, POLICY_PROPS, POLICY_NORM, _describe_policy
    ),
}
