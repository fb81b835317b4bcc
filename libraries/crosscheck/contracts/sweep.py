"""A bounded property-based sweep of an OpenAPI document with schemathesis.

For each operation, schemathesis (Hypothesis underneath) generates up to
``max_examples`` valid requests (*positive*) and up to ``max_examples`` invalid
ones (*negative*); every response is checked with schemathesis's own checks:
``not_a_server_error`` (no 5xx) always, ``negative_data_rejection`` (invalid
data gets a 4xx) for negative cases. The sweep is bounded in count and time:
it stops generating when ``deadline`` passes and reports what it ran.
"""

from __future__ import annotations

import fnmatch
import time
from dataclasses import dataclass, field

import requests

from crosscheck.contracts.openapi import OpenAPIDocument


@dataclass
class SweepResult:
    requests: int = 0
    operations: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    by_status: dict[int, int] = field(default_factory=dict)
    timed_out: bool = False


def _first_line(text: str) -> str:
    for line in str(text).splitlines():
        if line.strip():
            return line.strip()
    return str(text)


def sweep(
    document: OpenAPIDocument,
    base_url: str,
    headers: dict | None = None,
    max_examples: int = 10,
    modes: tuple[str, ...] = ("positive", "negative"),
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    deadline_s: float = 60.0,
    request_timeout_s: float = 10.0,
    negative_only: list[str] | None = None,
    seed: int | None = 0,
) -> SweepResult:
    """Run the sweep; ``include``/``exclude``/``negative_only`` are glob patterns on ``METHOD /path``."""
    import schemathesis
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.checks import negative_data_rejection, not_a_server_error

    schema = schemathesis.openapi.from_dict(document.spec)
    result = SweepResult()
    started = time.monotonic()
    session = requests.Session()
    for item in schema.get_all_operations():
        op = item.ok()  # type: ignore[union-attr]
        label = f"{op.method.upper()} {op.path}"
        if include and not any(fnmatch.fnmatchcase(label, p) for p in include):
            continue
        if exclude and any(fnmatch.fnmatchcase(label, p) for p in exclude):
            continue
        result.operations.append(label)
        for mode in modes:
            if mode == "positive" and negative_only and any(fnmatch.fnmatchcase(label, p) for p in negative_only):
                continue
            if time.monotonic() - started > deadline_s:
                result.timed_out = True
                break
            gen_mode = GenerationMode.POSITIVE if mode == "positive" else GenerationMode.NEGATIVE
            checks = [not_a_server_error] + ([negative_data_rejection] if mode == "negative" else [])
            run = _runner(
                op,
                gen_mode,
                mode,
                label,
                checks,
                max_examples,
                seed is not None,
                started,
                deadline_s,
                base_url,
                session,
                headers,
                request_timeout_s,
                result,
            )
            try:
                run()
            except Unsatisfiable:
                result.skipped.append(f"{label} ({mode}): no such cases can be generated")
    return result


def _request_of(case) -> str:
    from crosscheck.contracts.jsonschema_check import short

    parts = [f"{case.method.upper()} {case.formatted_path}"]
    if case.query:
        parts.append(f"query {short(case.query, 60)}")
    body = getattr(case, "body", None)
    if body is not None and type(body).__name__ != "NotSet":
        parts.append(f"body {short(body, 100)}")
    return ", ".join(parts)


def _runner(
    op,
    gen_mode,
    mode,
    label,
    checks,
    max_examples,
    derandomize,
    started,
    deadline_s,
    base_url,
    session,
    headers,
    request_timeout_s,
    result,
):
    from hypothesis import HealthCheck, Phase, given, settings

    seen: set[str] = set()

    @settings(
        max_examples=max_examples,
        database=None,
        deadline=None,
        derandomize=derandomize,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    @given(op.as_strategy(generation_mode=gen_mode))
    def run(case):
        if time.monotonic() - started > deadline_s:
            result.timed_out = True
            return
        try:
            response = case.call(
                base_url=base_url, session=session, headers=dict(headers or {}), timeout=request_timeout_s
            )
        except requests.RequestException as exc:
            result.failures.append(f"{label} ({mode}): request failed: {type(exc).__name__}")
            return
        result.requests += 1
        status = response.status_code
        result.by_status[status] = result.by_status.get(status, 0) + 1
        try:
            case.validate_response(response, checks=checks)
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis Failure / FailureGroup
            for failure in getattr(exc, "exceptions", None) or [exc]:
                title = getattr(failure, "title", type(failure).__name__)
                detail = _first_line(getattr(failure, "message", "") or "")
                text = f"{label} ({mode}): {title} (HTTP {status})" + (f": {detail}" if detail else "")
                if text not in seen:
                    seen.add(text)
                    result.failures.append(f"{text} [sent {_request_of(case)}]")

    return run
