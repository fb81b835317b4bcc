"""A bounded property-based sweep of every operation (schemathesis)."""

from __future__ import annotations

from datetime import timedelta

from robot.api.deco import keyword

from crosscheck.contracts.context import ContractsContext
from crosscheck.core import Component
from crosscheck.errors import CrosscheckError
from crosscheck.reporting import html_table, log_html


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
    ) -> dict:
        """Sends generated requests to every operation and fails on a 5xx or accepted invalid data.

        schemathesis generates up to ``max_examples`` valid and up to
        ``max_examples`` invalid requests per operation (repeatable: a fixed
        seed). Checks: no response is a 5xx; invalid requests get a 4xx. The
        sweep stops at ``deadline``. ``include``, ``exclude`` and
        ``negative_only`` are glob patterns on ``METHOD /path``: operations
        matched by ``negative_only`` get invalid requests only (use it for
        operations that write with valid data). ``headers`` go with every
        request (e.g. an API key).

        Returns ``{"requests", "operations", "failures", "by_status"}``; the
        failure lists each finding as ``<operation> (<mode>): <check> (HTTP <status>): <detail>``.

        | &{auth} =    Create Dictionary    X-API-Key=${key}
        | Sweep OpenAPI Operations    ${API_URL}    headers=${auth}    max_examples=5
        | ...    negative_only=${{["PUT *"]}}
        """
        from crosscheck.contracts.sweep import sweep

        doc = self.ctx.document(document)
        result = sweep(
            doc,
            base_url.rstrip("/"),
            headers=headers,
            max_examples=max_examples,
            include=include,
            exclude=exclude,
            negative_only=negative_only,
            deadline_s=deadline.total_seconds(),
        )
        rows = [[status, n] for status, n in sorted(result.by_status.items())]
        log_html(
            html_table(
                rows,
                ["status", "responses"],
                f"Sweep of {len(result.operations)} operations of {doc.title}: {result.requests} requests",
            )
            + (html_table([[s] for s in result.skipped], ["not generated"]) if result.skipped else "")
        )
        if not result.operations:
            raise CrosscheckError(f"No operation of {doc.title} matched include={include} exclude={exclude}.")
        if result.failures:
            shown = "; ".join(result.failures[:10])
            more = f"; ... and {len(result.failures) - 10} more" if len(result.failures) > 10 else ""
            raise CrosscheckError(
                f"Sweep of {doc.title} found {len(result.failures)} problem(s) in "
                f"{result.requests} requests: {shown}{more}"
            )
        return {
            "requests": result.requests,
            "operations": result.operations,
            "failures": result.failures,
            "by_status": result.by_status,
            "timed_out": result.timed_out,
        }
