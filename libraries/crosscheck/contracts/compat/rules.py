"""Rule ids, their levels, and the :class:`Change` every comparison reports.

Rule ids follow oasdiff's catalogue (``request-property-became-required``,
``response-success-status-removed``, ...), so a finding can be looked up there.
Two levels are reported:

* ``ERR``: the change breaks a client written against the old document;
* ``WARN``: the change may break some clients (a parameter removed, a bound set
  where there was none, a response enum that gained a value): worth a look, but
  not a failure.
"""

from __future__ import annotations

from dataclasses import dataclass

ERR = "ERR"
WARN = "WARN"
LEVELS = (ERR, WARN)

WARN_RULES = frozenset(
    {
        "optional-response-header-removed",
        "request-body-all-of-removed",
        "request-property-all-of-removed",
        "request-parameter-removed",
        "request-property-removed",
        "request-parameter-pattern-changed",
        "request-parameter-property-type-changed",
        "request-property-pattern-changed",
        "response-body-media-type-schema-removed",
        "response-optional-property-removed",
        "response-property-enum-value-added",
        "response-body-enum-value-added",
        "response-required-property-became-not-write-only",
    }
)


def level_of(rule: str) -> str:
    """``WARN`` for the rules that may break some clients, ``ERR`` for the others.

    Every ``...-set`` rule (a bound set where there was none, such as
    ``request-property-max-set``) is a warning: oasdiff's catalogue makes them so,
    since a client rarely sends values that large.
    """
    if rule in WARN_RULES or rule.endswith("-set"):
        return WARN
    return ERR


@dataclass(frozen=True)
class Change:
    """One change between two documents: where, what, its rule id and level."""

    where: str  # e.g. ``PUT /v1/universes/{name} request body $.symbols``
    what: str  # e.g. ``type narrowed from ['number'] to ['integer']``
    rule: str = ""  # oasdiff's rule id, e.g. ``request-property-type-changed``
    level: str = ERR

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def change(where: str, what: str, rule: str) -> Change:
    return Change(where, what, rule, level_of(rule))


class DocumentError(ValueError):
    """A document the comparison cannot read: a ``$ref`` that does not resolve, a section of the wrong kind."""
