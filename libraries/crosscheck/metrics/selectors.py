"""PromQL instant-vector selectors, read as Prometheus reads them.

``name{label="value", other!="x", path=~"/v1/.*", code!~"5.."}``: the four matchers
``=``, ``!=``, ``=~`` and ``!~``; values in double quotes, single quotes (both with Go
escapes: ``\\\\``, ``\\"``, ``\\n``, ``\\t``, ``\\xHH`` (a byte), ``\\uHHHH`` ...) or
backticks (raw); regular expressions with RE2 syntax, anchored at both ends (``regexes``);
a label a series lacks has the value ``""``. A metric or label name outside Prometheus's
legacy characters is written in quotes: ``{"my.metric", "label.name"="x"}``; the name may
also come from ``__name__="..."``. ``#`` starts a comment to the end of the line. What
Prometheus refuses is refused: ``{}``, a selector whose every matcher matches the empty
value, a name set both before and inside the braces, unknown escapes, unterminated strings.
Pure: no Robot, no network.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import NoReturn

from crosscheck.errors import ConfigurationError
from crosscheck.metrics import regexes

OPERATORS = ("=~", "!~", "!=", "=")
NAME_LABEL = "__name__"
NAME = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPACE = " \t\n\r"  # PromQL's white space; anything else outside a string is refused
_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}
# words PromQL does not read as a metric name before braces (any case): numbers and keywords
_NOT_NAMES = {"nan": "a number", "inf": "a number"} | dict.fromkeys(
    ("on", "ignoring", "group_left", "group_right", "bool", "atan2"), "a keyword"
)
_PROMQL_TAIL = {"[": "a range ([5m])", "@": "an @ modifier", "o": "an offset modifier"}
_SHAPE = 'a selector like name{label="value"}'
_QUOTED_NAME = (
    "A metric name with characters other than letters, digits, '_' and ':' is written in quotes "
    'inside the braces: {"my.metric"}.'
)
_QUOTED_LABEL = (
    'A label name with characters other than letters, digits and \'_\' is written in quotes: {"label.name"="x"}.'
)


@dataclass(frozen=True)
class Matcher:
    """One label matcher: ``label``, ``op`` (one of :data:`OPERATORS`), ``value``."""

    label: str
    op: str
    value: str
    _regex: Callable[[str], bool] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.op not in OPERATORS:
            raise ConfigurationError(f"Unknown label matcher '{self.op}': use one of {', '.join(OPERATORS)}.")
        if self.op in ("=~", "!~"):
            try:
                object.__setattr__(self, "_regex", regexes.compile_anchored(self.value))
            except regexes.RegexError as exc:
                raise ConfigurationError(
                    f"The regular expression of {self} is invalid (Prometheus reads it with RE2 syntax): {exc}."
                ) from None

    def matches(self, labels: Mapping[str, str]) -> bool:
        seen = labels.get(self.label, "")
        if self.op == "=":
            return seen == self.value
        if self.op == "!=":
            return seen != self.value
        found = self._regex(seen)  # type: ignore[misc]
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        return f"{quote_name(self.label)}{self.op}{quote(self.value)}"


def quote(value: str) -> str:
    """``value`` as a PromQL double-quoted string (bytes that are not UTF-8 as ``\\xHH``)."""
    out = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + re.sub("[\udc80-\udcff]", lambda m: f"\\x{ord(m.group(0)) - 0xDC00:02x}", out) + '"'


def quote_name(name: str, pattern: re.Pattern = _LABEL) -> str:
    """A label (or, with ``NAME``, metric) name as PromQL writes it: bare, or quoted when it needs it."""
    return name if pattern.fullmatch(name) else quote(name)


def matches(matchers: Iterable[Matcher], labels: Mapping[str, str], name: str | None = None) -> bool:
    """Whether every matcher accepts ``labels``; with ``name``, a ``__name__`` matcher sees the sample's name."""
    if name is not None:
        labels = {**labels, NAME_LABEL: name}
    return all(m.matches(labels) for m in matchers)


def equal(labels: Mapping[str, object]) -> list[Matcher]:
    """``=`` matchers for a ``{label: value}`` dictionary."""
    return [Matcher(str(k), "=", str(v)) for k, v in labels.items()]


