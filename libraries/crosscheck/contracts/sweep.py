"""A bounded property-based sweep of an OpenAPI document with schemathesis.

For each operation, schemathesis (Hypothesis underneath) generates up to
``max_examples`` valid requests (*positive*) and up to ``max_examples`` invalid
ones (*negative*); every response is checked with the schemathesis checks the
caller chose (:data:`DEFAULT_CHECKS` unless told otherwise): no 5xx, the
status, content type and body the document promises, invalid data rejected.
The sweep is bounded in count and time: it stops generating when ``deadline``
passes and reports what it ran.

Each finding says what was wrong (the body's JSON path, schema keyword, expected
and seen value; a 5xx's status and the start of its body; what made an accepted
request invalid) and carries the request as a ``curl`` line with secret headers
masked. Findings matching an ``allow`` glob are kept, marked allowed; allow
patterns that matched nothing are reported as stale.

Hypothesis keeps a storage directory (its unicode charmap cache, collected
constants) under its *home*, ``./.hypothesis`` by default, even with
``database=None``: :func:`sweep` points that home at ``work_dir`` (or a
temporary folder it removes) for the duration of the run, so nothing is
written into the current working directory.
"""

from __future__ import annotations

import contextlib
import fnmatch
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from crosscheck.config import mask_text
from crosscheck.contracts.jsonschema_check import short
from crosscheck.contracts.openapi import OpenAPIDocument
from crosscheck.errors import ConfigurationError

# Checked by default: no 5xx, responses as the document promises them, invalid data rejected.
DEFAULT_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
)

# Registered by schemathesis, but they judge what this sweep never produces: sequences of calls
# (stateful phase), several identities, requests resent without credentials, or the coverage
# phase's OPTIONS / missing-header / wrong-method probes. Named in `checks=`, they are refused.
NOT_IN_A_SWEEP = {
    "use_after_free": "needs schemathesis's stateful phase (sequences of calls)",
    "ensure_resource_availability": "needs schemathesis's stateful phase (sequences of calls)",
    "object_level_authorization": "needs several identities",
    "missing_required_header": "judges coverage-phase probes only",
    "unsupported_method": "judges coverage-phase probes only",
    "allow_header_conformance": "judges OPTIONS probes only",
    "ignored_auth": "needs schemathesis's own runner, which resends requests without credentials",
}

# A header whose value is a secret when its name contains one of these (case-insensitive).
SECRET_HEADER_PARTS = ("authorization", "key", "token", "secret", "password", "cookie", "session", "auth")


@dataclass
class Finding:
    """One distinct problem: where, which check, what was wrong, and a request that shows it."""

    operation: str  # "POST /items"
    mode: str  # "positive" | "negative"
    check: str  # a schemathesis check name
    status: int | None  # the response's status (None when no response came)
    detail: str
    curl: str
    count: int = 1  # responses that showed it
    allowed_by: str | None = None  # the allow pattern that matched, if any

    @property
    def text(self) -> str:
        """``<operation> (<mode>): <check> (HTTP <status>): <detail>``: what allow patterns match."""
        status = f"HTTP {self.status}" if self.status is not None else "no response"
        return f"{self.operation} ({self.mode}): {self.check} ({status}): {self.detail}"

    @property
    def line(self) -> str:
        """The finding, how often it was seen, and the request, on one line."""
        times = f" [x{self.count}]" if self.count > 1 else ""
        return " ".join(f"{self.text}{times} -- {self.curl}".split("\n"))


@dataclass
class SweepResult:
    requests: int = 0
    operations: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    by_status: dict[int, int] = field(default_factory=dict)
    timed_out: bool = False
    checks: list[str] = field(default_factory=list)
    stale_allow: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.allowed_by is None]

    @property
    def allowed(self) -> list[Finding]:
        return [f for f in self.findings if f.allowed_by is not None]


