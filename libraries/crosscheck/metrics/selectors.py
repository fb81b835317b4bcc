"""PromQL instant-vector selectors, read as Prometheus reads them.

``name{label="value", other!="x", path=~"/v1/.*", code!~"5.."}``: the four matchers
``=``, ``!=``, ``=~`` and ``!~``; values in double quotes, single quotes (both with Go
escapes: ``\\\\``, ``\\"``, ``\\n``, ``\\t``, ``\\xHH``, ``\\uHHHH`` ...) or backticks (raw);
regular expressions anchored at both ends; a label a series lacks has the value ``""``;
a selector without a name takes it from ``__name__="..."``. Pure: no Robot, no network.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NoReturn

from crosscheck.errors import ConfigurationError
from crosscheck.metrics import regexes

OPERATORS = ("=~", "!~", "!=", "=")
_NAME = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


@dataclass(frozen=True)
class Matcher:
    """One label matcher: ``label``, ``op`` (one of :data:`OPERATORS`), ``value``."""

    label: str
    op: str
    value: str
    _regex: re.Pattern | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.op not in OPERATORS:
            raise ConfigurationError(f"Unknown label matcher '{self.op}': use one of {', '.join(OPERATORS)}.")
        if self.op in ("=~", "!~"):
            try:
                object.__setattr__(self, "_regex", regexes.compile_anchored(self.value))
            except (regexes.RegexError, re.error) as exc:
                raise ConfigurationError(
                    f"The regular expression of {self} is invalid (Prometheus reads it with RE2 syntax): {exc}."
                ) from None

    def matches(self, labels: Mapping[str, str]) -> bool:
        seen = labels.get(self.label, "")
        if self.op == "=":
            return seen == self.value
        if self.op == "!=":
            return seen != self.value
        found = self._regex.fullmatch(seen) is not None  # type: ignore[union-attr]
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        return f"{self.label}{self.op}{quote(self.value)}"


def quote(value: str) -> str:
    """``value`` as a PromQL double-quoted string."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def matches(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)


def equal(labels: Mapping[str, object]) -> list[Matcher]:
    """``=`` matchers for a ``{label: value}`` dictionary."""
    return [Matcher(str(k), "=", str(v)) for k, v in labels.items()]


def parse(text: str) -> tuple[str, list[Matcher]]:
    """``name{matchers}`` -> ``(name, [Matcher, ...])``; errors name the place and the fix."""
    reader = _Reader(text)
    reader.space()
    name = reader.take(_NAME) or ""
    reader.space()
    found: list[Matcher] = []
    if reader.peek("{"):
        reader.pos += 1
        while True:
            reader.space()
            if reader.peek("}"):
                reader.pos += 1
                break
            label = reader.take(_LABEL)
            if not label:
                reader.fail('a label name (label="value" pairs, separated by commas)')
            reader.space()
            op = next((o for o in OPERATORS if reader.peek(o)), None)
            if op is None:
                reader.fail(f"a matcher after '{label}': one of {', '.join(OPERATORS)}")
            reader.pos += len(op)
            reader.space()
            found.append(Matcher(label, op, reader.string()))
            reader.space()
            if reader.peek(","):
                reader.pos += 1
            elif not reader.peek("}"):
                reader.fail("',' or '}' after a matcher")
        reader.space()
    if reader.pos != len(text):
        reader.fail("the end of the selector")
    if not name:
        names = [m for m in found if m.label == "__name__"]
        if len(names) != 1 or names[0].op != "=":
            raise ConfigurationError(
                f"'{text}' is not a metric name or a selector like name{{label=\"value\"}}: "
                'it needs a metric name, or exactly one __name__="..." matcher.'
            )
        name = names[0].value
        found = [m for m in found if m.label != "__name__"]
    return name, found


class _Reader:
    def __init__(self, text: str):
        self.text, self.pos = text, 0

    def peek(self, token: str) -> bool:
        return self.text.startswith(token, self.pos)

    def space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def take(self, pattern: re.Pattern) -> str | None:
        m = pattern.match(self.text, self.pos)
        if not m:
            return None
        self.pos = m.end()
        return m.group(0)

    def fail(self, wanted: str) -> NoReturn:
        shown = self.text[self.pos : self.pos + 20] or "the end"
        raise ConfigurationError(
            f"'{self.text}' is not a metric name or a selector like name{{label=\"value\"}}: "
            f"expected {wanted} at character {self.pos + 1}, found {shown!r}."
        )

    def string(self) -> str:
        if self.pos >= len(self.text) or self.text[self.pos] not in "\"'`":
            self.fail("a quoted value (\"...\", '...' or `...`)")
        quote_char, start = self.text[self.pos], self.pos
        self.pos += 1
        out: list[str] = []
        while True:
            if self.pos >= len(self.text):
                self.pos = start
                self.fail(f"a closing {quote_char} for the value starting")
            ch = self.text[self.pos]
            self.pos += 1
            if ch == quote_char:
                return "".join(out)
            if ch != "\\" or quote_char == "`":
                out.append(ch)
                continue
            out.append(self._escape(quote_char))

    def _escape(self, quote_char: str) -> str:
        if self.pos >= len(self.text):
            self.fail("an escaped character after '\\'")
        ch = self.text[self.pos]
        self.pos += 1
        if ch in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[ch]
        if ch == quote_char:
            return ch
        if ch in _HEX_ESCAPES:
            digits = self.text[self.pos : self.pos + _HEX_ESCAPES[ch]]
            if len(digits) == _HEX_ESCAPES[ch] and all(c in "0123456789abcdefABCDEF" for c in digits):
                self.pos += len(digits)
                return chr(int(digits, 16))
        elif ch in "01234567":
            digits = self.text[self.pos - 1 : self.pos + 2]
            if len(digits) == 3 and all(c in "01234567" for c in digits):
                self.pos += 2
                return chr(int(digits, 8))
        self.pos -= 2
        self.fail('a valid escape (\\\\, \\", \\n, \\t, \\xHH, \\uHHHH; write a backslash as \\\\)')
