"""A bounded property-based sweep of every operation (schemathesis)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from robot.api import logger
from robot.api.deco import keyword

from crosscheck.contracts.context import ContractsContext
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.reporting import html_table, log_html

SHOWN = 20  # findings written into the failure message; the log's table has all of them


def _robot_output_dir() -> Path | None:
    from robot.running.context import EXECUTION_CONTEXTS

    if EXECUTION_CONTEXTS.current is None:
        return None
    from robot.libraries.BuiltIn import BuiltIn

    folder = BuiltIn().get_variable_value("${OUTPUT_DIR}")
    return Path(folder) if folder else None


def _names(value: list[str] | str | None) -> list[str] | None:
    if value is None or isinstance(value, list):
        return value
    return [part.strip() for part in value.replace(",", " ").split() if part.strip()]


class SweepKeywords(Component[ContractsContext]):
    @keyword("Sweep OpenAPI Operations")
    def sweep_openapi_operations(
        self,
        base_url: str,
        document: str | None = None,
        headers: dict | None = None,
        max_examples: int = 10,
        include: list[str] | None = None,
        exclude: list[str] | None = None,
        negative_only: list[str] | None = None,
        deadline: timedelta = timedelta(seconds=60),
        checks: list[str] | str | None = None,
        allow: list[str] | str | None = None,
    ) -> dict:
        """Sends generated requests to every operation and fails on each response that breaks a chosen check.

        schemathesis generates up to ``max_examples`` valid (*positive*) and up to
        ``max_examples`` invalid (*negative*) requests per operation (repeatable: a
        fixed seed) and checks every response. The sweep stops at ``deadline``.
        ``include``, ``exclude`` and ``negative_only`` are glob patterns on
        ``METHOD /path``: operations matched by ``negative_only`` get invalid
        requests only (use it for operations that write with valid data).
        ``headers`` go with every request (e.g. an API key).

        ``checks`` names the schemathesis checks to run (a list, or names separated
        by commas). By default: ``not_a_server_error`` (no 5xx),
        ``status_code_conformance``, ``content_type_conformance`` and
        ``response_schema_conformance`` (the response is one the document
        promises) and ``negative_data_rejection`` (invalid data gets a 4xx).
        Also available: ``response_headers_conformance`` (documented response
        headers) and ``positive_data_acceptance`` (valid data is not rejected).
        An unknown name is refused with the list of valid ones, as the installed
        schemathesis names them; so are the checks that judge what a sweep never
        sends (``use_after_free``, ``ensure_resource_availability``,
        ``object_level_authorization``, ``ignored_auth``,
        ``missing_required_header``, ``unsupported_method``,
        ``allow_header_conformance``), with the reason.

        Each finding reads ``<operation> (<mode>): <check> (HTTP <status>): <detail>``,
        followed by the request as a ``curl`` line (secret headers such as
        ``X-API-Key`` and ``Authorization`` written as ``***``). The detail says
        what was wrong: for a response that does not match the document, the JSON
        path in the body, the schema keyword, expected and seen value
        (``body $.id: type expected "integer", got "x"``); for a 5xx, the start of
        the body; for accepted invalid data, what made the request invalid
        (``invalid request accepted: body: violates `maximum` at /properties/size``).

        ``allow`` lists known findings: glob patterns on the finding text, or the
        path of a file with one pattern per line (a line starting with ``#`` is a
        comment), such as
        ``POST /items (negative): negative_data_rejection (HTTP 200): *``.
        Allowed findings do not fail the keyword; they are listed in the log as
        allowed, and a pattern that matched nothing is reported as a warning
        (stale).

        The failure's first line is a summary, then one finding per line; the log
        gets a table of findings (operation, mode, check, status, detail, curl)
        and the count of responses by status. Hypothesis's working files go to
        ``${OUTPUT_DIR}/hypothesis``, never into the current directory.

        Returns ``{"requests", "operations", "failures", "allowed", "stale_allow",
        "checks", "by_status", "timed_out"}``; ``failures`` and ``allowed`` are the
        finding lines.

        | &{auth} =    Create Dictionary    X-API-Key=${key}
        | Sweep OpenAPI Operations    ${API_URL}    headers=${auth}    max_examples=5
        | ...    negative_only=${{["PUT *"]}}
        | Sweep OpenAPI Operations    ${API_URL}    headers=${auth}    max_examples=3
        | ...    negative_only=${{["PUT *"]}}    checks=not_a_server_error, negative_data_rejection
        | Sweep OpenAPI Operations    ${API_URL}    headers=${auth}    max_examples=3
        | ...    negative_only=${{["PUT *"]}}    allow=${OUTPUT_DIR}/known-sweep-findings.txt
        """
        from crosscheck.contracts.sweep import read_allow_file, resolve_checks, sweep

        check_names = _names(checks)
        resolve_checks(check_names)  # an unknown name fails before any request is sent
        if isinstance(allow, str):
            patterns = read_allow_file(allow)
        else:
            patterns = list(allow or [])
        doc = self.ctx.document(document)
        output = _robot_output_dir()
        result = sweep(
            doc,
            base_url.rstrip("/"),
            headers=headers,
            max_examples=max_examples,
            include=include,
            exclude=exclude,
            negative_only=negative_only,
            deadline_s=deadline.total_seconds(),
            checks=check_names,
            allow=patterns,
            work_dir=output / "hypothesis" if output else None,
        )
        rows = [[status, n] for status, n in sorted(result.by_status.items())]
        markup = html_table(
            rows,
            ["status", "responses"],
            f"Sweep of {len(result.operations)} operations of {doc.title}: {result.requests} requests; "
            f"checks {', '.join(result.checks)}",
        )
        if result.findings:
            markup += html_table(
                [
                    [
                        f.operation,
                        f.mode,
                        f.check,
                        f.status or "-",
                        f.detail,
                        f.count,
                        f"allowed by {f.allowed_by}" if f.allowed_by else "FAIL",
                        f.curl,
                    ]
                    for f in result.findings
                ],
                ["operation", "mode", "check", "status", "detail", "responses", "verdict", "curl"],
                f"Findings: {len(result.failures)} failing, {len(result.allowed)} allowed",
            )
        if result.skipped:
            markup += html_table([[s] for s in result.skipped], ["not generated"])
        log_html(markup)
        for finding in result.allowed:
            logger.info(f"Allowed by {finding.allowed_by!r}: {finding.line}")
        for pattern in result.stale_allow:
            logger.warn(f"Sweep of {doc.title}: allow pattern {pattern!r} matched no finding (stale): remove it.")
        if not result.operations:
            raise ConfigurationError(f"No operation of {doc.title} matched include={include} exclude={exclude}.")
        if result.requests == 0 and not result.failures:
            raise CrosscheckError(
                f"Sweep of {doc.title} sent no request to {len(result.operations)} operations"
                + (" before the deadline" if result.timed_out else "")
                + (f" ({'; '.join(result.skipped)})" if result.skipped else "")
                + ": nothing was checked."
            )
        if result.failures:
            failures = result.failures
            allowed = f" ({len(result.allowed)} more allowed)" if result.allowed else ""
            lines = [
                f"Sweep of {doc.title} found {len(failures)} problem(s) in {result.requests} requests{allowed}:",
                *(f.line for f in failures[:SHOWN]),
            ]
            if len(failures) > SHOWN:
                lines.append(f"... and {len(failures) - SHOWN} more (the log has them all)")
            raise CrosscheckError("\n".join(lines))
        return {
            "requests": result.requests,
            "operations": result.operations,
            "failures": [f.line for f in result.failures],
            "allowed": [f.line for f in result.allowed],
            "stale_allow": result.stale_allow,
            "checks": result.checks,
            "by_status": result.by_status,
            "timed_out": result.timed_out,
        }