def available_checks() -> list[str]:
    """The schemathesis checks a sweep can run, as the installed schemathesis names them."""
    from schemathesis.checks import CHECKS, load_all_checks

    load_all_checks()
    return [f.__name__ for f in CHECKS.get_all() if f.__name__ not in NOT_IN_A_SWEEP]


def resolve_checks(names: list[str] | tuple[str, ...] | None) -> list:
    """The check functions named by ``names`` (``None``: :data:`DEFAULT_CHECKS`); an unknown name is refused."""
    from schemathesis.checks import CHECKS, load_all_checks

    load_all_checks()
    by_name = {f.__name__: f for f in CHECKS.get_all()}
    valid = available_checks()
    chosen = list(DEFAULT_CHECKS if names is None else names)
    if not chosen:
        raise ConfigurationError(f"No check chosen for the sweep: name at least one of {', '.join(valid)}.")
    for name in chosen:
        if name in NOT_IN_A_SWEEP:
            raise ConfigurationError(
                f"Check {name!r} cannot run in a sweep: it {NOT_IN_A_SWEEP[name]}. Valid checks: {', '.join(valid)}."
            )
        if name not in by_name:
            raise ConfigurationError(f"Unknown sweep check {name!r}. Valid checks: {', '.join(valid)}.")
    return [by_name[name] for name in dict.fromkeys(chosen)]


def read_allow_file(path: str | Path) -> list[str]:
    """The allow patterns of a file: one per line; blank lines and lines starting with ``#`` ignored."""
    file = Path(path)
    if not file.is_file():
        raise ConfigurationError(
            f"Allow list {str(file)!r} is not a file: give a list of patterns, or a file with one pattern per line."
        )
    lines = (line.strip() for line in file.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def apply_allow(findings: list[Finding], patterns: list[str]) -> list[str]:
    """Mark each finding an ``allow`` glob matches (on :attr:`Finding.text`); return the patterns that matched none."""
    used: set[str] = set()
    for finding in findings:
        for pattern in patterns:
            if fnmatch.fnmatchcase(finding.text, pattern):
                finding.allowed_by = pattern
                used.add(pattern)
                break
    return [p for p in dict.fromkeys(patterns) if p not in used]


@contextlib.contextmanager
def hypothesis_home(directory: str | Path | None) -> Iterator[Path]:
    """Point Hypothesis's home (its storage directory) at ``directory``, or at a temporary folder removed after."""
    from hypothesis import configuration

    previous = vars(configuration).get("__hypothesis_home_directory")
    temporary = directory is None
    home = Path(tempfile.mkdtemp(prefix="crosscheck-hypothesis-")) if temporary else Path(directory)  # type: ignore[arg-type]
    home.mkdir(parents=True, exist_ok=True)
    configuration.set_hypothesis_home_dir(home)
    try:
        yield home
    finally:
        configuration.set_hypothesis_home_dir(previous)
        if temporary:
            shutil.rmtree(home, ignore_errors=True)


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
    checks: list[str] | tuple[str, ...] | None = None,
    allow: list[str] | None = None,
    work_dir: str | Path | None = None,
) -> SweepResult:
    """Run the sweep; ``include``/``exclude``/``negative_only`` are glob patterns on ``METHOD /path``.

    ``checks`` names schemathesis checks (default :data:`DEFAULT_CHECKS`), ``allow`` globs on the
    finding text, ``work_dir`` the folder for Hypothesis's storage (default: a temporary one).
    """
    import schemathesis
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode

    check_functions = resolve_checks(checks)
    schema = schemathesis.openapi.from_dict(document.spec)
    result = SweepResult(checks=[f.__name__ for f in check_functions])
    secrets = _Secrets(headers)
    findings: dict[tuple, Finding] = {}
    started = time.monotonic()
    with hypothesis_home(work_dir), requests.Session() as session:
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
                call = _Call(base_url, session, dict(headers or {}), request_timeout_s, secrets)
                run = _runner(
                    op,
                    gen_mode,
                    mode,
                    label,
                    check_functions,
                    max_examples,
                    seed,
                    started,
                    deadline_s,
                    call,
                    result,
                    findings,
                )
                try:
                    run()
                except Unsatisfiable:
                    result.skipped.append(f"{label} ({mode}): no such cases can be generated")
    result.findings = list(findings.values())
    result.stale_allow = apply_allow(result.findings, list(allow or []))
    return result


