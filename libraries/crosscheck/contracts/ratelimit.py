"""Concurrent HTTP requests and what their responses say about a contract (the rate-limit checks).

Requests are sent with requests, one session per thread; responses are judged against an
OpenAPI document with :mod:`crosscheck.contracts.openapi`. Nothing here is kept between calls.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

import requests

from crosscheck.config import mask_url
from crosscheck.contracts import openapi
from crosscheck.errors import ConfigurationError, CrosscheckError, ServiceUnavailable
from crosscheck.services.api import Burst

MAX_REQUESTS = 500


def send_concurrent(
    method: str,
    url: str,
    count: int,
    headers: dict | None = None,
    json_body=None,
    timeout: float = 30.0,
) -> list[requests.Response]:
    """Send ``count`` requests at once and wait for them (:class:`~crosscheck.services.api.Burst`)."""
    if not 1 <= count <= MAX_REQUESTS:
        raise ConfigurationError(f"count must be between 1 and {MAX_REQUESTS}, got {count}.")

    burst = Burst(method, url, count, headers, json_body, timeout).start()
    burst.wait()
    outcomes = list(burst.outcomes)
    failed = [o for o in outcomes if isinstance(o, requests.RequestException)]
    if not failed:
        return outcomes
    # A server that accepted the connection but did not answer in time is running: say so, with
    # what the other requests got, instead of suggesting it is down.
    unanswered = [e for e in failed if isinstance(e, requests.ReadTimeout)]
    if len(unanswered) < len(failed):
        other = next(e for e in failed if not isinstance(e, requests.ReadTimeout))
        raise ServiceUnavailable(
            f"Cannot reach {mask_url(url)}: {type(other).__name__} for {len(failed)} of "
            f"{count} concurrent requests. Check that the API is running."
        )
    answered = dict(sorted(Counter(o.status_code for o in outcomes if isinstance(o, requests.Response)).items()))
    raise CrosscheckError(
        f"{method} {urlsplit(url).path}: {len(unanswered)} of {count} concurrent requests got no "
        f"answer within {timeout:g} s (the server accepted the connections; the others got "
        f"{answered or 'nothing'}). A server that accepts requests but does not answer is "
        "usually waiting for an exhausted pool (database connections or workers)."
    )


def contract_mismatches(document, responses: list[requests.Response]) -> tuple[dict[str, int], int]:
    """Each mismatch (``POST /v1/search -> 201: status: expected ..., got 201``) with how many
    responses had it, and how many responses had any."""
    found: Counter = Counter()
    bad = 0
    for response in responses:
        mismatches = {str(m) for m in openapi.response_mismatches(document, response)}
        bad += bool(mismatches)
        for mismatch in sorted(mismatches):
            found[f"{openapi.describe(response)}: {mismatch}"] += 1
    return dict(found), bad


def check_contract(document, responses: list[requests.Response], where: str) -> None:
    """Fail listing each mismatch with how many of ``responses`` had it, unless all match ``document``."""
    found, bad = contract_mismatches(document, responses)
    if found:
        raise CrosscheckError(
            f"{where}: {bad} of {len(responses)} responses do not match their contract "
            f"({document.title}): " + "; ".join(f"{m} ({n} responses)" for m, n in found.items())
        )
