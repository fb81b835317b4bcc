"""Selectors read and matched as Prometheus reads and matches them.

The inputs are the vector-selector cases of Prometheus's own parser tests (promql/parser),
its string escapes (util/strutil), its regular-expression matchers (model/labels: RE2 syntax,
anchored at both ends, ``.`` matching a newline) and its text exposition parser
(model/textparse): each case says what Prometheus reads, and the test checks that this
library reads the same, or refuses what Prometheus refuses with a message naming the place
and the fix. Pure: no service.
"""

from __future__ import annotations

import pytest

from crosscheck.errors import ConfigurationError
from crosscheck.metrics.selectors import Matcher

# --- regular expressions: RE2 syntax, fully anchored ------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("a|b", "xa", False),  # anchored at both ends, around the whole alternation
        ("a|b", "ax", False),
        ("a|b", "b", True),
        ("foo.*", "foo\nbar", True),  # '.' matches a newline (Prometheus adds the s flag)
        ("(?-s)foo.*", "foo\nbar", False),
        ("(?i)get", "GET", True),  # flags at the start: common in dashboards
        ("a(?i)b|c", "C", True),  # a flag set mid-group holds to the group's end, over '|'
        ("a(?i)b|c", "AB", False),
        ("(?i:x)y", "XY", False),
        (r"\d+", "42", True),
        (r"\d+", "٤٢", False),  # \d, \w, \s and \b are ASCII in RE2
        (r"\w+", "é", False),
        (r"\s", "\v", False),
        (r"\bfoo\b", "foo", True),
        ("[[:alpha:]]+[[:digit:]]", "abc1", True),  # POSIX classes
        (r"\Qa.b\E", "a.b", True),  # \Q...\E: literal text
        (r"\Qa.b\E", "axb", False),
        (r"\Qab\E+", "abbb", True),  # a repeat after \E takes the last character
        (r"\x{41}\101\x41", "AAA", True),  # RE2's hex and octal escapes
        (r"\12", "\n", True),  # two octal digits: a character, not a back-reference
        ("a$", "a\n", False),  # '$' is the end of the text, not before a final newline
        ("(?m)a$\n", "a\n", True),
        ("a{,2}", "a{,2}", True),  # not a repeat in RE2: literal text
        ("x{2,3}", "xxx", True),
        ("(?P<x>a)(?<y>b)", "ab", True),  # both spellings of a named group
        ("[]a]+", "]a", True),
        ("", "", True),
        (".*", "", True),
        (".+", "", False),
    ],
)
def test_regular_expressions_match_as_in_prometheus(pattern, value, matches):
    assert Matcher("l", "=~", pattern).matches({"l": value}) is matches
    assert Matcher("l", "!~", pattern).matches({"l": value}) is not matches


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("(?=a)", "look-around"),  # Python would accept these; RE2 refuses them
        ("(?<!a)b", "look-around"),
        ("(a)\\1", "back-references"),
        ("a*+", "nested repetition"),
        ("a**", "nested repetition"),
        ("(?>a)", "atomic group"),
        ("(?#note)", "comment"),
        ("(?x)a b", "flags"),
        ("a{1001}", "repeat count"),
        ("x{3,2}", "repeat count"),
        ("\\Z", "invalid escape"),
        ("\\u00e9", "invalid escape"),  # RE2 has no \u: write the character, or \x{e9}
        ("*a", "missing argument"),
        ("(a", "closing '\\)'"),
        ("a)", "no group is open"),
        ("[a", "closing '\\]'"),
        ("[z-a]", "class range"),
        ("\\pL", "not supported here"),  # RE2 knows it; no equivalent is offered here: refused, not misread
    ],
)
def test_a_regular_expression_re2_refuses_is_refused(pattern, problem):
    with pytest.raises(ConfigurationError, match=rf"RE2 syntax.*{problem}.*at character \d+"):
        Matcher("l", "=~", pattern)
