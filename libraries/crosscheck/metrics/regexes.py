"""Regular expressions of label matchers, read with Prometheus's (RE2) syntax and meaning.

Prometheus compiles ``=~"v"`` as ``^(?s:v)$`` with Go's RE2 syntax: anchored at both ends,
``.`` matching a newline, ``\\d``, ``\\s``, ``\\w`` and ``\\b`` on ASCII only, flags ``i``,
``m``, ``s`` and ``U`` that may change in the middle of a group, octal ``\\123`` and
``\\x{10FFFF}`` escapes, POSIX classes ``[[:alpha:]]`` and ``\\Q...\\E`` literals. Python's
``re`` reads several of these differently, and accepts what RE2 refuses (look-arounds,
back-references, possessive repeats). :func:`compile_anchored` translates a pattern into an
equivalent Python expression, or raises :class:`RegexError` naming the place, where RE2 would
refuse the pattern or where no equivalent is offered here (``\\p{Greek}``). Pure.
"""

from __future__ import annotations

import re

_WORD = "0-9A-Za-z_"
_PERL = {"d": "0-9", "s": "\\t\\n\\f\\r ", "w": _WORD}
_POSIX = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": _WORD,
    "xdigit": "0-9A-Fa-f",
}
_SIMPLE = {"a": "\a", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_REPEAT = re.compile(r"\{(\d+)(,(\d*))?\}")
_MAX_REPEAT = 1000
_BOUNDARY = f"(?:(?<=[{_WORD}])(?![{_WORD}])|(?<![{_WORD}])(?=[{_WORD}]))"
_NOT_BOUNDARY = f"(?:(?<=[{_WORD}])(?=[{_WORD}])|(?<![{_WORD}])(?![{_WORD}]))"


class RegexError(ValueError):
    """A pattern RE2 refuses, or one this module offers no equivalent for."""


def compile_anchored(pattern: str) -> re.Pattern:
    """The Python expression that matches what Prometheus's ``=~"pattern"`` matches (use ``fullmatch``)."""
    return re.compile(translate(pattern))


def translate(pattern: str) -> str:
    """``pattern`` (RE2 syntax, Prometheus's flags) as an equivalent Python expression."""
    return _Translator(pattern).run()


def _literal(ch: str) -> str:
    return ch if ch.isalnum() or ord(ch) > 127 else re.escape(ch)


def _class_literal(ch: str) -> str:
    return ch if ch.isalnum() or ord(ch) > 127 else "\\" + ch


class _Translator:
    def __init__(self, pattern: str):
        self.p, self.i = pattern, 0
        self.flags = {"s"}

    def fail(self, problem: str, at: int | None = None) -> RegexError:
        return RegexError(f"{problem} at character {(self.i if at is None else at) + 1}")

    def run(self) -> str:
        odd = re.search("[\udc80-\udcff]", self.p)
        if odd:  # a \xHH byte of the PromQL string that is not UTF-8: RE2 refuses it
            raise self.fail("invalid UTF-8", odd.start())
        out = self.sequence()
        if self.i < len(self.p):
            raise self.fail("unexpected ')': no group is open")
        return out

    # --- sequences, groups and repeats ---------------------------------------------------

    def sequence(self) -> str:
        """Alternatives up to an unmatched ')' or the end."""
        out: list[str] = []
        last_atom = False
        while self.i < len(self.p):
            ch = self.p[self.i]
            if ch == ")":
                break
            if ch == "|":
                self.i += 1
                out.append("|")
                last_atom = False
                continue
            if ch in "*+?" or (ch == "{" and _REPEAT.match(self.p, self.i)):
                if not last_atom:
                    raise self.fail(f"missing argument to repetition operator {ch!r}")
                out[-1] = f"(?:{out[-1]})" + self.repeat()
                if self.i < len(self.p) and (
                    self.p[self.i] in "*+?" or (self.p[self.i] == "{" and _REPEAT.match(self.p, self.i))
                ):
                    raise self.fail(f"invalid nested repetition operator {self.p[self.i]!r}")
                last_atom = False
                continue
            if self.p.startswith("\\Q", self.i):  # \Q...\E: literal characters, a repeat takes the last
                quoted = self.quoted()
                out.extend(quoted)
                last_atom = last_atom or bool(quoted)
                continue
            atom = self.atom()
            if atom is None:  # a flag change: no atom
                continue
            out.append(atom)
            last_atom = atom != ""
        return "".join(out)

    def repeat(self) -> str:
        ch = self.p[self.i]
        start = self.i
        if ch == "{":
            m = _REPEAT.match(self.p, self.i)
            assert m is not None
            low = int(m.group(1))
            high = low if m.group(2) is None else (int(m.group(3)) if m.group(3) else None)
            if low > _MAX_REPEAT or (high is not None and (high > _MAX_REPEAT or high < low)):
                raise self.fail(f"invalid repeat count {m.group(0)!r} (at most {_MAX_REPEAT}, low <= high)", start)
            op = m.group(0)
            self.i = m.end()
        else:
            op = ch
            self.i += 1
        lazy = self.i < len(self.p) and self.p[self.i] == "?"
        if lazy:
            self.i += 1
        if "U" in self.flags:
            lazy = not lazy
        return op + ("?" if lazy else "")

    def atom(self) -> str | None:
        ch = self.p[self.i]
        if ch == "(":
            return self.group()
        if ch == "[":
            return self.wrap(self.char_class())
        if ch == "\\":
            return self.escape()
        self.i += 1
        if ch == ".":
            return "(?s:.)" if "s" in self.flags else "[^\\n]"
        if ch == "^":
            return "(?m:^)" if "m" in self.flags else "\\A"
        if ch == "$":
            return "(?m:$)" if "m" in self.flags else "\\Z"
        return self.wrap(_literal(ch))

    def wrap(self, atom: str) -> str:
        return f"(?i:{atom})" if "i" in self.flags else atom

    def group(self) -> str | None:
        start = self.i
        self.i += 1
        saved = set(self.flags)
        if self.p.startswith("?", self.i):
            name = re.compile(r"\?P?<([A-Za-z0-9_]*)>").match(self.p, self.i)
            flags = re.compile(r"\?([A-Za-z]*)(-[A-Za-z]*)?([:)])").match(self.p, self.i)
            if name:
                if not name.group(1):
                    raise self.fail("invalid named capture: the name is empty", start)
                self.i = name.end()
            elif flags:
                on, off = flags.group(1), (flags.group(2) or "-")[1:]
                bad = [f for f in on + off if f not in "imsU"]
                if bad or (flags.group(2) is not None and not off) or not (on or off):
                    raise self.fail(
                        f"invalid or unsupported flags {self.p[start : flags.end()]!r} (RE2 knows i, m, s and U)",
                        start,
                    )
                self.flags |= set(on)
                self.flags -= set(off)
                self.i = flags.end()
                if flags.group(3) == ")":  # (?i): for the rest of the enclosing group
                    return None
            else:
                shown = self.p[start : start + 4]
                raise self.fail(
                    f"invalid or unsupported Perl syntax {shown!r}: RE2 has no look-around, back-reference, "
                    "atomic group or comment",
                    start,
                )
        inner = self.sequence()
        if self.i >= len(self.p):
            raise self.fail("missing closing ')' for the group opened", start)
        self.i += 1
        self.flags = saved
        return f"(?:{inner})"

    # --- escapes ---------------------------------------------------------------------------

    def escape(self) -> str:
        start = self.i
        self.i += 1
        if self.i >= len(self.p):
            raise self.fail("trailing backslash at the end of the expression", start)
        ch = self.p[self.i]
        self.i += 1
        if ch in _PERL:
            return f"[{_PERL[ch]}]"
        if ch.lower() in _PERL:
            return f"[^{_PERL[ch.lower()]}]"
        if ch == "b":
            return _BOUNDARY
        if ch == "B":
            return _NOT_BOUNDARY
        if ch == "A":
            return "\\A"
        if ch == "z":
            return "\\Z"
        return self.wrap(_literal(self.char_escape(ch, start)))

    def quoted(self) -> list[str]:
        end = self.p.find("\\E", self.i + 2)
        text = self.p[self.i + 2 :] if end < 0 else self.p[self.i + 2 : end]
        self.i = len(self.p) if end < 0 else end + 2
        return [self.wrap(_literal(c)) for c in text]

    def char_escape(self, ch: str, start: int) -> str:
        """The character an escape stands for (after ``\\`` and ``ch``), in or out of a class."""
        if ch in _SIMPLE:
            return _SIMPLE[ch]
        if ch in "01234567":
            if ch != "0" and not (self.i < len(self.p) and self.p[self.i] in "01234567"):
                raise self.fail(f"invalid escape sequence '\\{ch}': RE2 has no back-references", start)
            value = int(ch)
            for _ in range(2):
                if self.i < len(self.p) and self.p[self.i] in "01234567":
                    value = value * 8 + int(self.p[self.i])
                    self.i += 1
            return chr(value)
        if ch == "x":
            m = re.compile(r"\{([0-9A-Fa-f]+)\}|([0-9A-Fa-f]{2})").match(self.p, self.i)
            if not m or int(m.group(1) or m.group(2), 16) > 0x10FFFF:
                raise self.fail("invalid escape sequence '\\x': write \\xHH or \\x{HHHH}", start)
            self.i = m.end()
            return chr(int(m.group(1) or m.group(2), 16))
        if ch in "pP":
            raise self.fail(f"Unicode classes '\\{ch}...' are not supported here: list the characters in [...]", start)
        if ord(ch) < 128 and not ch.isalnum():
            return ch
        raise self.fail(f"invalid escape sequence '\\{ch}'", start)

    # --- character classes -----------------------------------------------------------------

    def char_class(self) -> str:
        start = self.i
        self.i += 1
        negated = self.p.startswith("^", self.i)
        if negated:
            self.i += 1
        items: list[str] = []
        first = True
        while True:
            if self.i >= len(self.p):
                raise self.fail("missing closing ']' for the class opened", start)
            ch = self.p[self.i]
            if ch == "]" and not first:
                self.i += 1
                break
            first = False
            posix = re.compile(r"\[:(\^?)([a-z]+):\]").match(self.p, self.i)
            if posix:
                if posix.group(2) not in _POSIX:
                    raise self.fail(f"invalid character class range {posix.group(0)!r}")
                if posix.group(1):
                    raise self.fail(f"negated POSIX class {posix.group(0)!r} is not supported here: use [^...]")
                items.append(_POSIX[posix.group(2)])
                self.i = posix.end()
                continue
            if ch == "\\" and self.i + 1 < len(self.p) and self.p[self.i + 1].lower() in _PERL:
                letter = self.p[self.i + 1]
                if letter.isupper():
                    raise self.fail(f"'\\{letter}' inside [...] is not supported here: write the class out")
                items.append(_PERL[letter])
                self.i += 2
                continue
            low = self.class_char()
            if self.p.startswith("-", self.i) and self.i + 1 < len(self.p) and self.p[self.i + 1] != "]":
                here = self.i
                self.i += 1
                high = self.class_char()
                if ord(high) < ord(low):
                    raise self.fail(f"invalid character class range '{low}-{high}'", here)
                items.append(f"{_class_literal(low)}-{_class_literal(high)}")
            else:
                items.append(_class_literal(low))
        return f"[{'^' if negated else ''}{''.join(items)}]"

    def class_char(self) -> str:
        ch = self.p[self.i]
        if ch != "\\":
            self.i += 1
            return ch
        start = self.i
        self.i += 1
        if self.i >= len(self.p):
            raise self.fail("trailing backslash at the end of the expression", start)
        esc = self.p[self.i]
        self.i += 1
        return self.char_escape(esc, start)
