"""Paths, operations, parameters, request bodies and responses of two documents, side by side.

Paths are matched by shape: ``/groups/{group_id}`` and ``/groups/{groupId}`` are the
same path, and their path parameters are matched by position. Every media type of a
body is compared, a media type covered by a wildcard of the other document counts
as present, and ``default`` and error responses are compared like success ones.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from crosscheck.contracts.compat.refs import Resolver
from crosscheck.contracts.compat.rules import Change, DocumentError, change
from crosscheck.contracts.compat.schemas import Place, SchemaDiff
from crosscheck.contracts.compat.vocabulary import STABILITY, sunset

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_TEMPLATE = re.compile(r"{([^}/]+)}")


def shape(path: str) -> str:
    """``/groups/{}/members`` for ``/groups/{group_id}/members``."""
    return _TEMPLATE.sub("{}", path.rstrip("/") or "/")


def _section(spec: dict, key: str, name: str) -> dict:
    value = spec.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DocumentError(f"'{key}' in {name} is a {type(value).__name__}, expected a mapping")
    return value


def _media(name: str) -> str:
    return name.split(";", 1)[0].strip().lower()


def _loose(media: str) -> bool:
    """Is ``media`` loosely typed (not JSON): a value of any type reads as text there.

    A wildcard (``*/*``, ``application/*``) may stand for JSON, so it is not."""
    name = _media(media)
    return not (name == "application/json" or name.endswith("+json") or "*" in name)


def _form_explode(where: str, param: dict) -> bool:
    """Is the parameter serialized ``style: form, explode: true`` (the default in a query or a cookie)?"""
    if "schema" not in param:  # serialized by its content's media type
        return False
    style = param.get("style", "form" if where in ("query", "cookie") else "simple")
    return style == "form" and param.get("explode", style == "form") is not False


def _find_media(content: dict, media: str) -> str | None:
    """The key of ``content`` that serves ``media``: itself, or a wildcard that covers it."""
    wanted = _media(media)
    by_name = {_media(k): k for k in content}
    if wanted in by_name:
        return by_name[wanted]
    kind = wanted.split("/", 1)[0]
    return by_name.get(f"{kind}/*") or by_name.get("*/*")


def _stability(op: dict) -> str | None:
    """The operation's ``x-stability-level`` as text (``None`` when absent), whatever its YAML type."""
    level = op.get("x-stability-level")
    return None if level is None else str(level)


class DocumentDiff:
    """Compares two whole documents; ``changes`` gets every ERR and WARN change."""

    def __init__(
        self, old_spec: dict, new_spec: dict, today: date | None = None, names: tuple[str, str] = ("old", "new")
    ):
        self.old_spec, self.new_spec, self.names = old_spec, new_spec, names
        self.old, self.new = Resolver(old_spec, names[0]), Resolver(new_spec, names[1])
        self.today = today or date.today()
        self.changes: list[Change] = []
        self.schemas = SchemaDiff(self.old, self.new, self.changes, self.today)

    def add(self, where: str, what: str, rule: str) -> None:
        self.changes.append(change(where, what, rule))

    def run(self) -> list[Change]:
        old_paths = _section(self.old_spec, "paths", self.names[0])
        new_paths = _section(self.new_spec, "paths", self.names[1])
        new_by_shape = {shape(p): p for p in new_paths}
        for path, old_item in old_paths.items():
            self.old.place = path
            old_item = self.old.dict(old_item)
            new_path = path if path in new_paths else new_by_shape.get(shape(path))
            if new_path is None:
                self._path_removed(path, old_item)
                continue
            self.new.place = new_path
            self._path(path, old_item, new_path, self.new.dict(new_paths[new_path]))
        old_hooks = _section(self.old_spec, "webhooks", self.names[0])
        new_hooks = _section(self.new_spec, "webhooks", self.names[1])
        for name, old_item in old_hooks.items():
            if name not in new_hooks:
                self.add(f"webhook {name}", "webhook removed", "webhook-removed")
                continue
            # a webhook's operations are compared like a path's, in the same directions, as oasdiff does
            self.old.place = self.new.place = f"webhook {name}"
            label = f"webhook {name}"
            self._path(label, self.old.dict(old_item), label, self.new.dict(new_hooks[name]))
        return self.changes

    # -- removals and lifecycle ------------------------------------------------------------------

    def _removal(self, op: dict) -> tuple[str, str] | None:
        """(rule suffix, reason) when removing ``op`` breaks clients, else None."""
        if _stability(op) in ("draft", "alpha"):
            return None
        if not op.get("deprecated"):
            return "without-deprecation", ""
        when = sunset(op.get("x-sunset"))
        if isinstance(when, str):
            return "sunset-parse", f" (its sunset date {when!r} is not a date)"
        if isinstance(when, date) and when > self.today:
            return "before-sunset", f" before its sunset date {when}"
        return None

    def _path_removed(self, path: str, item: dict) -> None:
        found = [self._removal(self.old.dict(item[m])) for m in HTTP_METHODS if m in item]
        broken = [f for f in found if f is not None]
        if broken:
            suffix, reason = broken[0]
            rule = "api-path-sunset-parse" if suffix == "sunset-parse" else f"api-path-removed-{suffix}"
            self.add(path, "path removed" + reason, rule)

    def _lifecycle(self, name: str, old_op: dict, new_op: dict) -> None:
        before, after = _stability(old_op), _stability(new_op)
        invalid = [(doc, level) for doc, level in zip(self.names, (before, after)) if level and level not in STABILITY]
        if invalid and old_op != new_op:  # judged on operations that changed, as oasdiff does
            doc, level = invalid[-1]
            what = f"stability level {level!r} in {doc} is not one of {list(STABILITY)}"
            self.add(name, what, "api-invalid-stability-level")
        elif before in STABILITY and after in STABILITY and STABILITY[after] < STABILITY[before]:
            self.add(name, f"stability decreased from {before} to {after}", "api-stability-decreased")
        old_sunset, new_sunset = sunset(old_op.get("x-sunset")), sunset(new_op.get("x-sunset"))
        if old_op.get("deprecated") and isinstance(old_sunset, str) and old_sunset != new_sunset:
            what = f"sunset date {old_sunset!r} in {self.names[0]} is not a date, so its change cannot be judged"
            self.add(name, what, "api-path-sunset-parse")
            return
        if not new_op.get("deprecated"):
            return
        if isinstance(new_sunset, str):
            if not old_op.get("deprecated"):
                self.add(name, f"sunset date {new_sunset!r} is not a date", "api-deprecated-sunset-parse")
            elif new_sunset != old_sunset:
                self.add(name, f"sunset date changed to {new_sunset!r}, which is not a date", "api-path-sunset-parse")
        elif new_sunset is None and old_op.get("deprecated") and old_sunset is not None:
            self.add(name, f"sunset date {old_sunset} deleted while still deprecated", "sunset-deleted")
        elif isinstance(new_sunset, date) and isinstance(old_sunset, date) and new_sunset < old_sunset:
            what = f"sunset date moved earlier from {old_sunset} to {new_sunset}"
            self.add(name, what, "api-sunset-date-changed-too-small")
        elif isinstance(new_sunset, date) and not old_op.get("deprecated") and new_sunset < self.today:
            self.add(name, f"deprecated with a sunset date in the past: {new_sunset}", "api-sunset-date-too-small")

    # -- operations ------------------------------------------------------------------------------

    def _path(self, path: str, old_item: dict, new_path: str, new_item: dict) -> None:
        renames = dict(zip(_TEMPLATE.findall(new_path), _TEMPLATE.findall(path)))
        for method in HTTP_METHODS:
            if method not in old_item:
                continue
            name = f"{method.upper()} {path}"
            old_op = self.old.dict(old_item[method])
            if method not in new_item:
                removal = self._removal(old_op)
                if removal:
                    suffix, reason = removal
                    rule = "api-path-sunset-parse" if suffix == "sunset-parse" else f"api-removed-{suffix}"
                    self.add(name, "operation removed" + reason, rule)
                continue
            new_op = self.new.dict(new_item[method])
            self._lifecycle(name, old_op, new_op)
            self._parameters(name, old_item, old_op, new_item, new_op, renames)
            self._request_body(name, old_op, new_op)
            self._responses(name, old_op, new_op)

    def _params(
        self, item: dict, op: dict, resolve: Resolver, renames: dict
    ) -> dict[tuple[str, str], tuple[dict, bool]]:
        """(in, name) -> (parameter, declared on the path item); header names compare case-insensitively."""
        found: dict[tuple[str, str], tuple[dict, bool]] = {}
        for source, at_path in ((item.get("parameters") or [], True), (op.get("parameters") or [], False)):
            for raw in source:
                param = resolve.dict(raw)
                if "name" not in param:
                    continue
                where, name = str(param.get("in", "query")), str(param["name"])
                if where == "path":
                    name = renames.get(name, name)
                if where == "header":
                    name = name.lower()
                found[(where, name)] = (param, at_path)
        return found

    @staticmethod
    def _param_schema(param: dict) -> Any:
        if "schema" in param:
            return param["schema"]
        for media in (param.get("content") or {}).values():
            if isinstance(media, dict):
                return media.get("schema", {})
        return {}

    def _parameters(self, name: str, old_item, old_op, new_item, new_op, renames: dict) -> None:
        old_p = self._params(old_item, old_op, self.old, {})
        new_p = self._params(new_item, new_op, self.new, renames)
        for key, (param, at_path) in new_p.items():
            shown = param["name"] if key[0] != "path" else key[1]
            where = f"{name} {key[0]} parameter '{shown}'"
            if key not in old_p:
                if key[0] == "path":
                    self.add(where, "path parameter added", "new-request-path-parameter")
                elif param.get("required"):
                    rule = (
                        "new-required-request-default-parameter-to-existing-path"
                        if at_path
                        else "new-required-request-parameter"
                    )
                    self.add(where, "added as required", rule)
                continue
            old = old_p[key][0]
            if param.get("required") and not old.get("required") and key[0] != "path":
                self.add(where, "became required", "request-parameter-became-required")
            self._parameter_lifecycle(where, old, param)
            at = Place(
                name,
                f"{key[0]} parameter '{shown}'",
                "request-parameter",
                header=key[0] == "header",
                loose=all(_loose(media) for media in param.get("content") or {}),
                form_explode=_form_explode(key[0], param),
            )
            self.schemas.compare(self._param_schema(old), self._param_schema(param), at, "")
        for key, (param, _) in old_p.items():
            if key in new_p or key[0] == "path":
                continue
            where = f"{name} {key[0]} parameter '{param['name']}'"
            when = sunset(param.get("x-sunset"))
            if param.get("deprecated") and isinstance(when, str):
                what = f"removed, and its sunset date {when!r} is not a date"
                self.add(where, what, "request-parameter-sunset-parse")
            elif param.get("deprecated") and isinstance(when, date) and when > self.today:
                self.add(where, f"removed before its sunset date {when}", "request-parameter-removed-before-sunset")
            else:
                self.add(where, "removed", "request-parameter-removed")

    def _parameter_lifecycle(self, where: str, old: dict, new: dict) -> None:
        before, after = sunset(old.get("x-sunset")), sunset(new.get("x-sunset"))
        if old.get("deprecated") and isinstance(before, str) and before != after:
            what = f"sunset date {before!r} in {self.names[0]} is not a date, so its change cannot be judged"
            self.add(where, what, "request-parameter-sunset-parse")
            return
        if not new.get("deprecated"):
            return
        if isinstance(after, str):
            if after != before or not old.get("deprecated"):
                self.add(where, f"sunset date {after!r} is not a date", "request-parameter-sunset-parse")
        elif after is None and old.get("deprecated") and before is not None:
            self.add(where, f"sunset date {before} deleted while still deprecated", "request-parameter-sunset-deleted")
        elif isinstance(after, date) and isinstance(before, date) and after < before:
            what = f"sunset date moved earlier from {before} to {after}"
            self.add(where, what, "request-parameter-sunset-date-changed-too-small")
        elif isinstance(after, date) and not old.get("deprecated") and after < self.today:
            what = f"deprecated with a sunset date in the past: {after}"
            self.add(where, what, "request-parameter-sunset-date-too-small")

    # -- bodies ----------------------------------------------------------------------------------

    def _request_body(self, name: str, old_op: dict, new_op: dict) -> None:
        self.old.place = self.new.place = f"{name} request body"
        old_b, new_b = self.old.dict(old_op.get("requestBody")), self.new.dict(new_op.get("requestBody"))
        where = f"{name} request body"
        if not old_b:
            if new_b.get("required"):
                self.add(where, "added as required", "request-body-added-required")
            return
        if not new_b:
            self.add(where, "removed", "request-body-removed")
            return
        if new_b.get("required") and not old_b.get("required"):
            self.add(where, "became required", "request-body-became-required")
        old_c, new_c = old_b.get("content") or {}, new_b.get("content") or {}
        for media, old_m in old_c.items():
            found = _find_media(new_c, media)
            if found is None:
                self.add(where, f"content type {media} no longer accepted", "request-body-media-type-removed")
                continue
            old_m, new_m = self.old.dict(old_m), self.new.dict(new_c[found])
            if "schema" not in old_m and "schema" in new_m:
                self.add(where, f"content type {media}: schema added", "request-body-media-type-schema-added")
                continue
            place = "request body" if _media(media) == "application/json" else f"request body {media}"
            self.schemas.compare(
                old_m.get("schema"), new_m.get("schema"), Place(name, place, "request-body", loose=_loose(media)), "$"
            )

    def _responses(self, name: str, old_op: dict, new_op: dict) -> None:
        old_r, new_r = old_op.get("responses") or {}, new_op.get("responses") or {}
        new_codes = {str(c).upper(): c for c in new_r}
        new_ok = sorted(str(c) for c in new_r if str(c).startswith("2"))
        for code, old_resp in old_r.items():
            text = str(code).upper()
            found = new_codes.get(text) or new_codes.get(text[0] + "XX")
            if found is None:
                if text.startswith("2"):
                    now = f" (now {', '.join(new_ok)})" if new_ok else ""
                    self.add(name, f"response status {code} removed{now}", "response-success-status-removed")
                continue
            self.old.place = self.new.place = f"{name} {code} response"
            self._response(name, str(code), self.old.dict(old_resp), self.new.dict(new_r[found]))

    def _response(self, name: str, code: str, old: dict, new: dict) -> None:
        old_h = {k.lower(): (k, v) for k, v in (old.get("headers") or {}).items() if k.lower() != "content-type"}
        new_h = {k.lower(): (k, v) for k, v in (new.get("headers") or {}).items()}
        for key, (shown, raw) in old_h.items():
            header = self.old.dict(raw)
            where = f"{name} {code} response header '{shown}'"
            if key not in new_h:
                if header.get("required"):
                    self.add(where, "required header removed", "required-response-header-removed")
                else:
                    self.add(where, "optional header removed", "optional-response-header-removed")
                continue
            new_header = self.new.dict(new_h[key][1])
            if header.get("required") and not new_header.get("required"):
                self.add(where, "no longer required (may be missing)", "response-header-became-optional")
            at = Place(name, f"{code} response header '{shown}'", "response-header")
            self.schemas.compare(self._param_schema(header), self._param_schema(new_header), at, "")
        old_c, new_c = old.get("content") or {}, new.get("content") or {}
        for media, old_m in old_c.items():
            found = {_media(k): k for k in new_c}.get(_media(media))
            if found is None:
                general = _find_media(new_c, media)
                if general is not None:
                    what = f"response content type {media} generalized to {general}"
                    self.add(f"{name} {code}", what, "response-media-type-name-generalized")
                else:
                    self.add(f"{name} {code}", f"response content type {media} removed", "response-media-type-removed")
                continue
            old_m, new_m = self.old.dict(old_m), self.new.dict(new_c[found])
            if "schema" in old_m and "schema" not in new_m:
                what = f"response content type {media}: schema removed"
                self.add(f"{name} {code}", what, "response-body-media-type-schema-removed")
                continue
            place = f"{code} response body" + ("" if _media(media) == "application/json" else f" {media}")
            self.schemas.compare(
                old_m.get("schema"), new_m.get("schema"), Place(name, place, "response-body", loose=_loose(media)), "$"
            )
