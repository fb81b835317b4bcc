"""Breaking changes between two versions of an OpenAPI 3 document.

A change breaks an existing client when:

* a path or an operation (method on a path) is removed;
* a success status an operation documented (2xx) is gone ("changed status code");
* a request parameter or body property becomes required, or a request body
  becomes required;
* a request value is narrowed: its type accepts less (``number`` -> ``integer``),
  an enum value is removed, a bound tightens (``maxLength``, ``maximum``, ...);
* a response property the old document promised is removed or no longer
  required, or its type changes to one the old document did not allow, or a
  response enum gains a value.

Additive changes (new paths, operations, optional parameters, optional request
properties, response properties, wider request types) are compatible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crosscheck.contracts.openapi import HTTP_METHODS


@dataclass(frozen=True)
class Change:
    where: str  # e.g. ``PUT /v1/universes/{name} request body $.symbols``
    what: str  # e.g. ``type narrowed from ["number"] to ["integer"]``

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


class _Resolver:
    def __init__(self, spec: dict):
        self.spec = spec

    def __call__(self, node: Any, depth: int = 0) -> Any:
        while isinstance(node, dict) and "$ref" in node and depth < 50:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                return {}
            target: Any = self.spec
            for part in ref[2:].split("/"):
                target = target.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(target, dict) else {}
            node = target
            depth += 1
        return node if isinstance(node, dict) else {}


def _types(schema: dict) -> set[str]:
    t = schema.get("type")
    if t is None:
        return set()  # any
    types = {t} if isinstance(t, str) else set(t)
    if schema.get("nullable"):
        types.add("null")
    return types


def _accepts(wide: set[str], narrow: set[str]) -> bool:
    """Does a schema of types ``wide`` accept every value of types ``narrow``?"""
    if not wide:
        return True
    if not narrow:
        return False
    return all(t in wide or (t == "integer" and "number" in wide) for t in narrow)


_TIGHTER = {  # keyword -> True when a larger new value is tighter
    "minimum": True,
    "exclusiveMinimum": True,
    "minLength": True,
    "minItems": True,
    "minProperties": True,
    "maximum": False,
    "exclusiveMaximum": False,
    "maxLength": False,
    "maxItems": False,
    "maxProperties": False,
}

_MAX_DEPTH = 12


def _compare(
    old: dict,
    new: dict,
    where: str,
    request: bool,
    resolvers: tuple[_Resolver, _Resolver],
    out: list[Change],
    depth: int = 0,
) -> None:
    old, new = resolvers[0](old), resolvers[1](new)
    if depth > _MAX_DEPTH or not old and not new:
        return
    old_t, new_t = _types(old), _types(new)
    if request and not _accepts(new_t, old_t):
        out.append(Change(where, f"type narrowed from {sorted(old_t) or 'any'} to {sorted(new_t)}"))
    if not request and new_t and old_t != new_t and not _accepts(old_t, new_t):
        out.append(Change(where, f"type changed from {sorted(old_t)} to {sorted(new_t)}"))
    if not request and not new_t and old_t:
        out.append(Change(where, f"type widened from {sorted(old_t)} to any"))
    if "enum" in old or "enum" in new:
        old_e, new_e = old.get("enum"), new.get("enum")
        if request and new_e is not None:
            removed = [v for v in (old_e or []) if v not in new_e]
            if old_e is None:
                out.append(Change(where, f"enum {new_e} added (values were free)"))
            elif removed:
                out.append(Change(where, f"enum narrowed: {removed} no longer accepted"))
        if not request and old_e is not None:
            added = [v for v in (new_e or []) if v not in old_e]
            if new_e is None:
                out.append(Change(where, f"enum {old_e} removed (any value may now be returned)"))
            elif added:
                out.append(Change(where, f"enum widened: {added} may now be returned"))
    if request:
        for key, larger_is_tighter in _TIGHTER.items():
            if key in new and isinstance(new[key], (int, float)) and not isinstance(new[key], bool):
                before = old.get(key)
                tighter = before is None or (new[key] > before if larger_is_tighter else new[key] < before)
                if tighter:
                    out.append(
                        Change(where, f"{key} tightened from {before if before is not None else 'none'} to {new[key]}")
                    )
        if new.get("pattern") and new.get("pattern") != old.get("pattern"):
            out.append(Change(where, f"pattern changed from {old.get('pattern')!r} to {new['pattern']!r}"))
    old_props, new_props = old.get("properties", {}) or {}, new.get("properties", {}) or {}
    old_req, new_req = set(old.get("required", []) or []), set(new.get("required", []) or [])
    for name in sorted(set(old_props) | set(new_props) | old_req | new_req):
        child = f"{where}.{name}"
        if request:
            if name in new_req and name not in old_req:
                out.append(Change(child, "became required"))
            if name in old_props and name not in new_props and new.get("additionalProperties") is False:
                out.append(Change(child, "removed and no longer accepted (additionalProperties: false)"))
        else:
            if name in old_props and name not in new_props:
                out.append(Change(child, "removed from the response"))
                continue
            if name in old_req and name not in new_req:
                out.append(Change(child, "no longer required (may be missing from the response)"))
        if name in old_props and name in new_props:
            _compare(old_props[name], new_props[name], child, request, resolvers, out, depth + 1)
    if "items" in old or "items" in new:
        _compare(old.get("items", {}), new.get("items", {}), f"{where}[]", request, resolvers, out, depth + 1)


def _params(op: dict, item: dict, resolve: _Resolver) -> dict[tuple[str, str], dict]:
    merged: dict[tuple[str, str], dict] = {}
    for p in list(item.get("parameters", [])) + list(op.get("parameters", [])):
        p = resolve(p)
        if "name" in p:
            merged[(p.get("in", "query"), p["name"])] = p
    return merged


def _json_schema(content: dict, resolve: _Resolver) -> tuple[str | None, dict]:
    for media, body in (content or {}).items():
        if "json" in media:
            return media, resolve(body).get("schema", {})
    return None, {}


def breaking_changes(old_spec: dict, new_spec: dict) -> list[Change]:
    """Every change from ``old_spec`` to ``new_spec`` that breaks an existing client."""
    old_r, new_r = _Resolver(old_spec), _Resolver(new_spec)
    out: list[Change] = []
    old_paths, new_paths = old_spec.get("paths", {}) or {}, new_spec.get("paths", {}) or {}
    for path, old_item in old_paths.items():
        old_item = old_r(old_item)
        if path not in new_paths:
            out.append(Change(path, "path removed"))
            continue
        new_item = new_r(new_paths[path])
        for method in HTTP_METHODS:
            if method not in old_item:
                continue
            op_name = f"{method.upper()} {path}"
            if method not in new_item:
                out.append(Change(op_name, "operation removed"))
                continue
            old_op, new_op = old_r(old_item[method]), new_r(new_item[method])
            # parameters
            old_p, new_p = _params(old_op, old_item, old_r), _params(new_op, new_item, new_r)
            for key, param in new_p.items():
                where = f"{op_name} {key[0]} parameter '{key[1]}'"
                if param.get("required") and not (key in old_p and old_p[key].get("required")):
                    out.append(Change(where, "added as required" if key not in old_p else "became required"))
                if key in old_p:
                    _compare(old_p[key].get("schema", {}), param.get("schema", {}), where, True, (old_r, new_r), out)
            # request body
            old_b, new_b = old_r(old_op.get("requestBody", {})), new_r(new_op.get("requestBody", {}))
            if new_b.get("required") and not old_b.get("required"):
                out.append(Change(f"{op_name} request body", "became required"))
            old_media, old_schema = _json_schema(old_b.get("content", {}), old_r)
            new_media, new_schema = _json_schema(new_b.get("content", {}), new_r)
            if old_media and not new_media and new_b:
                out.append(Change(f"{op_name} request body", f"content type {old_media} no longer accepted"))
            if old_media and new_media:
                _compare(old_schema, new_schema, f"{op_name} request body $", True, (old_r, new_r), out)
            # responses
            old_resp, new_resp = old_op.get("responses", {}) or {}, new_op.get("responses", {}) or {}
            old_ok = sorted(c for c in old_resp if str(c).startswith("2"))
            new_ok = sorted(c for c in new_resp if str(c).startswith("2"))
            for code in old_ok:
                if code not in new_resp:
                    now = f" (now {', '.join(map(str, new_ok))})" if new_ok else ""
                    out.append(Change(op_name, f"response status {code} removed{now}"))
                    continue
                old_c = old_r(old_resp[code]).get("content", {})
                new_c = new_r(new_resp[code]).get("content", {})
                o_media, o_schema = _json_schema(old_c, old_r)
                n_media, n_schema = _json_schema(new_c, new_r)
                if o_media and not n_media:
                    out.append(Change(f"{op_name} {code}", f"response content type {o_media} removed"))
                if o_media and n_media:
                    _compare(o_schema, n_schema, f"{op_name} {code} response body $", False, (old_r, new_r), out)
    return out
