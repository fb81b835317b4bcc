"""Schema against schema: what a request may no longer send, what a response may now return.

A request schema breaks a client when the new one accepts less than the old one
(a type narrowed, an enum value removed, a bound tightened, a property made
required). A response schema breaks a client when the new one may return what the
old one did not (a type widened, a property removed or made optional, a value made
nullable, a bound loosened). ``readOnly`` properties are not part of a request and
``writeOnly`` properties are not part of a response (one that becomes write-only is
not reported as removed: it is still in the schema). A name in ``required`` counts
only when the schema defines that property, as in oasdiff. In a body that is not JSON
(XML, text, a form) every value also reads as text, so a type changed to ``string``
breaks no request, and one changed from ``string`` no response; a parameter's value
is text on the wire too, so the same holds for it, a property of an object parameter
changed to ``string`` is a warning (breaking only if the object is sent as JSON), and a
``form``/``explode`` parameter that becomes an array of the same values breaks nothing. ``allOf`` subschemas are merged
before properties are compared; ``oneOf`` and ``anyOf`` branches are matched (by
``$ref``, then equality, title, type, position) and compared pairwise. Subschemas held
by ``not``, ``if``/``then``/``else``, ``contains``, ``prefixItems``, ``propertyNames``,
``unevaluated*``, ``contentSchema``, ``patternProperties`` and ``dependentSchemas`` are
compared in the same direction as the schema that holds them, as oasdiff does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from crosscheck.contracts.compat.refs import Resolver, ref_name
from crosscheck.contracts.compat.rules import Change, change
from crosscheck.contracts.compat.vocabulary import (
    ANNOTATIONS,
    BOUNDS,
    CONSTRAINTS,
    STABILITY,
    TYPE_LIST,
    WIDER_FORMAT,
    accepts,
    composed,
    constraining,
    merged,
    number,
    shown,
    sunset,
    types_of,
)

MAX_DEPTH = 24
# keywords holding one subschema, compared when both sides have it
SUBSCHEMAS = (
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
    "additionalItems",
)


@dataclass(frozen=True)
class Place:
    """Where a schema sits: ``op`` (``PUT /x``), ``place`` (``request body``), and its kind.

    ``kind`` is one of ``request-body``, ``response-body``, ``request-parameter``,
    ``response-header``; ``header`` is set for a request header parameter; ``loose`` for a
    body of a loosely typed media type (XML, text, form: not JSON), where every value also
    reads as a string, so a type changed to ``string`` in a request (or from ``string`` in
    a response) breaks nothing.
    """

    op: str
    place: str
    kind: str
    header: bool = False
    loose: bool = False
    form_explode: bool = False  # a query or cookie parameter serialized ``style: form, explode: true``

    @property
    def request(self) -> bool:
        return self.kind.startswith("request")

    def where(self, path: str) -> str:
        return f"{self.op} {self.place}" + (f" {path}" if path else "")

    def rule(self, suffix: str, path: str) -> str:
        root = path in ("", "$")
        if self.kind == "request-body":
            return ("request-body-" if root else "request-property-") + suffix
        if self.kind == "response-body":
            return ("response-body-" if root else "response-property-") + suffix
        if self.kind == "response-header":
            return ("response-header-" if root else "response-property-") + suffix
        if root:
            return "request-parameter-" + suffix
        if suffix == "type-changed":
            return "request-parameter-property-type-specialized"
        if suffix == "became-enum" and self.header:
            return "request-header-property-became-enum"
        if suffix in ("enum-value-removed", "became-not-nullable", "list-of-types-narrowed"):
            return "request-parameter-property-" + suffix
        return "request-property-" + suffix


def child(path: str, name: str) -> str:
    return f"{path or '$'}.{name}"


class SchemaDiff:
    """Compares schemas of two documents and appends each change to ``out``."""

    def __init__(self, old: Resolver, new: Resolver, out: list[Change], today: date | None = None):
        self.old, self.new, self.out = old, new, out
        self.today = today or date.today()

    def emit(self, at: Place, path: str, suffix: str, what: str, rule: str | None = None) -> None:
        self.out.append(change(at.where(path), what, rule or at.rule(suffix, path)))

    def compare(self, old_raw: Any, new_raw: Any, at: Place, path: str, depth: int = 0, stack: frozenset = frozenset()):
        self.old.place = self.new.place = at.where(path)
        old_node, new_node = self.old.dict(old_raw), self.new.dict(new_raw)
        key = (id(old_node), id(new_node))
        if depth > MAX_DEPTH or key in stack or (not old_node and not new_node):
            return
        stack = stack | {key}
        old, new = merged(old_node, self.old), merged(new_node, self.new)
        self._composition(old_node, new_node, old, new, at, path, depth, stack)
        self._types(old, new, at, path)
        self._values(old, new, at, path)
        if at.request:
            self._request_bounds(old, new, at, path)
        else:
            self._response_bounds(old, new, at, path)
        self._constraints(old, new, at, path)
        if path not in ("", "$"):
            self._lifecycle(old, new, at, path)
        self._properties(old, new, at, path, depth, stack)
        if "items" in old or "items" in new:
            if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
                self.compare(old["items"], new["items"], at, f"{path or '$'}[]", depth + 1, stack)
        self._subschemas(old, new, at, path, depth, stack)
        old_ap, new_ap = old.get("additionalProperties"), new.get("additionalProperties")
        if isinstance(old_ap, dict) and (isinstance(new_ap, dict) or (new_ap in (None, True) and not at.request)):
            self.compare(old_ap, new_ap if isinstance(new_ap, dict) else {}, at, f"{path or '$'}.*", depth + 1, stack)

    def _subschemas(self, old: dict, new: dict, at: Place, path: str, depth: int, stack: frozenset) -> None:
        """Subschemas present on both sides are compared like the schema itself (as oasdiff does)."""
        base = path or "$"
        for key in SUBSCHEMAS:
            if isinstance(old.get(key), dict) and isinstance(new.get(key), dict):
                self.compare(old[key], new[key], at, f"{base}.{key}", depth + 1, stack)
        old_p, new_p = old.get("prefixItems"), new.get("prefixItems")
        if isinstance(old_p, list) and isinstance(new_p, list):
            for i, (before, after) in enumerate(zip(old_p, new_p)):
                self.compare(before, after, at, f"{base}.prefixItems[{i}]", depth + 1, stack)
        for key in ("patternProperties", "dependentSchemas"):
            old_m, new_m = old.get(key), new.get(key)
            if isinstance(old_m, dict) and isinstance(new_m, dict):
                for name in old_m.keys() & new_m.keys():
                    self.compare(old_m[name], new_m[name], at, f"{base}.{key}[{name}]", depth + 1, stack)

    # -- types, values, bounds -------------------------------------------------------------------

    def _types(self, old: dict, new: dict, at: Place, path: str) -> None:
        (old_t, old_null), (new_t, new_null) = types_of(old), types_of(new)
        if at.request:
            if old_null and not new_null and "null" not in json.dumps(new.get("enum", [])):
                self.emit(at, path, "became-not-nullable", "became not nullable")
            # a oneOf/anyOf list of types narrowed is list-of-types-narrowed even to a string, as in oasdiff
            loose_only = at.loose and old_t and old_t != new_t == {"string"} and TYPE_LIST not in old
            if loose_only and at.kind == "request-parameter" and path not in ("", "$"):
                # an object parameter: breaking if it is sent as JSON, not if sent as key=value pairs
                what = f"type changed from {sorted(old_t)} to {sorted(new_t)} (breaking if the object is sent as JSON)"
                self.emit(at, path, "", what, "request-parameter-property-type-changed")
            elif loose_only or self._scalar_to_form_array(old, new, old_t, new_t, at, path):
                pass
            elif new_t and not accepts(new_t, old_t) and not (not old_t and composed(old)):
                suffix = "list-of-types-narrowed" if len(old_t) > 1 and new_t < old_t else "type-changed"
                self.emit(at, path, suffix, f"type narrowed from {sorted(old_t) or 'any'} to {sorted(new_t)}")
            elif old_t == new_t and new.get("format") != old.get("format") and new.get("format"):
                if (old.get("format"), new.get("format")) not in WIDER_FORMAT:
                    what = f"format changed from {shown(old.get('format'))} to {shown(new.get('format'))}"
                    self.emit(at, path, "type-changed", what)
            return
        if new_null and not old_null:
            self.emit(at, path, "became-nullable", "became nullable")
        if not old_t or (at.loose and new_t and new_t != old_t == {"string"}):
            return
        if not new_t:
            if not composed(new):
                self.emit(at, path, "type-generalized", f"type widened from {sorted(old_t)} to any")
        elif old_t != new_t and not accepts(old_t, new_t):
            if new_t > old_t and len(new_t) > 1:
                suffix = "list-of-types-widened"
            elif old_t == {"integer"} and new_t == {"number"}:
                suffix = "type-generalized"
            else:
                suffix = "type-changed"
            self.emit(at, path, suffix, f"type changed from {sorted(old_t)} to {sorted(new_t)}")
        elif old_t == new_t and old.get("format") and new.get("format") != old.get("format"):
            pair = (old.get("format"), new.get("format"))
            if (pair[1], pair[0]) in WIDER_FORMAT:  # narrowed: every new value was valid before
                return
            suffix = "type-generalized" if pair in WIDER_FORMAT or not new.get("format") else "type-changed"
            self.emit(at, path, suffix, f"format changed from {shown(pair[0])} to {shown(pair[1])}")

    def _scalar_to_form_array(self, old: dict, new: dict, old_t: set, new_t: set, at: Place, path: str) -> bool:
        """Did a ``form``/``explode`` parameter become an array whose items accept every old value?

        ``?color=red`` is then a one-element array, so clients sending one value still work.
        """
        scalar = old_t and not old_t & {"array", "object"}
        if not (
            at.form_explode and path == "" and new_t == {"array"} and scalar and isinstance(new.get("items"), dict)
        ):
            return False
        item = merged(self.new.dict(new.get("items")), self.new)
        item_t = types_of(item)[0]
        if item_t and not accepts(item_t, old_t) and item_t != {"string"}:
            return False
        ignored = ANNOTATIONS | {"type", "nullable", "items", "format"}
        old_rest = {k: v for k, v in old.items() if k not in ignored and not k.startswith("x-")}
        item_rest = {k: v for k, v in item.items() if k not in ignored and not k.startswith("x-")}
        return item_rest.items() <= old_rest.items()

    def _values(self, old: dict, new: dict, at: Place, path: str) -> None:
        old_e, new_e = old.get("enum"), new.get("enum")
        # const: x is enum: [x] where the other side has an enum (a change of spelling is no change)
        if "const" in old and not isinstance(old_e, list) and isinstance(new_e, list):
            old_e = [old["const"]]
        elif "const" in new and not isinstance(new_e, list) and isinstance(old_e, list):
            new_e = [new["const"]]
        if at.request:
            if isinstance(new_e, list):
                if not isinstance(old_e, list):
                    self.emit(at, path, "became-enum", f"enum {new_e} added (values were free)")
                else:
                    removed = [v for v in old_e if v not in new_e]
                    if removed:
                        self.emit(at, path, "enum-value-removed", f"enum narrowed: {removed} no longer accepted")
            old_x, new_x = old.get("x-extensible-enum"), new.get("x-extensible-enum")
            if isinstance(old_x, list) and isinstance(new_x, list):
                removed = [v for v in old_x if v not in new_x]
                if removed:
                    what = f"x-extensible-enum narrowed: {removed} no longer accepted"
                    self.emit(at, path, "x-extensible-enum-value-removed", what)
            if "const" in new and "const" not in old:
                if old_e != [new["const"]]:
                    self.emit(at, path, "const-added", f"const {shown(new['const'])} added")
            elif "const" in new and new["const"] != old["const"]:
                what = f"const changed from {shown(old['const'])} to {shown(new['const'])}"
                self.emit(at, path, "const-changed", what)
        else:
            if isinstance(old_e, list):
                added = [v for v in (new_e or []) if v not in old_e]
                if not isinstance(new_e, list):
                    self.emit(at, path, "enum-value-added", f"enum {old_e} removed (any value may now be returned)")
                elif added:
                    self.emit(at, path, "enum-value-added", f"enum widened: {added} may now be returned")
            if "const" in old and "const" not in new:
                if new_e != [old["const"]]:
                    self.emit(at, path, "const-removed", f"const {shown(old['const'])} removed")
            elif "const" in old and new["const"] != old["const"]:
                what = f"const changed from {shown(old['const'])} to {shown(new['const'])}"
                self.emit(at, path, "const-changed", what)
        for key, suffix in (
            ("contentEncoding", "content-encoding-changed"),
            ("contentMediaType", "content-media-type-changed"),
        ):
            if old.get(key) != new.get(key) and (new.get(key) if at.request else old.get(key)):
                self.emit(at, path, suffix, f"{key} changed from {shown(old.get(key))} to {shown(new.get(key))}")
        if at.request and new.get("pattern") and new.get("pattern") != old.get("pattern"):
            before, after = old.get("pattern"), new["pattern"]
            if not before:
                self.emit(at, path, "pattern-added", f"pattern {after!r} added")
            elif after not in (".*", "^.*$"):
                self.emit(at, path, "pattern-changed", f"pattern changed from {before!r} to {after!r}")
        if at.kind == "request-parameter" and path == "" and old.get("default") != new.get("default"):
            before, after = old.get("default"), new.get("default")
            suffix = "added" if before is None else "removed" if after is None else "changed"
            what = f"default value changed from {shown(before)} to {shown(after)}"
            self.emit(at, path, f"default-value-{suffix}", what)

    def _request_bounds(self, old: dict, new: dict, at: Place, path: str) -> None:
        for key, tightened, was_set, _, _, larger_is_tighter in BOUNDS:
            after: Any = new.get(key)
            before: Any = old.get(key)
            if isinstance(after, bool):  # OpenAPI 3.0: exclusiveMaximum: true on the same maximum
                if after and not before and key.startswith("exclusive") and key[9:].lower() in new:
                    self.emit(at, path, tightened, f"{key} set (the bound {new[key[9:].lower()]} is now excluded)")
                continue
            if not number(after):
                continue
            inclusive = old.get(key[9:].lower()) if key.startswith("exclusive") else None
            if not number(before) and number(inclusive):  # the old bound was inclusive: {maximum: 10}
                if after <= inclusive if key == "exclusiveMaximum" else after >= inclusive:
                    self.emit(at, path, tightened, f"{key} {after} set where {key[9:].lower()} was {inclusive}")
                continue
            if not number(before):
                if key in ("minLength", "minItems", "minProperties", "minContains") and after == 0:
                    continue
                exclusive = old.get("exclusive" + key[0].upper() + key[1:]) if key in ("maximum", "minimum") else None
                if number(exclusive) and (after >= exclusive if key == "maximum" else after <= exclusive):
                    continue  # {exclusiveMaximum: 10} became {maximum: 10}: the bound only loosened
                self.emit(at, path, was_set, f"{key} tightened from none to {after}")
            elif after > before if larger_is_tighter else after < before:
                self.emit(at, path, tightened, f"{key} tightened from {before} to {after}")

    def _response_bounds(self, old: dict, new: dict, at: Place, path: str) -> None:
        if at.kind == "response-header" and path == "":
            return
        for key, _, _, loosened, unset, larger_is_tighter in BOUNDS:
            before: Any = old.get(key)
            after: Any = new.get(key)
            if isinstance(before, bool):
                if before and not after:
                    self.emit(at, path, loosened, f"{key} removed (the bound is now included)")
                continue
            if not number(before):
                continue
            if not number(after):
                exclusive = new.get("exclusive" + key[0].upper() + key[1:]) if key in ("maximum", "minimum") else None
                if number(exclusive) and (exclusive <= before if key == "maximum" else exclusive >= before):
                    continue  # {maximum: 10} became {exclusiveMaximum: 10}: the bound only tightened
                if not (key.startswith("min") and before == 0):
                    self.emit(at, path, unset, f"{key} loosened from {before} to none")
            elif after < before if larger_is_tighter else after > before:
                self.emit(at, path, loosened, f"{key} loosened from {before} to {after}")

    def _constraints(self, old: dict, new: dict, at: Place, path: str) -> None:
        added, lost = (new, old) if at.request else (old, new)
        verb = "added" if at.request else "removed"
        for key, suffix in CONSTRAINTS:
            value = added.get(key)
            if key in added and key not in lost and value is not True and value != {}:
                self.emit(at, path, f"{suffix}-{verb}", f"{key} {verb}")
        for key, suffix in (("patternProperties", "pattern-property"), ("dependentSchemas", "dependent-schema")):
            for name in sorted(set(added.get(key) or {}) - set(lost.get(key) or {})):
                self.emit(at, path, f"{suffix}-{verb}", f"{key} {name!r} {verb}")
        dep_added, dep_lost = added.get("dependentRequired") or {}, lost.get("dependentRequired") or {}
        for name, names in sorted(dep_added.items()):
            if name not in dep_lost:
                self.emit(at, path, f"dependent-required-{verb}", f"dependentRequired {name!r}: {names} {verb}")
            elif set(names) - set(dep_lost[name]):
                what = f"dependentRequired {name!r} changed from {dep_lost[name]} to {names}"
                self.emit(at, path, "dependent-required-changed", what, at.rule("dependent-required-changed", path))
        old_p, new_p = old.get("prefixItems") or [], new.get("prefixItems") or []
        if at.request and len(new_p) < len(old_p):
            self.emit(at, path, "prefix-items-removed", f"prefixItems shortened from {len(old_p)} to {len(new_p)}")
        if not at.request and len(new_p) > len(old_p):
            self.emit(at, path, "prefix-items-added", f"prefixItems lengthened from {len(old_p)} to {len(new_p)}")

    def _lifecycle(self, old: dict, new: dict, at: Place, path: str) -> None:
        if new.get("deprecated") and not old.get("deprecated") and "x-sunset" in new:
            when = sunset(new["x-sunset"])
            if isinstance(when, str):
                self.emit(
                    at, path, "deprecated-sunset-invalid", f"deprecated with a sunset date that is not a date: {when!r}"
                )
            elif when is not None and when < self.today:
                self.emit(at, path, "sunset-date-too-small", f"deprecated with a sunset date in the past: {when}")
        before, after = old.get("x-stability-level"), new.get("x-stability-level")
        if before in STABILITY and after in STABILITY and STABILITY[after] < STABILITY[before]:
            self.emit(at, path, "stability-decreased", f"stability decreased from {before} to {after}")

    # -- properties ------------------------------------------------------------------------------

    def _visible(self, schema: dict, resolve: Resolver, at: Place) -> tuple[dict, set]:
        """Properties and required names as the direction sees them (no readOnly in a request,
        no writeOnly in a response)."""
        hidden = "readOnly" if at.request else "writeOnly"
        props = {}
        for name, sub in (schema.get("properties") or {}).items():
            if not merged(resolve.dict(sub), resolve).get(hidden):
                props[name] = sub
        required = {n for n in schema.get("required") or [] if n in props}
        return props, required

    def _properties(self, old: dict, new: dict, at: Place, path: str, depth: int, stack: frozenset) -> None:
        old_props, old_req = self._visible(old, self.old, at)
        new_props, new_req = self._visible(new, self.new, at)
        every_old, every_new = old.get("properties") or {}, new.get("properties") or {}
        for name in sorted(set(old_props) | set(new_props) | old_req | new_req):
            where = child(path, name)
            if at.request:
                self._request_property(name, where, old_props, new_props, old_req, new_req, every_old, every_new, at)
            elif name in old_props and name not in new_props:
                if name in every_new:  # now write-only: still in the schema, no longer returned
                    continue
                if name in old_req:
                    self.emit(at, where, "", "removed from the response", "response-required-property-removed")
                else:
                    what = "optional property removed from the response"
                    self.emit(at, where, "", what, "response-optional-property-removed")
                continue
            elif name in old_req and name not in new_req:
                what = "no longer required (may be missing from the response)"
                self.emit(at, where, "became-optional", what)
            elif name in new_req and name in (old.get("required") or []) and name not in old_req:
                if merged(self.old.dict(every_old.get(name, {})), self.old).get("writeOnly"):
                    what = "required and no longer write-only"
                    self.emit(at, where, "", what, "response-required-property-became-not-write-only")
            if name in old_props and name in new_props:
                self.compare(old_props[name], new_props[name], at, where, depth + 1, stack)

    def _request_property(self, name, where, old_props, new_props, old_req, new_req, every_old, every_new, at) -> None:
        if name in new_req and name not in old_req:
            existed = name in old_props or name in every_old
            default = "default" in merged(self.new.dict(new_props.get(name, {})), self.new)
            if at.header:
                rule = "request-header-property-became-required" if existed else "new-required-request-header-property"
            elif existed:
                rule = "request-property-became-required" + ("-with-default" if default else "")
            else:
                rule = "new-required-request-property" + ("-with-default" if default else "")
            what = "became required" if existed else "added as required"
            self.emit(at, where, "", what + (" (it has a default)" if default else ""), rule)
        if name in old_props and name not in every_new:
            self.emit(at, where, "", "removed from the request", "request-property-removed")

    # -- oneOf, anyOf, allOf ---------------------------------------------------------------------

    def _composition(self, old_node, new_node, old, new, at: Place, path: str, depth: int, stack: frozenset) -> None:
        for key, slug in (("allOf", "all-of"), ("oneOf", "one-of"), ("anyOf", "any-of")):
            source_old, source_new = (old_node, new_node) if key == "allOf" else (old, new)
            old_list, new_list = source_old.get(key), source_new.get(key)
            if not isinstance(old_list, list) and not isinstance(new_list, list):
                continue
            if key == "oneOf" and self._wrapped(old, new, new_list, at, path):
                self.emit(
                    at,
                    path,
                    "",
                    "wrapped in a oneOf",
                    f"{'request' if at.request else 'response'}-body-wrapped-in-one-of",
                )
                continue
            pairs, removed, added = self._match(old_list or [], new_list or [])
            if key == "allOf":
                # a subschema that only restates the old schema ($ref: X made allOf: [$ref: X]) adds nothing
                same = json.dumps(old_node, sort_keys=True, default=str)
                added = [
                    b
                    for b in added
                    if constraining(self.new.dict(new_list[b]))
                    and json.dumps(self.new.dict(new_list[b]), sort_keys=True, default=str) != same
                ]
            self._report_branches(key, slug, old_list or [], new_list or [], removed, added, at, path)
            if key != "allOf":
                for i, j in pairs:
                    label = ref_name(old_list[i]) or str(i)
                    self.compare(old_list[i], new_list[j], at, f"{path or '$'}.{key}[{label}]", depth + 1, stack)

    def _wrapped(self, old: dict, new: dict, new_list: Any, at: Place, path: str) -> bool:
        """Was a body's object schema wrapped into a ``oneOf`` of alternatives carrying its properties?

        As oasdiff reads it: the old body has properties and no ``oneOf``, the new one is a
        bare ``oneOf`` (no type, no properties) and one alternative at least has an old property.
        """
        if path not in ("", "$") or "body" not in at.kind or not isinstance(new_list, list):
            return False
        if isinstance(old.get("oneOf"), list) or not old.get("properties"):
            return False
        if new.get("properties") or types_of({"type": new.get("type")})[0]:
            return False
        alternatives = [merged(self.new.dict(b), self.new).get("properties") or {} for b in new_list]
        return any(name in alt for name in old["properties"] for alt in alternatives)

    def _report_branches(self, key, slug, old_list, new_list, removed, added, at: Place, path: str) -> None:
        def label(node: Any, index: int) -> str:
            return f"#/{ref_name(node)}" if ref_name(node) else f"subschema #{index + 1}"

        if at.request:
            if key in ("oneOf", "anyOf"):
                for i in removed:
                    self.emit(at, path, f"{slug}-removed", f"{label(old_list[i], i)} removed from {key}")
            else:
                for j in added:
                    self.emit(at, path, f"{slug}-added", f"{label(new_list[j], j)} added to {key}")
                for i in removed:
                    self.emit(at, path, f"{slug}-removed", f"{label(old_list[i], i)} removed from {key}")
        elif key == "oneOf":
            for j in added:
                self.emit(at, path, "one-of-added", f"{label(new_list[j], j)} added to {key}")

    def _match(self, old_list: list, new_list: list) -> tuple[list[tuple[int, int]], list[int], list[int]]:
        """Pairs of branches that are the same branch (by ``$ref``, content, title, type, position)."""
        old_left, new_left = list(range(len(old_list))), list(range(len(new_list)))
        pairs: list[tuple[int, int]] = []

        def pair_by(key) -> None:
            for i in list(old_left):
                k = key(old_list[i], self.old)
                if k is None:
                    continue
                same = [j for j in new_left if key(new_list[j], self.new) == k]
                others = [x for x in old_left if key(old_list[x], self.old) == k]
                if len(same) == 1 and len(others) == 1:
                    pairs.append((i, same[0]))
                    old_left.remove(i)
                    new_left.remove(same[0])

        names = {ref_name(old_list[i]) for i in old_left}
        for name in sorted(n for n in names if n is not None):  # a repeated $ref pairs in order
            olds = [i for i in old_left if ref_name(old_list[i]) == name]
            news = [j for j in new_left if ref_name(new_list[j]) == name]
            for i, j in zip(olds, news):
                pairs.append((i, j))
                old_left.remove(i)
                new_left.remove(j)
        pair_by(
            lambda node, resolve: (
                None if ref_name(node) else json.dumps(resolve.dict(node), sort_keys=True, default=str)
            )
        )
        # a branch naming one component and a branch naming another are different branches
        # (oasdiff reports the old one removed and the new one added); inline ones are paired on
        inline_old = [i for i in old_left if ref_name(old_list[i]) is None]
        inline_new = [j for j in new_left if ref_name(new_list[j]) is None]
        by_ref_old, by_ref_new = (
            [i for i in old_left if i not in inline_old],
            [j for j in new_left if j not in inline_new],
        )
        old_left, new_left = inline_old, inline_new
        pair_by(lambda node, resolve: resolve.dict(node).get("title"))
        pair_by(lambda node, resolve: json.dumps(sorted(types_of(merged(resolve.dict(node), resolve))[0])) or None)
        if len(old_left) == len(new_left):
            pairs.extend(zip(old_left, new_left))
            old_left, new_left = [], []
        return pairs, sorted(old_left + by_ref_old), sorted(new_left + by_ref_new)
