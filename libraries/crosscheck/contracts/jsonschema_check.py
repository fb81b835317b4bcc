"""JSON Schema validation shared by Contracts (HTTP bodies) and Messaging (payloads).

A folder of ``<channel>.json`` files is a contract registry: one JSON Schema per
channel, e.g. ``demo/shared/demo_shared/schemas/tickstock.universe.updated.json``. Validation
collects *every* error, each with its JSON path, what the schema expected and
what the instance held, so one failed check names all the mismatches at once::

    from crosscheck.contracts.jsonschema_check import SchemaRegistry
    registry = SchemaRegistry.from_folder("demo/shared/demo_shared/schemas")
    problems = registry.validate("tickstock.universe.updated", payload)
    registry.check("tickstock.universe.updated", payload)   # raises CrosscheckError

The validator class follows the schema's ``$schema`` (Draft 2020-12 when absent);
``format`` keywords are checked (date-time, uuid, email, ...).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.validators import validator_for

from crosscheck.errors import ConfigurationError, CrosscheckError

__all__ = [
    "Mismatch",
    "SchemaRegistry",
    "validate",
    "from_errors",
    "check",
    "load_schema",
    "load_folder",
    "format_mismatches",
    "short",
]

_MAX_SHOWN = 20


@dataclass(frozen=True)
class Mismatch:
    """One difference between an instance and its contract."""

    path: str  # JSON path into the instance, e.g. ``$.symbols[2]``
    expected: str  # what the contract wanted, e.g. ``type 'string'``
    actual: str  # what was there, e.g. ``42`` or ``(missing)``
    message: str = ""

    def __str__(self) -> str:
        return f"{self.path}: expected {self.expected}, got {self.actual}"


def short(value: Any, limit: int = 80) -> str:
    """A one-line JSON rendering of ``value``, cut to ``limit`` characters."""
    try:
        text = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _child_path(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    key = str(key)
    if key.isidentifier():
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key)}]"


def from_errors(errors: Iterable[jsonschema.ValidationError], prefix: str = "$") -> list[Mismatch]:
    """Mismatches from jsonschema errors (also those openapi-core raises), sorted.

    ``prefix`` replaces the root ``$`` of each path (e.g. ``$`` for a body).
    """
    mismatches: list[Mismatch] = []
    for error in errors:
        for m in _from_error(error):
            path = prefix + m.path[1:] if m.path.startswith("$") else m.path
            mismatches.append(Mismatch(path, m.expected, m.actual, m.message))
    unique = {(m.path, m.expected, m.actual): m for m in mismatches}
    return sorted(unique.values(), key=lambda m: (m.path, m.expected))


def _from_error(error: jsonschema.ValidationError) -> list[Mismatch]:
    """Translate one jsonschema error into mismatches with precise paths."""
    path = error.json_path
    kind = error.validator
    want = error.validator_value
    if kind == "required":
        present = error.instance if isinstance(error.instance, Mapping) else {}
        return [
            Mismatch(_child_path(path, name), "required property", "(missing)", error.message)
            for name in want
            if name not in present
        ] or [Mismatch(path, f"required {short(want)}", short(error.instance), error.message)]
    if kind == "additionalProperties" and want is False and isinstance(error.instance, Mapping):
        known = set((error.schema or {}).get("properties", {}))
        patterns = (error.schema or {}).get("patternProperties", {})
        extra = [k for k in error.instance if k not in known and not any(re.search(p, k) for p in patterns)]
        return [
            Mismatch(
                _child_path(path, name),
                "no such property (additionalProperties: false)",
                short(error.instance[name]),
                error.message,
            )
            for name in extra
        ] or [Mismatch(path, "no additional properties", short(error.instance), error.message)]
    if kind in ("anyOf", "oneOf"):
        return [Mismatch(path, _branches(kind, error), short(error.instance), error.message)]
    expected = {
        "type": lambda: f"type {short(want)}",
        "enum": lambda: f"one of {short(want)}",
        "const": lambda: f"constant {short(want)}",
        "format": lambda: f"format {want!r}",
        "pattern": lambda: f"a string matching {want!r}",
        "minimum": lambda: f">= {want}",
        "maximum": lambda: f"<= {want}",
        "exclusiveMinimum": lambda: f"> {want}",
        "exclusiveMaximum": lambda: f"< {want}",
        "minLength": lambda: f"length >= {want}",
        "maxLength": lambda: f"length <= {want}",
        "minItems": lambda: f"at least {want} items",
        "maxItems": lambda: f"at most {want} items",
        "uniqueItems": lambda: "unique items",
        "minProperties": lambda: f"at least {want} properties",
        "maxProperties": lambda: f"at most {want} properties",
    }.get(kind, lambda: f"{kind} {short(want)}")()
    return [Mismatch(path, expected, short(error.instance), error.message)]


def _branches(kind: str, error: jsonschema.ValidationError) -> str:
    """What a ``oneOf``/``anyOf`` wanted, with why each branch failed:
    ``one branch of oneOf (branch 1: $.age: expected type 'integer', got "x"; branch 2: ...)``."""
    if not error.context:  # oneOf: valid under more than one branch
        valid = [i + 1 for i, _ in enumerate(error.validator_value or [])]
        return f"exactly one branch of {kind}, but it is valid under more than one of branches {valid}"
    by_branch: dict[int, list[str]] = {}
    for sub in error.context:
        index = sub.relative_schema_path[0] if sub.relative_schema_path else 0
        rows = by_branch.setdefault(int(index) if isinstance(index, int) else 0, [])
        rows.extend(str(m) for m in _from_error(sub))
    reasons = "; ".join(
        f"branch {i + 1}: " + ", ".join(sorted(set(rows))[:3]) + (" ..." if len(set(rows)) > 3 else "")
        for i, rows in sorted(by_branch.items())
    )
    wanted = "exactly one branch" if kind == "oneOf" else "at least one branch"
    return f"{wanted} of {kind} ({reasons})"


def _validator(schema: Mapping):
    cls = validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise ConfigurationError(
            f"Invalid JSON Schema at {exc.json_path}: {exc.message}. Fix the contract file."
        ) from None
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def validate(instance: Any, schema: Mapping) -> list[Mismatch]:
    """Every mismatch between ``instance`` and ``schema``, sorted by JSON path."""
    return from_errors(_validator(schema).iter_errors(instance))


def format_mismatches(mismatches: Iterable[Mismatch], where: str) -> str:
    """``<where> does not match its contract: N mismatch(es): path: expected X, got Y; ...``."""
    items = list(mismatches)
    shown = "; ".join(str(m) for m in items[:_MAX_SHOWN])
    more = f"; ... and {len(items) - _MAX_SHOWN} more" if len(items) > _MAX_SHOWN else ""
    noun = "mismatch" if len(items) == 1 else "mismatches"
    return f"{where} does not match its contract: {len(items)} {noun}: {shown}{more}"


def check(instance: Any, schema: Mapping, where: str) -> None:
    """Raise :class:`CrosscheckError` naming every mismatch, if there is any."""
    mismatches = validate(instance, schema)
    if mismatches:
        raise CrosscheckError(format_mismatches(mismatches, where))


def load_schema(path: str | Path) -> dict:
    """One JSON Schema from a ``.json`` file; a clear error if missing or invalid."""
    path = Path(path)
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"Schema file '{path}' does not exist.") from None
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"Schema file '{path}' is not valid JSON: {exc}") from None
    if not isinstance(schema, dict):
        raise ConfigurationError(f"Schema file '{path}' must hold a JSON object, not {type(schema).__name__}.")
    _validator(schema)
    return schema


def load_folder(folder: str | Path) -> dict[str, dict]:
    """``{channel: schema}`` from every ``<channel>.json`` in ``folder``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigurationError(f"Contract folder '{folder}' does not exist or is not a directory.")
    return {p.name[: -len(".json")]: load_schema(p) for p in sorted(folder.glob("*.json"))}


