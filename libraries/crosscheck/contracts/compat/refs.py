"""``$ref`` resolution inside one document, safe against reference cycles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from crosscheck.contracts.compat.rules import DocumentError


class Resolver:
    """Follows local ``$ref`` pointers (``#/components/...``) of one document.

    A reference to another file is not followed here (run :func:`bundle` first for a
    document read from a file): it is read as a schema that accepts anything. A local reference that points
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


EXTERNAL = "x-crosscheck-external"


def bundle(spec: dict, location: str | Path) -> dict:
    """``spec`` read from the file ``location``, with every ``$ref`` to another file brought in.

    ``$ref: schemas/pet.yaml`` or ``$ref: common.json#/components/schemas/Pet`` (relative to
    the file that holds it, chains of files included) become local references to a copy of
    their target kept under ``x-crosscheck-external``, named after the target (``Pet``,
    ``pet``), so the comparison follows them like any other. References to URLs are left as
    they are (read as a schema that accepts anything). A file that cannot be read is a
    :class:`DocumentError` naming the reference and the file.
    """
    root = Path(location).resolve()
    documents: dict[Path, Any] = {root: spec}
    slots: dict[tuple[Path, str], str] = {}
    store: dict[str, Any] = {}

    def document(path: Path, ref: str, holder: Path) -> Any:
        if path not in documents:
            try:
                documents[path] = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError) as exc:
                raise DocumentError(
                    f"$ref {ref!r} in {holder.name} points to {path}, which cannot be read "
                    f"({type(exc).__name__}); check the file exists beside {holder.name}"
                ) from None
        return documents[path]

    def slot(path: Path, fragment: str, ref: str, holder: Path) -> str:
        key = (path, fragment)
        if key not in slots:
            base = fragment.rstrip("/").rsplit("/", 1)[-1] if fragment.strip("/") else path.stem
            name, n = base.replace("~1", "-").replace("~0", "-") or "document", 1
            while name in store:
                n += 1
                name = f"{base}-{n}"
            slots[key] = name
            store[name] = None  # taken before the target is copied: a file that refers back ends here
            target = Resolver(document(path, ref, holder), path.name).target("#" + fragment)
            store[name] = copy(target, path)
        return slots[key]

    def copy(node: Any, holder: Path) -> Any:
        if isinstance(node, list):
            return [copy(v, holder) for v in node]
        if not isinstance(node, dict):
            return node
        out = {k: copy(v, holder) for k, v in node.items() if k != "$ref"}
        ref = node.get("$ref")
        if not isinstance(ref, str):
            if "$ref" in node:
                out["$ref"] = node["$ref"]
            return out
        file_part, _, fragment = ref.partition("#")
        if "://" in file_part:
            out["$ref"] = ref
            return out
        path = (holder.parent / file_part).resolve() if file_part else holder
        if path == root:
            out["$ref"] = "#" + fragment
        else:
            out["$ref"] = f"#/{EXTERNAL}/{slot(path, fragment, ref, holder)}"
        return out

    bundled = copy(spec, root)
    if store:
        bundled[EXTERNAL] = store
    return bundled
