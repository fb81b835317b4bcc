"""The crosscheck.Contracts library class."""

from __future__ import annotations

from crosscheck.contracts.context import ContractsContext
from crosscheck.contracts.keywords.compatibility import CompatibilityKeywords
from crosscheck.contracts.keywords.http import HttpKeywords
from crosscheck.contracts.keywords.payloads import PayloadKeywords
from crosscheck.contracts.keywords.ratelimit import RateLimitKeywords
from crosscheck.contracts.keywords.signatures import SignatureKeywords
from crosscheck.contracts.keywords.sweep import SweepKeywords
from crosscheck.core import CrosscheckLibrary


class Contracts(CrosscheckLibrary):
    """Contracts checks what services promise each other: HTTP responses against an
    OpenAPI 3 document, message payloads against a JSON Schema per channel,
    database function signatures against a declared list, and one OpenAPI
    version against the next.

    = Responses =
    Responses are ``requests.Response`` objects, as RequestsLibrary returns them.
    openapi-core finds the documented operation and response; every mismatch is
    reported with its place (``status``, ``header Content-Type``, or a JSON path
    into the body such as ``$.symbols[2]``), the expected and the actual value.

    | Library    RequestsLibrary
    | Library    crosscheck.Contracts
    |
    | Load OpenAPI Document    ${API_URL}/openapi.json
    | ${response} =    GET On Session    demo    /v1/universes/etf_core
    | Response Should Match OpenAPI    ${response}

    = Message payloads =
    A folder of ``<channel>.json`` JSON Schemas is the message contract, e.g.
    ``demo/shared/demo_shared/schemas/tickstock.universe.updated.json``.

    | Load Message Contracts    ${DEMO}/shared/demo_shared/schemas
    | Payload Should Match Contract    tickstock.universe.updated    ${payload}
    | Stream Payloads Should Match Contract    tickstock.universe.updated

    = Function signatures =
    Read from the live catalog (crosscheck.Postgres's catalog reader,
    ``crosscheck.postgres.catalog``).

    | Function Signatures Should Match    ${SIGNATURES}

    = Compatibility and sweep =
    `OpenAPI Changes Should Be Compatible` fails on the breaking changes between two
    documents (level ERR), `Get Compatibility Warnings` returns those that may break
    some clients (level WARN), and `Get Compatibility Rules` their rule ids, which are
    oasdiff's (``request-property-became-required``, ``response-success-status-removed``).
    Paths are compared by shape, ``$ref`` is followed everywhere, every media type,
    status, header and ``oneOf``/``anyOf``/``allOf`` branch is compared.
    `Sweep OpenAPI Operations` sends a bounded number of generated valid and invalid
    requests to every operation (schemathesis).

    = Rate limits =
    `Rate Limit Should Allow Exactly` sends concurrent requests and checks that
    exactly the allowed number succeed and the rest get 429 with ``Retry-After``.

    = Times =
    A time-valued assertion target (the expected value of a latency, duration or
    recovery-time getter) must carry a unit: ``100 ms``, ``0.2 s``, ``1 min``, or a
    ``timedelta``. A bare number such as ``0.2`` or ``50`` is refused, because it could
    mean seconds or milliseconds: the failure names the figure, the value given and
    the fix (``Expected value '0.2' for p95 delivery latency ... has no unit: write it
    as '0.2 ms' or '0.2 s'.``). Arguments that are not assertion targets
    (``timeout=``, ``block=``, ``hold=``, ``duration=``) follow Robot Framework's own
    time format, where a bare number means seconds.

    No Contracts getter compares a time today; the rule holds for any that will.

    = Assertions =
    Getters (``Get ...``) take AssertionEngine's operator and expected value:
    | Get Breaking Changes    v1.json    v2.json    ==    ${{[]}}

    = Cleanup =
    Contracts creates nothing in the services it checks: it reads responses a
    suite already received, stream entries (``XREVRANGE``) and the Postgres
    catalog, and closes each connection before the keyword returns, so it has
    nothing to undo at the end of a test. The requests that `Sweep OpenAPI
    Operations`, `Send Concurrent Requests` and `Rate Limit Should Allow Exactly`
    send are the suite's own: give writing operations invalid data only.
    """

    COMPONENTS = (
        HttpKeywords,
        PayloadKeywords,
        SignatureKeywords,
        CompatibilityKeywords,
        SweepKeywords,
        RateLimitKeywords,
    )

    def __init__(self) -> None:
        super().__init__(ContractsContext())
