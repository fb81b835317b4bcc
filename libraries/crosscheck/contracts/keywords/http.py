"""HTTP responses against an OpenAPI 3 document."""

from __future__ import annotations

from typing import Any

from robot.api.deco import keyword

from crosscheck.assertions import AssertionOperator, check
from crosscheck.contracts import openapi
from crosscheck.contracts.context import ContractsContext
from crosscheck.contracts.jsonschema_check import format_mismatches
from crosscheck.core import Component
from crosscheck.errors import CrosscheckError
from crosscheck.reporting import html_table, log_html


class HttpKeywords(Component[ContractsContext]):
    @keyword("Load OpenAPI Document")
    def load_openapi_document(self, source: str, alias: str | None = None) -> str:
        """Loads an OpenAPI 3 document from a file (JSON or YAML) or an http(s) URL.

        The document becomes the active one for the other keywords. Returns its
        alias (``alias``, or the document's title and version).

        | ${doc} =    Load OpenAPI Document    ${API_URL}/openapi.json
        | Load OpenAPI Document    ${CURDIR}/v2.yaml    alias=v2
        """
        name = self.ctx.add_document(source, alias)
        doc = self.ctx.documents[name]
        log_html(
            html_table(
                [[op] for op in doc.operations()], ["operation"], f"OpenAPI document {doc.title} from {doc.source}"
            )
        )
        return name

    @keyword("Get OpenAPI Operations")
    def get_openapi_operations(
        self,
        document: str | None = None,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
    ) -> list[str]:
        """Returns every operation of the document as ``METHOD /path``.

        ``document`` is an alias, a file or a URL; the active document when omitted.

        | Get OpenAPI Operations    ${None}    contains    GET /health
        """
        ops = self.ctx.document(document).operations()
        return check(ops, assertion_operator, assertion_expected, "OpenAPI operations")

    @keyword("Get OpenAPI Mismatches")
    def get_openapi_mismatches(
        self,
        response: Any,
        document: str | None = None,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
    ) -> list[str]:
        """Returns every difference between ``response`` and the OpenAPI document.

        Each entry reads ``<where>: expected <what>, got <actual>``: ``status``,
        ``header Content-Type``, ``header <Name>``, or a JSON path into the body
        (``$.symbols[2]``). An empty list means the response matches.

        | ${problems} =    Get OpenAPI Mismatches    ${response}
        | Get OpenAPI Mismatches    ${response}    ${None}    ==    ${{[]}}
        """
        response = openapi.as_response(response)
        found = [str(m) for m in openapi.response_mismatches(self.ctx.document(document), response)]
        return check(
            found, assertion_operator, assertion_expected, f"OpenAPI mismatches of {openapi.describe(response)}"
        )

    @keyword("Response Should Match OpenAPI")
    def response_should_match_openapi(self, response: Any, document: str | None = None) -> None:
        """Fails unless ``response`` matches what the OpenAPI document says of its request.

        Checked: the operation exists, the status code is documented, the
        content type is one the response declares, required headers are
        present and valid, and the body validates against the schema. The
        failure lists every mismatch with its JSON path, expected and actual:

        | GET /v1/universes/etf_core -> 200 does not match its contract (Demo 1.0):
        | 1 mismatch: $.symbols: expected required property, got (missing)

        Works on responses from RequestsLibrary (``GET On Session`` ...).

        | ${response} =    GET On Session    demo    /v1/universes/etf_core
        | Response Should Match OpenAPI    ${response}
        """
        response = openapi.as_response(response)
        doc = self.ctx.document(document)
        mismatches = openapi.response_mismatches(doc, response)
        if mismatches:
            raise CrosscheckError(format_mismatches(mismatches, f"{openapi.describe(response)} ({doc.title})"))