def read(text: str) -> list[Matcher]:
    """The label matchers Prometheus reads from selector ``text``, in its order: those in the
    braces, then ``__name__="name"`` for a name written before them. Refuses what Prometheus refuses."""
    outside, inside = _read(text)
    return inside + ([Matcher(NAME_LABEL, "=", outside)] if outside else [])


def parse(text: str) -> tuple[str, list[Matcher]]:
    """``name{matchers}`` -> ``(name, [Matcher, ...])``: the one metric a keyword reads, and the
    other matchers (a further ``__name__`` matcher stays among them, matched against the sample's
    name). Errors name the place and the fix."""
    outside, inside = _read(text)
    if outside:
        return outside, inside
    named = [m for m in inside if m.label == NAME_LABEL and m.op == "="]
    if not named:
        raise ConfigurationError(
            f"'{text}' names no metric: a keyword reads one metric, so write its name before the braces "
            f'(name{{...}}), quoted inside them ({{"name", ...}}) or as __name__="name"'
            + (
                "; a __name__ regular expression selects several metrics."
                if any(m.label == NAME_LABEL for m in inside)
                else "."
            )
        )
    inside.remove(named[0])
    return named[0].value, inside


def _read(text: str) -> tuple[str, list[Matcher]]:
    """(the name before the braces or "", the matchers in the braces), checked as Prometheus checks them."""
    reader = _Reader(text)
    reader.space()
    name = reader.take(NAME) or ""
    if name.lower() in _NOT_NAMES:
        reader.pos = 0
        reader.fail(
            "a metric name",
            f"'{name}' is {_NOT_NAMES[name.lower()]} in PromQL: a metric of that name is written {{{quote(name)}}}.",
        )
    reader.space()
    found: list[Matcher] = []
    braces = reader.peek("{")
    if braces:
        found = reader.matchers()
        reader.space()
    if not name and not braces:
        quoted = reader.pos < len(text) and text[reader.pos] in "\"'`"
        reader.fail("a metric name or '{'", _QUOTED_NAME if quoted else "")
    if reader.pos != len(text):
        reader.trailing(name, braces)
    if name:
        for m in found:
            if m.label == NAME_LABEL:
                raise ConfigurationError(
                    f"'{text}' sets the metric name twice: '{name}' before the braces and {m} inside them "
                    "(Prometheus refuses it): keep one."
                )
    elif not any(not m.matches({}) for m in found):
        raise ConfigurationError(
            f"'{text}' would select every series: a selector needs a metric name or at least one matcher "
            'that does not match the empty value (Prometheus refuses it too), e.g. name{...} or {job="api"}.'
        )
    return name, found