class _Secrets:
    """The secret header values of a sweep: masked in curl lines and in any text a finding quotes."""

    def __init__(self, headers: dict | None) -> None:
        self.values = sorted(
            (str(v) for k, v in (headers or {}).items() if is_secret_header(str(k)) and str(v)), key=len, reverse=True
        )

    def scrub(self, text: str) -> str:
        text = mask_text(text).replace("[Filtered]", "***")
        for value in self.values:
            text = text.replace(value, "***")
        return text


def is_secret_header(name: str) -> bool:
    lowered = name.lower()
    return any(part in lowered for part in SECRET_HEADER_PARTS)


@dataclass
class _Call:
    base_url: str
    session: requests.Session
    headers: dict
    timeout: float
    secrets: _Secrets

    def curl(self, case) -> str:
        masked = {k: ("***" if is_secret_header(k) else v) for k, v in self.headers.items()}
        try:
            command, *warnings = case.as_curl_command(headers=masked, base_url=self.base_url).split("\n\n")
            # schemathesis appends shell warnings ("Request body contains non-printable
            # characters") as paragraphs: keep them, on the finding's one line
            notes = [w.replace("\u26a0\ufe0f", "").strip() for w in warnings if w.strip()]
            if notes:
                command += f" ({'; '.join(notes)})"
        except Exception as exc:  # noqa: BLE001 - a request schemathesis cannot render still gets reported
            command = f"(no curl line: {type(exc).__name__}) {case.method.upper()} {case.formatted_path}"
        # headers the case itself carries (a generated Authorization, say) are masked too
        command = re.sub(
            r"-H '([^':]+): [^']*'",
            lambda m: f"-H '{m[1]}: ***'" if is_secret_header(m[1]) else m[0],
            command,
        )
        return self.secrets.scrub(command)


def _runner(op, gen_mode, mode, label, checks, max_examples, seed, started, deadline_s, call: _Call, result, findings):
    from hypothesis import HealthCheck, Phase, given, settings

    @settings(
        max_examples=max_examples,
        database=None,
        deadline=None,
        derandomize=seed is not None,
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
                base_url=call.base_url, session=call.session, headers=dict(call.headers), timeout=call.timeout
            )
        except requests.RequestException as exc:
            detail = f"request failed: {type(exc).__name__}: {_first_line(str(exc))}"
            _record(
                findings, (label, mode, "request", type(exc).__name__), label, mode, "request", None, detail, call, case
            )
            return
        result.requests += 1
        status = response.status_code
        result.by_status[status] = result.by_status.get(status, 0) + 1
        for check in checks:
            try:
                case.validate_response(response, checks=[check])
            except (Exception, BaseExceptionGroup) as exc:  # schemathesis Failure / FailureGroup
                for failure in getattr(exc, "exceptions", None) or [exc]:
                    key, detail = _describe(check.__name__, failure, response, case)
                    detail = call.secrets.scrub(detail)
                    _record(
                        findings,
                        (label, mode, check.__name__, *key),
                        label,
                        mode,
                        check.__name__,
                        status,
                        detail,
                        call,
                        case,
                    )

    return run


def _record(findings: dict, key: tuple, label, mode, check, status, detail, call: _Call, case) -> None:
    if key in findings:
        findings[key].count += 1
        return
    findings[key] = Finding(label, mode, check, status, detail, call.curl(case))


def _first_line(text: str) -> str:
    for line in str(text).splitlines():
        if line.strip():
            return line.strip()
    return str(text).strip()


