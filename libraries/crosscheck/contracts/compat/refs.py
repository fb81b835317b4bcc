"""``$ref`` resolution inside one document, safe against reference cycles."""

from __future__ import annotations

from typing import Any

from crosscheck.contracts.compat.rules import DocumentError


class Resolver:
    """Follows local ``$ref`` pointers (``#/components/...``) of one document.

    A reference to another file cannot be followed by a pure comparison: it is read
    as a schema that accepts anything, on both sides. A local reference that points
    nowhere is a :class:`DocumentError` naming the reference and the place it was met
    (``place`` is set by the walker as it goes).
    """

    def __init__(self, spec: dict, name: str = "document"):
        self.spec = spec
        self.name = name
        self.place = ""

    def __call__(self, node: Any) -> Any:
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if not ref.startswith("#"):
                return {}
            if ref in seen:  # a reference to itself, directly or through others
                return {}
            seen.add(ref)
            node = self.target(ref)
        return node

    def target(self, ref: str) -> Any:
        target: Any = self.spec
        for part in ref[1:].lstrip("/").split("/") if ref not in ("#", "#/") else []:
            key = part.replace("~1", "/").replace("~0", "~")
            if isinstance(target, dict) and key in target:
                target = target[key]
            elif isinstance(target, list) and key.isdigit() and int(key) < len(target):
                target = target[int(key)]
            else:
                at = f" at {self.place}" if self.place else ""
                raise DocumentError(f"$ref {ref!r}{at} in {self.name} does not resolve (no {key!r})")
        return target

    def dict(self, node: Any) -> dict:
        """``node`` resolved, or ``{}`` when it is not a mapping."""
        node = self(node)
        return node if isinstance(node, dict) else {}


def ref_name(node: Any) -> str | None:
    """The last segment of ``node``'s ``$ref`` (``Pet`` for ``#/components/schemas/Pet``), if it has one."""
    if isinstance(node, dict) and isinstance(node.get("$ref"), str):
        return node["$ref"].rsplit("/", 1)[-1]
    return None
