"""The rate-limit contract: of M concurrent requests, exactly the allowed number succeed."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from robot.api.deco import keyword

from crosscheck.config import mask_url
from crosscheck.errors import ConfigurationError, CrosscheckError, ServiceUnavailable
from crosscheck.reporting import html_table, log_html

MAX_REQUESTS = 500


def send_concurrent(method: str, url: str, count: int, headers: dict | None = None, json_body=None,
                    timeout: float = 30.0, workers: int = 32) -> list[requests.Response]:
    """Send ``count`` requests at once (a thread pool, one session per thread)."""
    if not 1 <= count <= MAX_REQUESTS:
        raise ConfigurationError(f"count must be between 1 and {MAX_REQUESTS}, got {count}.")

    def one(_):
        with requests.Session() as session:
            return session.request(method, url, headers=headers, json=json_body, timeout=timeout)

    try:
        with ThreadPoolExecutor(max_workers=min(workers, count)) as pool:
            return list(pool.map(one, range(count)))
    except requests.RequestException as exc:
        raise ServiceUnavailable(f"Cannot reach {mask_url(url)}: {type(exc).__name__}. "
                                 "Check that the API is running.") from None


class RateLimitKeywords:
    @keyword
    def send_concurrent_requests(self, method: str, url: str, count: int, headers: dict | None = None,
                                 json: dict | None = None, timeout: timedelta = timedelta(seconds=30)) -> dict:
        """Sends ``count`` requests at once and returns how many got each status: ``{200: 5, 429: 3}``.

        | ${counts} =    Send Concurrent Requests    GET    ${API}/v1/universes/x    8    headers=${auth}
        """
        responses = send_concurrent(method.upper(), url, count, headers, json, timeout.total_seconds())
        counts = dict(sorted(Counter(r.status_code for r in responses).items()))
        log_html(html_table([[s, n] for s, n in counts.items()], ["status", "responses"],
                            f"{count} concurrent {method.upper()} {urlsplit(url).path}"))
        return counts

    @keyword
    def rate_limit_should_allow_exactly(self, limit: int, method: str, url: str, count: int,
                                        headers: dict | None = None, json: dict | None = None,
                                        rejected_status: int = 429,
                                        timeout: timedelta = timedelta(seconds=30)) -> dict:
        """Sends ``count`` concurrent requests and fails unless exactly ``limit`` are admitted and the rest get 429.

        Admitted means any answer but ``rejected_status`` and 5xx (a 404 for
        an unknown name passed the limiter); a 5xx fails the check. Every
        rejected response must also carry ``Retry-After``. Use a fresh
        key (or window) so earlier requests do not count. The failure names
        both counts: ``Rate limit of GET /v1/universes/x: expected exactly 5
        of 8 concurrent requests to succeed and 3 to get 429, got 6 admitted,
        2 got 429``.

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
        log_html(html_table([[s, n] for s, n in counts.items()], ["status", "responses"],
                            f"{where}: {count} concurrent requests, limit {limit}"))
        if ok != limit or len(rejected) != count - limit or other:
            extra = f", server errors {dict(other)}" if other else ""
            raise CrosscheckError(f"{where}: expected exactly {limit} of {count} concurrent requests to succeed and "
                                  f"{count - limit} to get {rejected_status}, got {ok} admitted, "
                                  f"{len(rejected)} got {rejected_status}{extra}.")
        missing = [r for r in rejected if "Retry-After" not in r.headers]
        if missing:
            raise CrosscheckError(f"{where}: {len(missing)} of {len(rejected)} {rejected_status} responses "
                                  "have no Retry-After header.")
        return counts