class SchemaRegistry:
    """Schemas by name (a channel, or any label): validate and check against them."""

    def __init__(self, schemas: Mapping[str, Mapping] | None = None, source: str = ""):
        self.schemas: dict[str, Mapping] = dict(schemas or {})
        self.source = source

    @classmethod
    def from_folder(cls, folder: str | Path) -> SchemaRegistry:
        return cls(load_folder(folder), source=str(folder))

    def add(self, name: str, schema: Mapping | str | Path) -> None:
        if not isinstance(schema, Mapping):
            schema = load_schema(schema)
        else:
            _validator(schema)
        self.schemas[name] = schema

    def __contains__(self, name: str) -> bool:
        return name in self.schemas

    def names(self) -> list[str]:
        return sorted(self.schemas)

    def schema(self, name: str) -> Mapping:
        try:
            return self.schemas[name]
        except KeyError:
            where = f" in '{self.source}'" if self.source else ""
            known = ", ".join(self.names()) or "none"
            raise ConfigurationError(f"No contract for '{name}'{where}; known: {known}. Add '{name}.json'.") from None

    def validate(self, name: str, instance: Any) -> list[Mismatch]:
        return validate(instance, self.schema(name))

    def check(self, name: str, instance: Any, where: str | None = None) -> None:
        check(instance, self.schema(name), where or f"Payload on '{name}'")
