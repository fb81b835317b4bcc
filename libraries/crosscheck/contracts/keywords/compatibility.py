"""Compatibility of two versions of an OpenAPI document."""

from __future__ import annotations

from typing import Any

from robot.api.deco import keyword

from crosscheck.assertions import AssertionOperator, check
from crosscheck.contracts.compat import breaking_changes
from crosscheck.contracts.context import ContractsContext
from crosscheck.core import Component
from crosscheck.errors import CrosscheckError
from crosscheck.reporting import html_table, log_html


class CompatibilityKeywords(Component[ContractsContext]):
    def _changes(self, old, new):
        old_doc, new_doc = self.ctx.document(old), self.ctx.document(new)
        changes = breaking_changes(old_doc.spec, new_doc.spec)
        caption = f"Breaking changes from {old_doc.title} to {new_doc.title}"
        if changes:
            log_html(html_table([[c.where, c.what] for c in changes], ["where", "change"], caption))
        else:
            log_html(html_table([["(none)", ""]], ["where", "change"], caption))
        return old_doc, new_doc, changes

    @keyword
    def get_breaking_changes(
        self, old: Any, new: Any, assertion_operator: AssertionOperator | None = None, assertion_expected: Any = None
    ) -> list[str]:
        """Returns the changes from ``old`` to ``new`` that break existing clients.

        ``old`` and ``new`` are document aliases, files or URLs. See
        `OpenAPI Changes Should Be Compatible` for what counts as breaking.

        | ${changes} =    Get Breaking Changes    v1.json    v2.json
        | Get Breaking Changes    v1.json    v2.json    contains    /v1/search: path removed
        """
        _, _, changes = self._changes(old, new)
        return check([str(c) for c in changes], assertion_operator, assertion_expected, "Breaking changes")

    @keyword("OpenAPI Changes Should Be Compatible")
    def openapi_changes_should_be_compatible(self, old: Any, new: Any) -> None:
        """Fails if ``new`` breaks a client written against ``old``; additive changes pass.

        Breaking: a removed path or operation; a removed 2xx status; a request
        parameter, body or property that became required; a request type,
        enum or bound narrowed; a response property removed or no longer
        required, or its type changed; a response enum that gained a value.
        The failure lists each change with where it is:

        | 1 breaking change from Demo 1.0 to Demo 2.0: /v1/search: path removed

        | OpenAPI Changes Should Be Compatible    ${CURDIR}/api-v1.json    ${API_URL}/openapi.json
        """
        old_doc, new_doc, changes = self._changes(old, new)
        if changes:
            noun = "breaking change" if len(changes) == 1 else "breaking changes"
            raise CrosscheckError(
                f"{len(changes)} {noun} from {old_doc.title} to {new_doc.title}: " + "; ".join(str(c) for c in changes)
            )
