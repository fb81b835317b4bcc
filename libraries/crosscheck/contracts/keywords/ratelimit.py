"""The rate-limit contract: of M concurrent requests, exactly the allowed number succeed."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from urllib.parse import urlsplit

from robot.api.deco import keyword

from crosscheck.contracts.context import ContractsContext
from crosscheck.contracts.ratelimit import check_contract, send_concurrent
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.reporting import html_table, log_html


class RateLimitKeywords(Component[ContractsContext]):
    @keyword
    def send_concurrent_requests(
        self,
        method: str,
        url: str,
        count: int,
        headers: dict | None = None,
        json: dict | None = None,
        timeout: timedelta = timedelta(seconds=30),
        document: str | None = None,
    ) -> dict:
        """Sends ``count`` requests at once and returns how many got each status: ``{200: 5, 429: 3}``.

        With ``document`` (an OpenAPI document's alias, file or URL) every response
        is also checked against it as `Response Should Match OpenAPI` does; the
        failure lists each mismatch with the number of responses that had it.

        Requests that get no answer within ``timeout`` from a server that accepted
        them fail the keyword with their number and what the others got, e.g.
        ``POST /v1/search: 11 of 40 concurrent requests got no answer within 30 s
        (the server accepted the connections; the others got {200: 29}) ...``;
        only a server that cannot be connected to is reported as unreachable.

        | ${counts} =    Send Concurrent Requests    GET    ${API}/v1/universes/x    8    headers=${auth}
        | ${counts} =    Send Concurrent Requests    GET    ${API}/health    50    document=demo
        """
        responses = send_concurrent(method.upper(), url, count, headers, json, timeout.total_seconds())
        counts = dict(sorted(Counter(r.status_code for r in responses).items()))
        where = f"{count} concurrent {method.upper()} {urlsplit(url).path}"
        log_html(html_table([[s, n] for s, n in counts.items()], ["status", "responses"], where))
        if document is not None:
            check_contract(self.ctx.document(document), responses, where)
        return counts

    @keyword
    def rate_limit_should_allow_exactly(
        self,
        limit: int,
        method: str,
        url: str,
        count: int,
        headers: dict | None = None,
        json: dict | None = None,
        rejected_status: int = 429,
        timeout: timedelta = timedelta(seconds=30),
        document: str | None = None,
    ) -> dict:
        """Sends ``count`` concurrent requests and fails unless exactly ``limit`` are admitted and the rest get 429.

        Admitted means any answer but ``rejected_status`` and 5xx (a 404 for
        an unknown name passed the limiter); a 5xx fails the check. Every
        rejected response must also carry ``Retry-After``. Use a fresh
        key (or window) so earlier requests do not count. The failure names
        both counts: ``Rate limit of GET /v1/universes/x: expected exactly 5
        of 8 concurrent requests to succeed and 3 to get 429, got 6 admitted,
        2 got 429``.

        With ``document`` every response, admitted or rejected, is also checked
        against that OpenAPI document (see `Send Concurrent Requests`).

        | Rate Limit Should Allow Exactly    5    GET    ${API}/v1/universes/x    8    headers=${auth}
        """
        if count <= limit:
            raise ConfigurationError(f"Send more requests than the limit ({limit}) to see it enforced; got {count}.")
        responses = send_concurrent(method.upper(), url, count, headers, json, timeout.total_seconds())
        ok = sum(1 for r in responses if r.status_code != rejected_status and r.status_code < 500)
        rejected = [r for r in responses if r.status_code == rejected_status]
        other = Counter(r.status_code for r in responses if r.status_code >= 500)
        counts = dict(sorted(Counter(r.status_code for r in responses).items()))
        where = f"Rate limit of {method.upper()} {urlsplit(url).path}"
        log_html(
            html_table(
                [[s, n] for s, n in counts.items()],
                ["status", "responses"],
                f"{where}: {count} concurrent requests, limit {limit}",
            )
        )
        if ok != limit or len(rejected) != count - limit or other:
            extra = f", server errors {dict(other)}" if other else ""
            raise CrosscheckError(
                f"{where}: expected exactly {limit} of {count} concurrent requests to succeed and "
                f"{count - limit} to get {rejected_status}, got {ok} admitted, "
                f"{len(rejected)} got {rejected_status}{extra}."
            )
        missing = [r for r in rejected if "Retry-After" not in r.headers]
        if missing:
            raise CrosscheckError(
                f"{where}: {len(missing)} of {len(rejected)} {rejected_status} responses have no Retry-After header."
            )
        if document is not None:
            check_contract(self.ctx.document(document), responses, where)
        return counts
