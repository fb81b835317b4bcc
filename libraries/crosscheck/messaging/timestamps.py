"""Send timestamps as real systems write them, pure computation.

A message's send time may be epoch seconds, milliseconds or microseconds (a number or a
numeric string) or an ISO-8601 string (``2024-05-01T12:00:00.123Z``, ``+02:00``, or no zone),
at a top-level field (``sent_at``), a dotted path (``result.date_done``) or a JSONPath
(``$.meta.ts``). :class:`TimestampReader` finds and reads it; a value that is present but
cannot be read is an :class:`Unreadable` with the reason, so statistics count it instead of
dropping it.

Detection (``timestamp_format=auto``): a number below 1e11 is seconds (up to the year 5138),
below 1e14 milliseconds, below 1e17 microseconds; a string of digits is read as that number;
any other string as ISO-8601. An ISO time without a zone is taken as UTC, as task queues
(Celery's ``date_done``) write it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jsonpath_ng.exceptions import JsonPathParserError
from jsonpath_ng.ext import parse as jsonpath_parse

from crosscheck.errors import ConfigurationError

FORMATS = ("auto", "iso", "epoch_s", "epoch_ms", "epoch_us")
_SCALE = {"epoch_s": 1.0, "epoch_ms": 1e-3, "epoch_us": 1e-6}
_SIMPLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_NUMERIC = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")
# 2024-05-01T12:00:00, optional fraction, optional zone (Z, +02:00, +0200); a space may replace the T
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?$", re.I)


class TimestampError(ValueError):
    """A value that is not a readable send time; the message says why."""


@dataclass(frozen=True)
class Unreadable:
    """A send time present in a message but not readable: the value and why."""

    value: Any
    reason: str

    def describe(self) -> str:
        return f"{self.reason} (value {self.value!r})"


def check_format(fmt: str) -> str:
    """``fmt`` in lower case, or a :class:`ConfigurationError` naming the formats."""
    value = str(fmt or "auto").strip().lower()
    if value not in FORMATS:
        raise ConfigurationError(f"Unknown timestamp format {fmt!r}; use one of {', '.join(FORMATS)}.")
    return value


def _epoch(number: float, fmt: str, value: Any) -> float:
    if not math.isfinite(number):
        raise TimestampError(f"{value!r} is not a finite number")
    if fmt == "auto":
        magnitude = abs(number)
        if magnitude < 1e11:
            return number
        if magnitude < 1e14:
            return number / 1e3
        if magnitude < 1e17:
            return number / 1e6
        raise TimestampError(f"{value!r} is too large for epoch seconds, milliseconds or microseconds")
    return number * _SCALE[fmt]


def _iso(text: str, value: Any) -> float:
    stripped = text.strip()
    if not _ISO.match(stripped):
        raise TimestampError(f"{value!r} is not an ISO-8601 time")
    candidate = stripped[:-1] + "+00:00" if stripped[-1:] in ("Z", "z") else stripped
    # Python 3.11 reads up to 6 fraction digits; nanoseconds are cut to microseconds
    candidate = re.sub(r"(\.\d{6})\d+", r"\1", candidate)
    try:
        moment = datetime.fromisoformat(candidate)
    except ValueError as exc:
        raise TimestampError(f"{value!r} is not an ISO-8601 time ({exc})") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def parse_timestamp(value: Any, fmt: str = "auto") -> float:
    """Epoch seconds from ``value`` in ``fmt`` (see the module documentation); raises
    :class:`TimestampError` saying why a value cannot be read."""
    fmt = check_format(fmt)
    if isinstance(value, bool) or value is None:
        raise TimestampError(f"{value!r} is not a time")
    if isinstance(value, (int, float)):
        if fmt == "iso":
            raise TimestampError(f"{value!r} is a number, not an ISO-8601 time")
        return _epoch(float(value), fmt, value)
    if isinstance(value, str):
        if _NUMERIC.match(value):
            if fmt == "iso":
                raise TimestampError(f"{value!r} is a number, not an ISO-8601 time")
            return _epoch(float(value), fmt, value)
        if fmt not in ("auto", "iso"):
            raise TimestampError(f"{value!r} is not a number ({fmt})")
        return _iso(value, value)
    raise TimestampError(f"{value!r} is a {type(value).__name__}, not a time")


def stamp_field(path: str) -> str:
    """The top-level field the library writes its own send time to for ``path``: the path
    itself when it is a plain field name, else ``sent_at``."""
    return path if _SIMPLE.match(path or "") else "sent_at"


class FieldPath:
    """A place in a JSON payload: a field name (``task_id``), a dotted path
    (``result.date_done``) or a JSONPath (``$.meta.ts``). A top-level key spelled exactly
    as the path wins over the path."""

    def __init__(self, path: str, what: str = "field"):
        if not path or not str(path).strip():
            raise ConfigurationError(f"A {what} needs a name or a JSONPath, e.g. 'sent_at' or '$.meta.ts'.")
        self.path = str(path).strip()
        self._expr = None
        if not _SIMPLE.match(self.path):
            try:
                self._expr = jsonpath_parse(self.path)
            except (JsonPathParserError, Exception) as exc:  # jsonpath-ng raises plain Exception for some input
                raise ConfigurationError(f"{what.capitalize()} {self.path!r} is not a valid JSONPath: {exc}") from None

    def __str__(self) -> str:
        return self.path

    def find(self, payload: Any) -> tuple[bool, Any]:
        """(found, value) of the field in ``payload``."""
        if isinstance(payload, dict) and self.path in payload:
            return True, payload[self.path]
        if self._expr is None or not isinstance(payload, (dict, list)):
            return False, None
        found = self._expr.find(payload)
        return (True, found[0].value) if found else (False, None)


class TimestampReader(FieldPath):
    """Reads the send time at ``path`` (see :class:`FieldPath`) of a payload in ``fmt``."""

    def __init__(self, path: str = "sent_at", fmt: str = "auto"):
        super().__init__(path, "timestamp path")
        self.format = check_format(fmt)

    def __str__(self) -> str:
        return self.path if self.format == "auto" else f"{self.path} ({self.format})"

    def read(self, payload: Any) -> float | Unreadable | None:
        """Epoch seconds; an :class:`Unreadable` when the field is there but not a time; None when absent."""
        found, value = self.find(payload)
        if not found:
            return None
        try:
            return parse_timestamp(value, self.format)
        except TimestampError as exc:
            return Unreadable(value, str(exc))
