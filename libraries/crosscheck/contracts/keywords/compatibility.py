"""Compatibility of two versions of an OpenAPI document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from robot.api.deco import keyword

from crosscheck.assertions import AssertionOperator, check
from crosscheck.contracts.compat import ERR, WARN, Change, DocumentError, bundle, compatibility_changes
from crosscheck.contracts.context import ContractsContext
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.reporting import html_table, log_html


def _bundled(spec: dict, source: str) -> dict:
    """``spec`` with its references to other files brought in, when it was read from a file."""
    return bundle(spec, source) if Path(source).is_file() else spec


class CompatibilityKeywords(Component[ContractsContext]):
    def _changes(self, old, new):
        old_doc, new_doc = self.ctx.document(old), self.ctx.document(new)
        try:
            specs = [_bundled(doc.spec, doc.source) for doc in (old_doc, new_doc)]
            changes = compatibility_changes(specs[0], specs[1], names=(old_doc.source, new_doc.source))
        except DocumentError as exc:
            raise ConfigurationError(f"Cannot compare {old_doc.source} with {new_doc.source}: {exc}") from None
        caption = f"Compatibility of {new_doc.title} with {old_doc.title}"
        rows = [[c.level, c.rule, c.where, c.what] for c in changes] or [["", "", "(none)", ""]]
        log_html(html_table(rows, ["level", "rule", "where", "change"], caption))
        return old_doc, new_doc, changes

    @staticmethod
    def _of(changes: list[Change], level: str) -> list[str]:
        return [str(c) for c in changes if c.level == level]

    @keyword
    def get_breaking_changes(
        self, old: Any, new: Any, assertion_operator: AssertionOperator | None = None, assertion_expected: Any = None
    ) -> list[str]:
        """Returns the changes from ``old`` to ``new`` that break existing clients (level ERR).

        ``old`` and ``new`` are document aliases, files or URLs. Each change reads
        ``<operation> <place>: <change>``. See `OpenAPI Changes Should Be Compatible`
        for what counts as breaking, and `Get Compatibility Warnings` for the changes
        that may break some clients. Every change, with its rule id, is logged as a table.

        | ${changes} =    Get Breaking Changes    v1.json    v2.json
        | Get Breaking Changes    v1.json    v2.json    contains    /v1/search: path removed
        """
        _, _, changes = self._changes(old, new)
        return check(self._of(changes, ERR), assertion_operator, assertion_expected, "Breaking changes")

    @keyword
    def get_compatibility_warnings(
        self, old: Any, new: Any, assertion_operator: AssertionOperator | None = None, assertion_expected: Any = None
    ) -> list[str]:
        """Returns the changes from ``old`` to ``new`` that may break some clients (level WARN).

        These do not fail `OpenAPI Changes Should Be Compatible`: a request parameter or
        property removed (a client still sending it may be refused), a bound set where
        there was none (``maximum``, ``maxLength``, ``minItems``), a request pattern
        changed, an optional response property or header removed, a response enum
        that gained a value, a property of an object parameter changed to ``string``.

        | ${warnings} =    Get Compatibility Warnings    v1.json    v2.json
        | Get Compatibility Warnings    v1.json    v2.json    ==    ${{[]}}
        """
        _, _, changes = self._changes(old, new)
        return check(self._of(changes, WARN), assertion_operator, assertion_expected, "Compatibility warnings")

    @keyword
    def get_compatibility_rules(
        self,
        old: Any,
        new: Any,
        level: str = "ERR",
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
    ) -> list[str]:
        """Returns the rule ids of the changes from ``old`` to ``new`` at ``level`` (``ERR``, ``WARN`` or ``ALL``), sorted and unique.

        Rule ids are oasdiff's (``request-property-became-required``,
        ``response-success-status-removed``, ...), so a suite can assert on the kind of
        change without its wording:

        | Get Compatibility Rules    v1.json    v2.json    ERR    contains    api-path-removed-without-deprecation
        """
        wanted = level.strip().upper()
        if wanted not in (ERR, WARN, "ALL"):
            raise ConfigurationError(f"Level must be ERR, WARN or ALL, got {level!r}.")
        _, _, changes = self._changes(old, new)
        rules = sorted({c.rule for c in changes if wanted == "ALL" or c.level == wanted})
        return check(rules, assertion_operator, assertion_expected, f"{wanted} compatibility rules")

    @keyword("OpenAPI Changes Should Be Compatible")
    def openapi_changes_should_be_compatible(self, old: Any, new: Any) -> None:
        """Fails if ``new`` breaks a client written against ``old``; additive changes pass.

        Breaking (level ERR), among others: a removed path or operation (unless it was
        deprecated and its ``x-sunset`` date has passed); a removed 2xx status or
        response media type; a request parameter, body or property that became
        required; a request type, format, enum or bound narrowed, a pattern added; a
        parameter default changed; a response property removed or no longer required,
        its type changed or widened, made nullable or its bounds loosened; a required
        response header removed; a ``oneOf`` branch removed from a request or added
        to a response. Paths are matched by shape (``/groups/{id}`` and
        ``/groups/{group_id}`` are the same path), ``$ref`` is followed everywhere,
        every media type is compared, ``allOf``/``oneOf``/``anyOf`` are traversed,
        ``readOnly`` properties are not part of a request and ``writeOnly`` ones not
        of a response. The changes of level WARN (see `Get Compatibility Warnings`) are
        logged, not failed. The failure lists each change with where it is:

        | 1 breaking change from Demo 1.0 to Demo 2.0: /v1/search: path removed

        | OpenAPI Changes Should Be Compatible    ${CURDIR}/api-v1.json    ${API_URL}/openapi.json
        """
        old_doc, new_doc, changes = self._changes(old, new)
        breaking = self._of(changes, ERR)
        if breaking:
            noun = "breaking change" if len(breaking) == 1 else "breaking changes"
            raise CrosscheckError(
                f"{len(breaking)} {noun} from {old_doc.title} to {new_doc.title}: " + "; ".join(breaking)
            )