def _lines(text: str, limit: int = 200) -> str:
    """A multi-line schemathesis message on one line: lines joined with "; ", a list after "...:" inline."""
    joined = ""
    for raw in str(text).splitlines():
        line = raw.strip().removeprefix("- ").strip()
        if line:
            joined += (" " if joined.endswith(":") else "; ") + line if joined else line
    return joined if len(joined) <= limit else joined[: limit - 3] + "..."


def _json_path(parts) -> str:
    path = "$"
    for part in parts or ():
        path += (
            f"[{part}]"
            if isinstance(part, int)
            else (f".{part}" if re.fullmatch(r"\w+", str(part)) else f"[{str(part)!r}]")
        )
    return path


def _invalid_part(case) -> str:
    """What made a negative case invalid, as schemathesis recorded the mutation."""
    meta = getattr(case, "meta", None)
    data = getattr(getattr(meta, "phase", None), "data", None)
    if data is None:
        return "invalid data (schemathesis recorded no mutation)"
    where = []
    location = getattr(data, "parameter_location", None)
    if location is not None:
        where.append(str(getattr(location, "value", location)))
    if getattr(data, "parameter", None) and str(getattr(location, "value", "")) != "body":
        where.append(f"parameter `{data.parameter}`")
    description = getattr(data, "description", None) or "invalid data"
    return (" ".join(where) + ": " if where else "") + description[0].lower() + description[1:]


def _describe(check: str, failure: Any, response, case) -> tuple[tuple, str]:
    """(dedup key, detail) of one schemathesis failure."""
    kind = type(failure).__name__
    negative = getattr(getattr(getattr(case, "meta", None), "generation", None), "mode", None)
    invalid = f"; request invalid by {_invalid_part(case)}" if negative is not None and negative.is_negative else ""
    if kind == "ServerError" or check == "not_a_server_error":
        body = " ".join((response.text or "").split())
        start = short(body[:120], 100) if body else "(empty body)"
        return (response.status_code,), f"server error, body starts {start}{invalid}"
    if kind == "JsonSchemaError":
        schema_path = list(getattr(failure, "schema_path", []) or [])
        keyword = str(schema_path[-1]) if schema_path else "?"
        subschema = getattr(failure, "schema", {}) or {}
        expected = subschema.get(keyword, "?") if isinstance(subschema, dict) else "?"
        instance_path = list(getattr(failure, "instance_path", []) or [])
        where = "header" if check == "response_headers_conformance" else "body"
        detail = (
            f"{where} {_json_path(instance_path)}: {keyword} expected {short(expected, 60)}, "
            f"got {short(getattr(failure, 'instance', None), 60)}"
        )
        generic_path = tuple("[]" if isinstance(p, int) else str(p) for p in instance_path)
        return (kind, tuple(map(str, schema_path)), generic_path), detail + invalid
    if kind == "AcceptedNegativeData":
        statuses = ", ".join(map(str, getattr(failure, "expected_statuses", []) or []))
        data = getattr(getattr(getattr(case, "meta", None), "phase", None), "data", None)
        # one finding per place and violated keyword (or kind of mutation), however the values differ
        mutations = tuple(
            sorted(
                {
                    (
                        str(getattr(m, "parameter_location", "")),
                        tuple(getattr(m, "keywords", ())) or str(getattr(m, "operator", "")),
                    )
                    for m in getattr(data, "mutations", ()) or ()
                }
            )
        ) or (str(getattr(data, "description", "")),)
        detail = f"invalid request accepted: {_invalid_part(case)}" + (
            f" (expected one of {statuses})" if statuses else ""
        )
        return (kind, mutations), detail
    title = getattr(failure, "title", kind)
    message = _lines(getattr(failure, "message", "") or "")
    return (kind, _first_line(message)), (f"{title}: {message}" if message else str(title)) + invalid
