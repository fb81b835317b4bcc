"""Faults a repository can be started with, so that tests can prove the suites catch them.

A repository's ``faults`` setting (``GATEWAY_FAULTS``, ``CONSUMER_FAULTS``, ``PRODUCER_FAULTS``)
switches them on; each is read where it acts, as ``active("name")``. Every fault has a test that
runs the suite which claims to catch it (``tests/test_demo_faults_*.py`` and others).
"""

from __future__ import annotations

# "<repository> <name>: what goes wrong when it is on", one fault a line
_TABLE = """
gateway api-field-required: the served OpenAPI document makes top_k of POST /v1/search required without a default (and the API refuses a search without it), a breaking change from the previous release
gateway api-status-201: PUT /v1/universes/{name} answers 201 where the document says 200
gateway search-wrong-distance: POST /v1/search ranks by Euclidean (L2) distance instead of the declared cosine
gateway health-500: /health answers HTTP 500 with an error body, so the demo never becomes ready
gateway pool-leak: every keyed request's query keeps its pooled Postgres connection instead of returning it
consumer consumer-skips-writes: the consumer logs and acknowledges every message but never applies it to cache_entries
producer producer-skips-silently: the producer leaves out every 10th message it was asked for, without a gap in seq, and reports only what it sent
producer producer-resends: the producer sends every 10th message with the previous message's content again, under a fresh seq, instead of its own
gateway api-stale-announcement: PUT /v1/universes/{name} announces the universe as it was before the update (no symbols for a new one), and the consumer applies that announcement
gateway slow-search: POST /v1/search waits 600 ms before it answers, over the p95 target under load
gateway errors-universes: every 20th GET /v1/universes/{name} answers HTTP 500 (5 % of them)
consumer consumer-no-catch-up: the consumer, when it (re)starts, moves its group to the end of each stream and so skips what arrived while it was offline
gateway memory-leak: every HTTP request keeps 256 KB in a list of the API process, so its memory grows with the traffic and is never freed
gateway pool-no-reconnect: the API's Postgres pool keeps its dead connections and hands them out again without retrying, so after a Postgres restart every request needing the database answers 503
consumer consumer-no-reconnect: the consumer's live and catch-up loops stop at their first Redis connection error, so after a Redis outage it never receives a message again
"""
KNOWN: dict[str, tuple[str, str]] = {
    line.split(" ", 2)[1].rstrip(":"): (line.split(" ", 1)[0], line.split(": ", 1)[1])
    for line in _TABLE.strip().splitlines()
}
_active: set[str] = set()


def owned_by(repo: str) -> tuple[str, ...]:  # the choices of a repository's faults setting
    return tuple(name for name, (owner, _) in KNOWN.items() if owner == repo)


def use(names: list[str]) -> None:
    """Switch exactly ``names`` on for this process."""
    _active.clear()
    _active.update(names)


def active(name: str) -> bool:
    return name in _active


def environment(names: list[str]) -> dict[str, str]:
    """The variables that switch ``names`` on, each in its owner's ``<REPO>_FAULTS``."""
    found: dict[str, list[str]] = {}
    for name in names:
        if name not in KNOWN:
            raise ValueError(f"unknown fault {name!r}; known: {', '.join(sorted(KNOWN))}")
        found.setdefault(f"{KNOWN[name][0].upper()}_FAULTS", []).append(name)
    return {var: ",".join(names) for var, names in found.items()}
