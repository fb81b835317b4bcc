"""The vocabulary of schema comparison: merged views, types, bounds, constraints, dates."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from crosscheck.contracts.compat.refs import Resolver

STABILITY = {"draft": 0, "alpha": 1, "beta": 2, "stable": 3}


def shown(value: Any) -> str:
    return "none" if value is None else json.dumps(value) if isinstance(value, (dict, list, str)) else str(value)


def merged(schema: dict, resolve: Resolver, seen: frozenset[int] = frozenset()) -> dict:
    """``schema`` with its ``allOf`` subschemas merged in, ``oneOf``/``anyOf`` of bare types
    read as a list of types, and ``oneOf``/``anyOf`` of one branch and ``{type: null}`` read
    as that branch made nullable."""
    if id(schema) in seen:
        return {}
    seen = seen | {id(schema)}
    out = {k: v for k, v in schema.items() if k != "allOf"}
    for sub in schema.get("allOf") or []:
        part = merged(resolve.dict(sub), resolve, seen)
        for key, value in part.items():
            if key == "properties":
                out["properties"] = {**value, **(out.get("properties") or {})}
            elif key == "required":
                out["required"] = list(dict.fromkeys(list(out.get("required") or []) + list(value or [])))
            else:
                out.setdefault(key, value)
    for exclusive, inclusive in (("exclusiveMaximum", "maximum"), ("exclusiveMinimum", "minimum")):
        # OpenAPI 3.0's {minimum: 0, exclusiveMinimum: true} is 3.1's {exclusiveMinimum: 0}
        if out.get(exclusive) is True and number(out.get(inclusive)):
            out[exclusive] = out.pop(inclusive)
        elif out.get(exclusive) is False:
            del out[exclusive]
    for key in ("oneOf", "anyOf"):
        branches = out.get(key)
        listed = _type_list(branches)
        if listed and "type" not in out:  # oneOf: [{type: string}, {type: integer}] is type: [string, integer]
            del out[key]
            out["type"] = listed
            out[TYPE_LIST] = key  # where the list came from: a parameter's is not loosely typed
            continue
        if isinstance(branches, list) and len(branches) == 2:
            resolved = [resolve.dict(b) for b in branches]
            nulls = [b.get("type") == "null" for b in resolved]
            if sum(nulls) == 1:
                other = merged(resolved[nulls.index(False)], resolve, seen)
                del out[key]
                for k, v in other.items():
                    out.setdefault(k, v)
                out["nullable"] = True
    return out


TYPE_LIST = "x-crosscheck-types-from"


def _type_list(branches: Any) -> list[str] | None:
    """The types of ``oneOf``/``anyOf`` branches that say nothing but a type each (inline), else None."""
    if not isinstance(branches, list) or not branches:
        return None
    listed: list[str] = []
    for branch in branches:
        if not isinstance(branch, dict) or not isinstance(branch.get("type"), str):
            return None
        if any(k != "type" and k not in ANNOTATIONS and not k.startswith("x-") for k in branch):
            return None
        listed.append(branch["type"])
    return list(dict.fromkeys(listed))


def types_of(schema: dict) -> tuple[set[str], bool]:
    """The types a schema allows (empty: any) and whether it allows null."""
    t = schema.get("type")
    types = {t} if isinstance(t, str) else set(t) if isinstance(t, list) else set()
    nullable = bool(schema.get("nullable")) or "null" in types
    types.discard("null")
    if not types and t is None:
        if "properties" in schema or isinstance(schema.get("additionalProperties"), dict):
            types = {"object"}
        elif "items" in schema:
            types = {"array"}
    return types, nullable


def accepts(wide: set[str], narrow: set[str]) -> bool:
    """Does a schema of types ``wide`` accept every value of types ``narrow``?"""
    if not wide:
        return True
    if not narrow:
        return False
    return all(t in wide or (t == "integer" and "number" in wide) for t in narrow)


WIDER_FORMAT = {("int32", "int64"), ("float", "double"), ("date", "date-time")}


def composed(schema: dict) -> bool:
    return any(isinstance(schema.get(k), list) for k in ("oneOf", "anyOf", "allOf", "not"))


def sunset(value: Any) -> date | None | str:
    """``x-sunset`` as a date, ``None`` when absent, or the text when it cannot be read."""
    if value is None:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)


# keyword, request suffix when tightened, request suffix when set, response suffix when loosened,
# response suffix when unset, whether a larger value is tighter
BOUNDS = (
    ("maximum", "max-decreased", "max-set", "max-increased", "max-increased", False),
    ("minimum", "min-increased", "min-set", "min-decreased", "min-decreased", True),
    ("exclusiveMaximum", "exclusive-max-decreased", "exclusive-max-set", "exclusive-max-increased", "exclusive-max-increased", False),
    ("exclusiveMinimum", "exclusive-min-increased", "exclusive-min-set", "exclusive-min-decreased", "exclusive-min-decreased", True),
    ("maxLength", "max-length-decreased", "max-length-set", "max-length-increased", "max-length-unset", False),
    ("minLength", "min-length-increased", "min-length-increased", "min-length-decreased", "min-length-decreased", True),
    ("maxItems", "max-items-decreased", "max-items-set", "max-items-increased", "max-items-increased", False),
    ("minItems", "min-items-increased", "min-items-set", "min-items-decreased", "min-items-unset", True),
    ("maxProperties", "max-properties-decreased", "max-properties-set", "max-properties-increased", "max-properties-increased", False),
    ("minProperties", "min-properties-increased", "min-properties-increased", "min-properties-decreased", "min-properties-decreased", True),
    ("maxContains", "max-contains-decreased", "max-contains-decreased", "max-contains-increased", "max-contains-increased", False),
    ("minContains", "min-contains-increased", "min-contains-increased", "min-contains-decreased", "min-contains-decreased", True),
)  # fmt: skip

# JSON Schema 2020-12 constraints: adding one narrows a request, removing one widens a response
CONSTRAINTS = (
    ("contains", "contains"),
    ("if", "if"),
    ("then", "then"),
    ("else", "else"),
    ("propertyNames", "property-names"),
    ("unevaluatedItems", "unevaluated-items"),
    ("unevaluatedProperties", "unevaluated-properties"),
    ("contentSchema", "content-schema"),
)


def number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


ANNOTATIONS = {"description", "title", "example", "examples", "deprecated", "externalDocs", "$comment"}


def constraining(schema: dict) -> bool:
    """Does a subschema constrain anything (more than a description)?"""
    return any(k not in ANNOTATIONS and not k.startswith("x-") for k in schema)
