"""Regular expressions of label matchers, read with Prometheus's RE2 syntax and meaning.

Prometheus (model/labels/regexp.go) parses ``=~"v"`` with Go's RE2 syntax and matches
``^(?s:v)$``: anchored at both ends, ``.`` matching a newline; a ``v`` of plain text and ``|``
is compared as strings, unparsed. :func:`compile_anchored` does the same with Google's RE2
(``google-re2``), the library Go's syntax follows, so look-arounds, back-references and
possessive repeats are refused and matching takes linear time. Where Go reads a pattern
differently from C++ RE2, Go's reading is kept by the checks marked below. Errors are RE2's own,
with the place in the pattern and, where one helps, a hint. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import re2

_OPTIONS = re2.Options()  # Go's: UTF-8, Perl syntax, leftmost-first, default memory
_OPTIONS.log_errors = False  # raised, not also printed

# what Go's regexp.QuoteMeta escapes: a pattern without any of these is text and '|'
_SPECIAL = frozenset("\\.+*?()[]{}^$")
# lone surrogates: bytes of a PromQL string that are not UTF-8 (surrogate escapes)
_NOT_UTF8 = re.compile("[\ud800-\udfff]")
# Go only: C++ RE2 accepts \C (one byte) and group names beyond ASCII letters, digits and '_';
# Go refuses both. Literal text, other escapes and classes are stepped over.
_GO_REFUSES = re.compile(r"\\Q.*?(?:\\E|\Z)|\\(C)|\\.|\[\^?\]?(?:\[:[^\]]*:\]|\\.|[^\]])*\]|\(\?P?<([^>]*)>", re.S)
_HINTS = [
    (
        r"invalid perl operator",
        "RE2 has no look-around, atomic group, comment or (?P=name), and its flags are i, m, s, U",
    ),
    (r"invalid escape sequence: \\[1-9]", "RE2 has no back-references"),
    (r"invalid escape sequence: \\Z", "the end of the text is \\z in RE2"),
    (r"invalid escape sequence: \\u", "write the character itself, or \\x{HHHH}"),
    (r"bad repetition operator", "a repeat of a repeat (a*+, a**) is not RE2: group the inner one, (?:a*)+"),
    (r"invalid repetition size", "counts go up to 1000, low <= high, also multiplied over nested repeats"),
    (r"pattern too large", "RE2's memory for one expression is 8 MiB: repeat a smaller class, or fewer times"),
]


class RegexError(ValueError):
    """A pattern Prometheus's RE2 refuses."""


def compile_anchored(pattern: str) -> Callable[[str], bool]:
    """Whether a label value matches Prometheus's ``=~"pattern"``, as a function of the value."""
    if not _SPECIAL.intersection(pattern):  # Prometheus's literal alternatives, compared as strings
        return frozenset(pattern.split("|")).__contains__
    odd = _NOT_UTF8.search(pattern)
    if odd:
        raise RegexError(f"invalid UTF-8 at character {odd.start() + 1}")
    problem = _error(pattern)  # the pattern alone, as Prometheus parses it before anchoring
    if problem:
        raise RegexError(_placed(pattern, problem))
    for m in _GO_REFUSES.finditer(pattern):
        if m.group(1):
            raise RegexError(f"invalid escape sequence: \\C at character {m.start() + 1} (Go's RE2 has no \\C)")
        if m.group(2) and not m.group(2).isascii():
            raise RegexError(
                f"invalid named capture group: {m.group(0)} at character {m.start() + 1} "
                "(Go's RE2 names groups with ASCII letters, digits and '_')"
            )
    try:
        regex = re2.compile(f"^(?s:{pattern})$", _OPTIONS)
    except re2.error as exc:  # a size limit only: the pattern alone compiled
        raise RegexError(_placed(pattern, _text(exc))) from None

    def matches(value: str) -> bool:
        try:
            return regex.fullmatch(value) is not None
        except UnicodeEncodeError:  # bytes that are not UTF-8: Go reads each as U+FFFD
            return regex.fullmatch(_NOT_UTF8.sub("\ufffd", value)) is not None

    return matches


def _placed(pattern: str, problem: str) -> str:
    """RE2's ``problem`` with its place in ``pattern`` and a hint where one helps."""
    if problem.startswith("missing )"):  # RE2 quotes the whole pattern: it notices at the end
        at = len(pattern)
    elif problem.startswith("unexpected )"):  # RE2 quotes the whole pattern: the first ')' no prefix closes
        at = next(
            (k for k, c in enumerate(pattern) if c == ")" and _error(pattern[: k + 1]).startswith("unexpected")), 0
        )
    elif problem.startswith("trailing \\"):
        at = len(pattern) - 1
    else:  # RE2 quotes the offending part
        at = max(pattern.find(problem.partition(": ")[2]), 0)
    hint = next((h for p, h in _HINTS if re.match(p, problem)), "")
    return f"{problem} at character {at + 1}" + (f" ({hint})" if hint else "")


def _error(pattern: str) -> str:
    """RE2's reason to refuse ``pattern``, or ``""``."""
    try:
        re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        return _text(exc)
    return ""


def _text(exc: Exception) -> str:
    text = exc.args[0] if exc.args else ""
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