class _Reader:
    def __init__(self, text: str):
        self.text, self.pos = text, 0

    def peek(self, token: str) -> bool:
        return self.text.startswith(token, self.pos)

    def space(self) -> None:
        """Skips PromQL's white space and ``#`` comments (to the end of the line)."""
        while self.pos < len(self.text):
            if self.text[self.pos] in _SPACE:
                self.pos += 1
            elif self.text[self.pos] == "#":
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end
            else:
                break

    def take(self, pattern: re.Pattern) -> str | None:
        m = pattern.match(self.text, self.pos)
        if not m:
            return None
        self.pos = m.end()
        return m.group(0)

    def fail(self, wanted: str, hint: str = "") -> NoReturn:
        found = self.text[self.pos : self.pos + 20]
        shown = repr(found) if found else "the end"
        odd = found[:1] if found[:1].isspace() and found[:1] not in _SPACE else ""
        if odd:
            hint = f"{hint} {odd!r} is not white space in PromQL: use a plain space.".strip()
        raise ConfigurationError(
            f"'{self.text}' is not a metric name or {_SHAPE}: "
            f"expected {wanted} at character {self.pos + 1}, found {shown}." + (f" {hint}" if hint else "")
        )

    def trailing(self, name: str, braces: bool) -> NoReturn:
        """Fails on what follows the selector, saying what it looks like."""
        rest = self.text[self.pos :]
        for start, what in _PROMQL_TAIL.items():
            if rest.lower().startswith(start) and (start != "o" or re.match(r"offset\b", rest, re.IGNORECASE)):
                self.fail(
                    "the end of the selector",
                    f"{what.capitalize()} is PromQL beyond a selector: write the selector alone "
                    "(for an increase, compare two scrapes with Get Counter Increase).",
                )
        if name and not braces and rest[:1] in ".-/":
            self.fail("'{' or the end of the selector", _QUOTED_NAME)
        self.fail("'{' or the end of the selector" if name and not braces else "the end of the selector")

    def matchers(self) -> list[Matcher]:
        self.pos += 1  # '{'
        found: list[Matcher] = []
        while True:
            self.space()
            if self.peek("}"):
                self.pos += 1
                return found
            start = self.pos
            if self.pos < len(self.text) and self.text[self.pos] in "\"'`":
                label = self.string()
                quoted = True
            else:
                label = self.take(_LABEL) or ""
                quoted = False
                if not label:
                    hint = _QUOTED_LABEL if self.pos < len(self.text) and self.text[self.pos] not in ",}" else ""
                    self.fail("a label name or '}' (label=\"value\" pairs, separated by commas)", hint)
            self.space()
            op = next((o for o in OPERATORS if self.peek(o)), None)
            if op is None and quoted and (self.peek(",") or self.peek("}")):
                found.append(Matcher(NAME_LABEL, "=", label))  # {"my.metric"}: the name, quoted
            elif op is None:
                odd_name = not quoted and self.text[self.pos : self.pos + 1] in tuple(".-/")
                self.fail(
                    f"a matcher after '{self.text[start : self.pos].strip()}': one of {', '.join(OPERATORS)}",
                    _QUOTED_LABEL if odd_name else "",
                )
            else:
                self.pos += len(op)
                self.space()
                found.append(Matcher(label, op, self.string()))
            self.space()
            if self.peek(","):
                self.pos += 1
            elif not self.peek("}"):
                self.fail("',' or '}' after a matcher")

    def string(self) -> str:
        """A quoted string, unescaped as Prometheus does: ``\\xHH`` and octal escapes are bytes."""
        if self.pos >= len(self.text) or self.text[self.pos] not in "\"'`":
            self.fail("a quoted value (\"...\", '...' or `...`)")
        quote_char, start = self.text[self.pos], self.pos
        self.pos += 1
        out = bytearray()
        while True:
            if self.pos >= len(self.text) or (self.text[self.pos] == "\n" and quote_char != "`"):
                self.pos = start
                where = "on its line (use \\n for a newline)" if quote_char != "`" else "before the end"
                self.fail(f"a closing {quote_char} {where} for the string starting")
            ch = self.text[self.pos]
            self.pos += 1
            if ch == quote_char:
                return out.decode("utf-8", "surrogateescape")
            if ch != "\\" or quote_char == "`":
                out += ch.encode("utf-8", "surrogateescape")
                continue
            out += self._escape(quote_char)

    def _escape(self, quote_char: str) -> bytes:
        escape_at = self.pos - 1
        if self.pos >= len(self.text):
            self.fail("an escaped character after '\\' (write a backslash as \\\\)")
        ch = self.text[self.pos]
        self.pos += 1
        if ch in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[ch].encode()
        if ch == quote_char:
            return ch.encode()
        if ch in _HEX_ESCAPES or ch in "01234567":
            size, base = (_HEX_ESCAPES[ch], 16) if ch in _HEX_ESCAPES else (3, 8)
            first = self.pos if ch in _HEX_ESCAPES else self.pos - 1
            digits = self.text[first : first + size]
            allowed = "0123456789abcdefABCDEF" if base == 16 else "01234567"
            if len(digits) == size and all(c in allowed for c in digits):
                value = int(digits, base)
                self.pos = first + size
                if ch in "x01234567":
                    if value > 255:
                        self.pos = escape_at
                        self.fail(f"an octal escape up to \\377, not \\{digits}")
                    return bytes([value])  # a byte, as in Go: "\xc3\xa9" is "é"
                if value > 0x10FFFF or 0xD800 <= value < 0xE000:
                    self.pos = escape_at
                    self.fail(f"a Unicode code point, not \\{ch}{digits}")
                return chr(value).encode()
        self.pos = escape_at
        self.fail(
            'a valid escape (\\\\, \\", \\n, \\t, \\xHH, \\uHHHH): write a backslash as \\\\, '
            "or put the value in backticks, which read backslashes as they are (`a\\.b`)"
        )
