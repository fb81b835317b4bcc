"""Faults the demo can be started with, so that tests can prove the suites catch them.

``CROSSCHECK_DEMO_FAULTS`` holds a comma-separated list of fault names; unset (the
default) the demo is healthy. Each fault is read where it acts, as ``active("name")``;
``KNOWN`` lists every name with what it breaks, and an unknown name stops the demo at
start instead of running it healthy by mistake. Every fault has a pytest test that runs
the suite which claims to catch it against the demo with that fault, and asserts the
suite fails with a message naming the broken thing (``tests/test_demo_faults_*.py``,
``tests/load/test_load_faults.py``, ``tests/faults/test_resilience_suites.py``, ``tests/verdict/test_monitor.py``).
"""

from __future__ import annotations

import os

ENV = "CROSSCHECK_DEMO_FAULTS"

# name -> what goes wrong when it is on
KNOWN: dict[str, str] = {
    # API contract and search (checked by api_contracts.robot, vectors_demo_search.robot, day 2 suites)
    "api-field-required": "the served OpenAPI document makes top_k of POST /v1/search required (and the API "
    "refuses a search without it), a breaking change from the previous release",
    "api-status-201": "PUT /v1/universes/{name} answers 201 where the document says 200",
    "search-wrong-distance": "POST /v1/search ranks by Euclidean (L2) distance instead of the declared cosine",
    "health-500": "/health answers HTTP 500 with an error body, so the demo never becomes ready",
    "pool-leak": "every keyed request's query keeps its pooled Postgres connection instead of returning it",
    # data flow (checked by redis_demo_flows.robot)
    "consumer-skips-writes": "the consumer logs and acknowledges every message but never applies it to cache_entries",
    "producer-skips-silently": "the producer leaves out every 10th message it was asked for, without a gap "
    "in seq, and reports only what it sent",
    "producer-resends": "the producer sends every 10th message with the previous message's content again, "
    "under a fresh seq, instead of its own",
    "api-stale-announcement": "PUT /v1/universes/{name} announces the universe as it was before the update "
    "(no symbols for a new one), and the consumer applies that announcement",
    # load (checked by api_load.robot)
    "slow-search": "POST /v1/search waits 600 ms before it answers, over the p95 target under load",
    "errors-universes": "every 20th GET /v1/universes/{name} answers HTTP 500 (5 % of them)",
    "consumer-no-catch-up": "the consumer, when it (re)starts, moves its group to the end of each stream and "
    "so skips what arrived while it was offline",
    "memory-leak": "every HTTP request keeps 256 KB in a list of the API process, so its memory grows with "
    "the traffic and is never freed",
    # resilience (checked by the day 3 suites; demo/tests/test_resilience.py shows each one's effect)
    "pool-no-reconnect": "the API's Postgres pool keeps its dead connections and hands them out again without "
    "retrying, so after a Postgres restart every request needing the database answers 503",
    "consumer-no-reconnect": "the consumer's live and catch-up loops stop at their first Redis connection error, "
    "so after a Redis outage the consumer never receives a message again",
}


def requested() -> list[str]:
    return [n.strip() for n in os.environ.get(ENV, "").split(",") if n.strip()]


def active(name: str) -> bool:
    """True when fault ``name`` is switched on for this demo process."""
    return name in requested()


def validate() -> None:
    """Refuse a fault name nobody declared (a typo would otherwise run a healthy demo)."""
    unknown = [n for n in requested() if n not in KNOWN]
    if unknown:
        raise SystemExit(f"{ENV}: unknown fault(s) {', '.join(unknown)}; known: {', '.join(sorted(KNOWN)) or 'none'}")
