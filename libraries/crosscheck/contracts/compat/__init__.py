"""Compatibility of two versions of an OpenAPI 3 document (pure: no Robot, no service).

``compatibility_changes`` lists every change that breaks (``ERR``) or may break
(``WARN``) a client written against the old document, each with oasdiff's rule id;
``breaking_changes`` keeps the ``ERR`` ones. What is compared:

* paths by shape (path parameters matched by position), operations, their
  deprecation, sunset dates and stability levels; webhooks and their operations;
* parameters (``schema`` or ``content``, their defaults, required or not);
* request bodies and responses (every status, ``default`` included), every media
  type, response headers;
* schemas deep: types and formats, nullability, enums and ``x-extensible-enum``,
  ``const``, bounds, patterns, required properties (``readOnly`` not in a request,
  ``writeOnly`` not in a response), ``allOf``/``oneOf``/``anyOf``, ``items``,
  ``additionalProperties`` and the JSON Schema 2020-12 constraints.

``$ref`` is followed everywhere inside a document (schemas, parameters, request
bodies, responses, headers, path items), cycles included; ``bundle`` brings in the
targets of references to other files first, for a document read from a file.
"""

from __future__ import annotations

from datetime import date

from crosscheck.contracts.compat.operations import DocumentDiff, shape
from crosscheck.contracts.compat.refs import bundle
from crosscheck.contracts.compat.rules import ERR, LEVELS, WARN, Change, DocumentError, level_of


def compatibility_changes(
    old_spec: dict, new_spec: dict, today: date | None = None, names: tuple[str, str] = ("old document", "new document")
) -> list[Change]:
    """Every ``ERR`` and ``WARN`` change from ``old_spec`` to ``new_spec``, in document order.

    ``today`` is the date sunset dates are compared with (default: today). A document
    the comparison cannot read raises :class:`DocumentError` naming it (``names``) and the place.
    """
    for spec, name in zip((old_spec, new_spec), names):
        if not isinstance(spec, dict):
            raise DocumentError(f"{name} is a {type(spec).__name__}, expected a mapping")
    return DocumentDiff(old_spec, new_spec, today, names).run()


def breaking_changes(old_spec: dict, new_spec: dict, today: date | None = None) -> list[Change]:
    """Every change from ``old_spec`` to ``new_spec`` that breaks an existing client (level ``ERR``)."""
    return [c for c in compatibility_changes(old_spec, new_spec, today) if c.level == ERR]


__all__ = [
    "ERR",
    "LEVELS",
    "WARN",
    "Change",
    "DocumentError",
    "breaking_changes",
    "bundle",
    "compatibility_changes",
    "level_of",
    "shape",
]
