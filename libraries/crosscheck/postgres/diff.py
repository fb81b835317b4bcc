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
from dataclasses import dataclass
from typing import Any

from crosscheck.postgres.schemafile import (
    as_list,
    ignored,
    norm_words,
    normalize_default,
    normalize_index_column,
    normalize_type,
    parse_column,
    parse_expected,
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
            out.append(f"{props[key]} expected {fmt(want)}, found {fmt(got)}")
    return out


Normalizers = dict[str, Callable[[Any], Any]]

COLUMN_PROPS = {
    "type": "type",
    "nullable": "nullable",
    "default": "default",
    "identity": "identity",
    "generated": "generated",
}
COLUMN_NORM: Normalizers = {
    "type": normalize_type,
    "default": normalize_default,
    "generated": normalize_default,
    "nullable": bool,
    "identity": lambda v: norm_words(v) if v else None,
}
INDEX_PROPS = {
    "columns": "columns",
    "unique": "unique",
    "method": "method",
    "primary": "primary",
    "include": "include columns",
    "where": "predicate",
}
INDEX_NORM: Normalizers = {
    "columns": lambda v: [normalize_index_column(c) for c in as_list(v)],
    "include": lambda v: [str(c) for c in as_list(v)],
    "method": lambda v: norm_words(v or "btree"),
    "unique": bool,
    "primary": bool,
    "where": normalize_default,
}
CONSTRAINT_PROPS = {"type": "type", "columns": "columns", "definition": "definition"}
CONSTRAINT_NORM: Normalizers = {
    "type": norm_words,
    "columns": lambda v: [str(c) for c in as_list(v)],
    "definition": lambda v: _SPACES.sub(" ", str(v).strip()),
}
FK_PROPS = {
    "columns": "columns",
    "references": "references",
    "referenced_columns": "referenced columns",
    "on_delete": "on delete",
    "on_update": "on update",
    "validated": "validated",
}
FK_NORM: Normalizers = {
    "columns": lambda v: [str(c) for c in as_list(v)],
    "referenced_columns": lambda v: [str(c) for c in as_list(v)],
    "references": lambda v: str(v) if "." in str(v) else f"public.{v}",
    "on_delete": lambda v: norm_words(v or "no action"),
    "on_update": lambda v: norm_words(v or "no action"),
    "validated": bool,
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
) -> None:
    for name, want in expected.items():
        path = f"{prefix}.{name}"
        got = actual.get(name)
        if got is None:
            detail = describe(want) if describe else ""
            out.append(Difference("missing", kind, path, detail))
            continue
        for message in compare(props, want, got, norm):
            out.append(Difference("different", kind, path, message))
    for name in actual:
        path = f"{prefix}.{name}"
        if name not in expected and not ignored(path, patterns):
            out.append(Difference("unexpected", kind, path, describe(actual[name]) if describe else ""))


def _describe_column(info: dict) -> str:
    text = str(info.get("type", ""))
    if info.get("nullable") is False:
        text += " not null"
    return text


def _describe_index(info: dict) -> str:
    return f"on {fmt(as_list(info.get('columns')))}" if info.get("columns") else ""


def signature(sig: dict) -> str:
    """``(p_name text) returns jsonb``."""
    text = f"({sig.get('arguments', '...')})"
    if sig.get("returns"):
        text += f" returns {sig['returns']}"
    return text


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
            for message in compare(
                {"returns": "returns", "kind": "kind", "language": "language"},
                want,
                match,
                {"returns": normalize_type, "kind": norm_words, "language": norm_words},
            ):
                out.append(Difference("different", "function", f"{path}{signature(match)}", message))
        if problems:
            found = " and ".join(signature(s) for s in unmatched) or "no other overload"
            for want in problems:
                out.append(
                    Difference("different", "function", path, f"signature expected {signature(want)}, found {found}")
                )
        elif unmatched and len(wanted) and not ignored(path, patterns):
            for sig in unmatched:
                out.append(Difference("unexpected", "function", f"{path}{signature(sig)}", "extra overload"))
    for name, sigs in actual.items():
        path = f"{prefix}.{name}"
        if name not in expected and not ignored(path, patterns):
            out.append(Difference("unexpected", "function", path, " and ".join(signature(s) for s in sigs)))


def diff(expected: dict, actual: dict, report_unexpected: bool = True) -> list[Difference]:
    """Every difference between a parsed expected schema and :func:`catalog.read_schema` output."""
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
            out.append(Difference("missing", "schema", schema))
            continue
        sections = want["_sections"]
        if "tables" in sections or want["tables"]:
            _diff_tables(schema, want["tables"], live["tables"], patterns, out)
        if "views" in sections or want["views"]:
            _diff_named(
                "view",
                schema,
                want["views"],
                live["views"],
                {"materialized": "materialized"},
                {"materialized": bool},
                patterns,
                out,
            )
            for view, body in want["views"].items():
                if view in live["views"] and "columns" in body:
                    cols = {str(k): parse_column(v) for k, v in (body["columns"] or {}).items()}
                    _diff_named(
                        "column",
                        f"{schema}.{view}",
                        cols,
                        live["views"][view]["columns"],
                        {"type": "type"},
                        COLUMN_NORM,
                        patterns,
                        out,
                        _describe_column,
                    )
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
        if want["indexes"] or "indexes" in want["_sections"]:
            _diff_named(
                "index", path, want["indexes"], got["indexes"], INDEX_PROPS, INDEX_NORM, patterns, out, _describe_index
            )
        if want["constraints"] or "constraints" in want["_sections"]:
            _diff_named(
                "constraint",
                path,
                want["constraints"],
                got["constraints"],
                CONSTRAINT_PROPS,
                CONSTRAINT_NORM,
                patterns,
                out,
            )
        if want["foreign_keys"] or "foreign_keys" in want["_sections"]:
            _diff_named(
                "foreign key", path, want["foreign_keys"], got["foreign_keys"], FK_PROPS, FK_NORM, patterns, out
            )
    for table in actual:
        path = f"{schema}.{table}"
        if table not in expected and not ignored(path, patterns):
            out.append(Difference("unexpected", "table", path))


def render(differences: list[Difference]) -> str:
    """One line per difference, in a stable order."""
    return "\n".join(f"  {d}" for d in differences)


def changes(before: dict, after: dict) -> list[str]:
    """What a step changed, as diff lines (``+``/``-``/``~``) between two :func:`catalog.read_schema` snapshots."""
    expected = parse_expected(to_expected(before))
    for name in after["schemas"]:
        expected["schemas"].setdefault(
            name, {"tables": {}, "views": {}, "functions": {}, "_sections": {"tables", "views", "functions"}}
        )
    for body in expected["schemas"].values():
        body["_sections"] = {"tables", "views", "functions"}
    marks = {"missing": "-", "unexpected": "+", "different": "~"}
    out = []
    for d in diff(expected, after):
        if d.kind == "schema" and d.problem == "missing":
            out.append(f"- schema {d.name}")
        else:
            out.append(f"{marks[d.problem]} {d.kind} {d.name}" + (f": {d.detail}" if d.problem == "different" else ""))
    return out
