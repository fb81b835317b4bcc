"""Selectors read and matched as Prometheus reads and matches them.

The inputs are the vector-selector cases of Prometheus's own parser tests (promql/parser),
its string escapes (util/strutil), its regular-expression matchers (model/labels: RE2 syntax,
anchored at both ends, ``.`` matching a newline) and its text exposition parser
(model/textparse): each case says what Prometheus reads, and the test checks that this
library reads the same, or refuses what Prometheus refuses with a message naming the place
and the fix. Pure: no service.
"""

from __future__ import annotations

import math

import pytest

from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.metrics import scrape
from crosscheck.metrics.scrape import format_series
from crosscheck.metrics.selectors import Matcher, parse, read

NAME = "__name__"


def m(label: str, op: str, value: str) -> tuple[str, str, str]:
    return (label, op, value)


def read_as_tuples(text: str) -> list[tuple[str, str, str]]:
    return [(x.label, x.op, x.value) for x in read(text)]


# --- valid selectors: the matchers Prometheus reads, in its order ----------------------------
# (a name before the braces comes last, as __name__="name")


@pytest.mark.parametrize(
    ("text", "matchers"),
    [
        ("foo", [m(NAME, "=", "foo")]),
        ("min", [m(NAME, "=", "min")]),  # an aggregator's name is a metric name too
        ("start", [m(NAME, "=", "start")]),  # and so are these keywords
        ('end{start="foo"}', [m("start", "=", "foo"), m(NAME, "=", "end")]),
        ('anchored{job="test"}', [m("job", "=", "test"), m(NAME, "=", "anchored")]),
        ('offset{step="1s"}', [m("step", "=", "1s"), m(NAME, "=", "offset")]),
        ("foo{}", [m(NAME, "=", "foo")]),
        ('{"bool"}', [m(NAME, "=", "bool")]),
        (":bc", [m(NAME, "=", ":bc")]),
        ("Infoo", [m(NAME, "=", "Infoo")]),
        ('foo:bar{a="bc"}', [m("a", "=", "bc"), m(NAME, "=", "foo:bar")]),
        ('{"foo"}', [m(NAME, "=", "foo")]),  # a quoted name inside the braces
        (
            r"""{'foo\'bar', 'a\\dos\\path'='boo\\urns'}""",
            [m(NAME, "=", "foo'bar"), m("a\\dos\\path", "=", "boo\\urns")],  # quoted label names, escapes
        ),
        ("{'foo\\'bar', `a\\dos\\path`=\"boo\"}", [m(NAME, "=", "foo'bar"), m("a\\dos\\path", "=", "boo")]),
        ('{"foo", a="bc"}', [m(NAME, "=", "foo"), m("a", "=", "bc")]),
        ('{"my.metric", "label.name"="x"}', [m(NAME, "=", "my.metric"), m("label.name", "=", "x")]),
        ("foo{NaN='bc'}", [m("NaN", "=", "bc"), m(NAME, "=", "foo")]),  # keywords are names inside braces
        ("foo{bar='}'}", [m("bar", "=", "}"), m(NAME, "=", "foo")]),
        (
            'foo{a="b", foo!="bar", test=~"test", bar!~"baz"}',
            [
                m("a", "=", "b"),
                m("foo", "!=", "bar"),
                m("test", "=~", "test"),
                m("bar", "!~", "baz"),
                m(NAME, "=", "foo"),
            ],
        ),
        (
            'foo{a="b", foo!="bar", test=~"test", bar!~"baz",}',  # a trailing comma
            [
                m("a", "=", "b"),
                m("foo", "!=", "bar"),
                m("test", "=~", "test"),
                m("bar", "!~", "baz"),
                m(NAME, "=", "foo"),
            ],
        ),
        (
            '{a="b", foo!="bar", "foo", test=~"test", bar!~"baz"}',  # the quoted name anywhere in the list
            [
                m("a", "=", "b"),
                m("foo", "!=", "bar"),
                m(NAME, "=", "foo"),
                m("test", "=~", "test"),
                m("bar", "!~", "baz"),
            ],
        ),
        ('{__name__=~"bar", __name__!~"baz"}', [m(NAME, "=~", "bar"), m(NAME, "!~", "baz")]),
        ('{__name__="bar", __name__="baz"}', [m(NAME, "=", "bar"), m(NAME, "=", "baz")]),
        ('{"bar", __name__="baz"}', [m(NAME, "=", "bar"), m(NAME, "=", "baz")]),
        ("foo # a comment to the end of the line", [m(NAME, "=", "foo")]),
        ('foo{a="b", # one comment\n c="d"}', [m("a", "=", "b"), m("c", "=", "d"), m(NAME, "=", "foo")]),
        ('\r\n\tfoo \t{ a = "b" }\n', [m("a", "=", "b"), m(NAME, "=", "foo")]),
        ('{x=""}'.replace("{", "foo{"), [m("x", "=", ""), m(NAME, "=", "foo")]),  # empty matchers with a name: fine
    ],
)
def test_a_valid_selector_reads_as_in_prometheus(text, matchers):
    assert read_as_tuples(text) == matchers


# Prometheus's escape test string, in each quoting: "\xFF" and "\377" are bytes, "\U0001011111"
# is one code point followed by "11".
_ESCAPED = r"\a\b\f\n\r\t\v\\{q} - \xFF\377\u1234\U00010111\U0001011111☺"
_UNESCAPED = (b"\a\b\f\n\r\t\v\\{q} - \xff\xff" + "\u1234\U00010111\U0001011111☺".encode()).decode(
    "utf-8", "surrogateescape"
)


@pytest.mark.parametrize(
    ("quoted", "value"),
    [
        ('"' + _ESCAPED.format(q='\\"') + '"', _UNESCAPED.format(q='"')),
        ("'" + _ESCAPED.format(q="\\'") + "'", _UNESCAPED.format(q="'")),
        ("`" + _ESCAPED.format(q="\\\"\\'") + "`", _ESCAPED.format(q="\\\"\\'")),  # raw
        ('"double-quoted string \\" with escaped quote"', 'double-quoted string " with escaped quote'),
        ("'single-quoted string \\' with escaped quote'", "single-quoted string ' with escaped quote"),
        (r'"\xc3\xa9"', "é"),  # bytes that form UTF-8 make the character, as in Go
        (r'"test\tsequence"', "test\tsequence"),
        (r'"test\\.expression"', "test\\.expression"),
        (r"`test\.expression`", "test\\.expression"),
        ("`a\nb`", "a\nb"),  # a raw string may span lines
    ],
)
def test_string_escapes_read_as_in_prometheus(quoted, value):
    assert read_as_tuples(f"x{{a={quoted}}}") == [m("a", "=", value), m(NAME, "=", "x")]


# --- invalid selectors: refused, naming the place and the fix -----------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # Prometheus: no expression found in input
        ("", r"expected a metric name or '\{' at character 1, found the end"),
        ("# just a comment\n\n", r"expected a metric name or '\{' at character \d+, found the end"),
        # Prometheus: unexpected end of input inside braces / unexpected character '}'
        ("{", r"expected a label name or '\}'.* at character 2, found the end"),
        ("}", r"expected a metric name or '\{' at character 1"),
        ("some{", r"expected a label name or '\}'.* at character 6, found the end"),
        ("some}", r"expected '\{' or the end of the selector at character 5"),
        # unexpected identifier "b" in label matching, expected string
        ("some_metric{a=b}", r"expected a quoted value .* at character 15"),
        # unexpected character inside braces: ':' / '*' / '>' / '1'
        ('some_metric{a:b="b"}', r"expected a matcher after 'a': one of =~, !~, !=, = at character 14"),
        ('foo{a*"b"}', r"a matcher after 'a'.* at character 6"),
        ('foo{a>="b"}', r"a matcher after 'a'.* at character 6"),
        ("foo{1}", r"expected a label name .* at character 5.*written in quotes"),
        # unexpected "}" in label matching, expected label matching operator
        ("foo{gibberish}", r"a matcher after 'gibberish'.* at character 14"),
        # unexpected "=" / "}" in label matching, expected string
        ("foo{__name__= =}", r"a quoted value .* at character 15"),
        ('foo{__name__ == "bar"}', r"a quoted value .* at character 15"),
        ('foo{"a"=}', r"a quoted value .* at character 9"),
        # unexpected "," in label matching, expected identifier or "}"
        ("foo{,}", r"expected a label name or '\}'.* at character 5"),
        ('foo{a="b",,c="d"}', r"expected a label name or '\}'.* at character 11"),
        # unexpected identifier "lol" in label matching, expected "," or "}"
        ('foo{__name__="bar" lol}', r"expected ',' or '\}' after a matcher at character 20"),
        # vector selector must contain at least one non-empty matcher
        ("{}", r"would select every series.*at least one matcher that does not match the empty value"),
        ('{x=""}', r"would select every series"),
        ('{x=~".*"}', r"would select every series"),
        ('{x!~".+"}', r"would select every series"),
        ('{x!="a"}', r"would select every series"),
        ('{""}', r"would select every series"),
        # metric name must not be set twice
        ('foo{__name__="bar"}', r"sets the metric name twice: 'foo' before the braces and __name__=\"bar\".*keep one"),
        ('foo{__name__=~"f.*"}', r"sets the metric name twice"),
        ('foo{"bar"}', r"sets the metric name twice"),
        # strings
        ("x{a=`unterminated}", r"a closing ` before the end for the string starting at character 5"),
        ('x{a="unterminated}', r'a closing " on its line .* at character 5'),
        ('x{a="line\nbreak"}', r'a closing " on its line \(use \\n for a newline\)'),  # unterminated quoted string
        ('x{a="\\', r"an escaped character after '\\'"),  # escape sequence not terminated
        ('x{a="\\c"}', r"a valid escape .* at character 6"),  # unknown escape sequence U+0063 'c'
        ('x{a="\\x."}', r"a valid escape .* at character 6"),  # illegal character U+002E '.' in escape sequence
        ('x{a="test\\.expression"}', r"a valid escape .*backticks"),  # a regular expression's \. needs \\.
        ('x{a="\\\'"}', r"a valid escape"),  # \' only in single quotes
        ("x{a='\\\"'}", r"a valid escape"),  # \" only in double quotes
        ('x{a="\\400"}', r"an octal escape up to \\377"),
        ('x{a="\\uD800"}', r"a Unicode code point, not \\uD800"),  # escape sequence is an invalid code point
        ('x{a="\\U00110000"}', r"a Unicode code point"),
        # names
        ("nan", r"'nan' is a number in PromQL: .* written \{\"nan\"\}"),
        ('Inf{a="b"}', r"a number in PromQL"),
        ('bool{a="b"}', r"'bool' is a keyword in PromQL: .* written \{\"bool\"\}"),
        ("ON", r"a keyword in PromQL"),
        ("group_left", r"a keyword in PromQL"),
        ('my.metric{a="b"}', r"written in quotes inside the braces: \{\"my.metric\"\}"),
        ('"my.metric"', r"written in quotes inside the braces"),
        ('foo{label.name="x"}', r"a matcher after 'label'.*written in quotes: \{\"label.name\"=\"x\"\}"),
        # white space Prometheus does not know
        ('foo\u00a0{a="b"}', r"'\\xa0' is not white space in PromQL"),
        ('foo{\va="b"}', r"'\\x0b' is not white space in PromQL"),
        # PromQL beyond a selector: Prometheus reads these; a keyword here does not, and says so
        ("foo offset 5m", r"An offset modifier is PromQL beyond a selector"),
        ("foo OFFSET 1h30m", r"An offset modifier is PromQL beyond a selector"),
        ('foo{a="b"}[5m]', r"A range \(\[5m\]\) is PromQL beyond a selector"),
        ("foo @ 1603774568", r"An @ modifier is PromQL beyond a selector"),
        ("rate(foo[5m])", r"expected '\{' or the end of the selector at character 5"),
    ],
)
def test_an_invalid_selector_is_refused_naming_the_place(text, message):
    with pytest.raises(ConfigurationError, match=message):
        read(text)


# --- one metric per keyword ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "rest"),
    [
        ('foo{a="b"}', "foo", [m("a", "=", "b")]),
        ('{"my.metric", "label.name"="x"}', "my.metric", [m("label.name", "=", "x")]),
        ('{__name__="up", job="api"}', "up", [m("job", "=", "api")]),
        ('{"bar", __name__="baz"}', "bar", [m(NAME, "=", "baz")]),  # kept: it selects nothing, as in Prometheus
        ('{__name__="foo_total", __name__!~".*_created"}', "foo_total", [m(NAME, "!~", ".*_created")]),
    ],
)
def test_a_keyword_reads_the_one_metric_named(text, name, rest):
    found_name, found = parse(text)
    assert (found_name, [(x.label, x.op, x.value) for x in found]) == (name, rest)


def test_a_name_regular_expression_alone_is_refused_as_several_metrics():
    with pytest.raises(ConfigurationError, match=r"names no metric.*a __name__ regular expression selects several"):
        parse('{__name__=~"http_.*"}')


@pytest.mark.parametrize(
    "text",
    [
        'foo{a="b",c!~"d|e"}',
        '{"my.metric","label.name"="x"}',
        '{"bar",__name__="baz"}',
        r'x{a="C:\\temp\"x\"\nnext"}',
        r'x{a="\xff"}',  # a byte that is not UTF-8 prints back as \xff
    ],
)
def test_selectors_print_back_as_prometheus_reads_them(text):
    name, found = parse(text)
    assert format_series(name, found) == text
    assert read(format_series(name, found)) == read(text)


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
        (r"\pL+\p{Greek}", "éα", True),  # Unicode classes
        ("[[:^alpha:]]", "1", True),
        ("(?:)", "", True),
        (".", "\udcff", True),  # a byte of the value that is not UTF-8 is one character, as in Go
        ("\udcff|b", "\udcff", True),  # text and '|' only: compared as strings, unparsed, as in Prometheus
        ("a.c|b", "abc", True),
    ],
)
def test_regular_expressions_match_as_in_prometheus(pattern, value, matches):
    assert Matcher("l", "=~", pattern).matches({"l": value}) is matches
    assert Matcher("l", "!~", pattern).matches({"l": value}) is not matches


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [  # RE2's own words, the place in the pattern and, where one helps, a hint
        ("(?=a)", "invalid perl operator: (?= at character 1 (RE2 has no look-around"),  # Python accepts these
        ("x(?<!a)b", "invalid perl operator: (?<! at character 2"),
        ("(a)\\1", "invalid escape sequence: \\1 at character 4 (RE2 has no back-references)"),
        ("a*+", "bad repetition operator: *+ at character 2 (a repeat of a repeat"),
        ("a**", "bad repetition operator: ** at character 2"),
        ("(?>a)", "invalid perl operator: (?> at character 1 (RE2 has no look-around, atomic group"),
        ("(?#note)", "invalid perl operator: (?# at character 1 (RE2 has no look-around, atomic group, comment"),
        (
            "(?x)a b",
            "invalid perl operator: (?x at character 1 (RE2 has no look-around, atomic group, comment or (?P=name), and its flags are i, m, s, U)",
        ),
        ("a{1001}", "invalid repetition size: {1001} at character 2 (counts go up to 1000"),
        ("x{3,2}", "invalid repetition size: {3,2} at character 2"),
        ("\\Z", "invalid escape sequence: \\Z at character 1 (the end of the text is \\z in RE2)"),
        ("\\u00e9", "invalid escape sequence: \\u at character 1 (write the character itself, or \\x{HHHH})"),
        ("*a", "no argument for repetition operator: * at character 1"),
        ("(a", "missing ): (a at character 3"),  # RE2 notices at the end
        ("(a))b", "unexpected ): (a))b at character 4"),
        ("[a", "missing ]: [a at character 1"),
        ("[z-a]", "invalid character class range: z-a at character 2"),
        ("a\udcff+", "invalid UTF-8 at character 2"),  # a byte of the PromQL string that is not UTF-8
        # C++ RE2 accepts these two; Go's RE2, which Prometheus uses, refuses them
        ("a|\\C", "invalid escape sequence: \\C at character 3"),
        ("(?P<é>a)", "invalid named capture group: (?P<é> at character 1"),
    ],
)
def test_a_regular_expression_re2_refuses_is_refused(pattern, problem):
    with pytest.raises(ConfigurationError, match="RE2 syntax") as refused:
        Matcher("l", "=~", pattern)
    assert problem in str(refused.value)


# --- matching series of a text exposition ------------------------------------------------------

_EXPOSITION = r"""# HELP req_seconds Request latency, as a Go client writes it (le="1", not "1.0").
# TYPE req_seconds histogram
req_seconds_bucket{le="0.5"} 1
req_seconds_bucket{le="1"} 2
req_seconds_bucket{le="1000000"} 3
req_seconds_bucket{le="+Inf"} 4
req_seconds_sum 2
req_seconds_count 4
# TYPE rpc_seconds summary
rpc_seconds{quantile="1"} 4
rpc_seconds_count 1
rpc_seconds_sum 4
# TYPE files_total counter
files_total{path="C:\\temp\\x",msg="say \"hi\"",lines="a\nb",raw="x\ty"} 3
files_total{path="/var/log",msg="",lines="",raw=""} 2
{"my.metric","label.name"="x"} 7
nan_valued NaN
inf_valued +Inf 1700000000000
"""


@pytest.fixture(scope="module")
def snapshot():
    return scrape.parse(_EXPOSITION, "text/plain")


@pytest.mark.parametrize(
    ("selector", "value"),
    [
        # exposition escapes (\\, \", \n; any other backslash stays) against PromQL's
        (r'files_total{path="C:\\temp\\x"}', 3),
        (r"files_total{path=`C:\temp\x`}", 3),
        (r'files_total{msg="say \"hi\""}', 3),
        (r'files_total{lines="a\nb"}', 3),
        (r'files_total{raw="x\\ty"}', 3),  # "\t" in the exposition is a backslash and a t
        (r"files_total{raw=`x\ty`}", 3),
        # an empty matcher matches a label that is absent or empty
        ('files_total{msg=""}', 2),
        ('files_total{absent=""}', 5),
        ('files_total{msg!=""}', 3),
        ('files_total{absent=~""}', 5),
        ('files_total{absent=~".+"}', None),
        ('files_total{path=~"/var|C"}', None),  # anchored: neither value is exactly one of these
        ('files_total{path!~"/var.*"}', 3),
        # the name label
        ('{__name__="files_total", __name__=~"files.*"}', 5),
        ('{__name__="files_total", __name__!~".*_total"}', None),
        ('{"files_total", path="/var/log"}', 2),
        # quoted (UTF-8) names in the exposition and in the selector
        ('{"my.metric", "label.name"="x"}', 7),
        ('{"my.metric", "label.name"!="x"}', None),
        # le and quantile are stored in Prometheus's float form: le="1" is le="1.0", 1000000 is 1e+06
        ('req_seconds_bucket{le="1.0"}', 2),
        ('req_seconds_bucket{le="1e+06"}', 3),
        ('req_seconds_bucket{le="1"}', None),
        ('req_seconds_bucket{le="+Inf"}', 4),
        ('rpc_seconds{quantile="1.0"}', 4),
        # special values and timestamps
        ("inf_valued", math.inf),
    ],
)
def test_series_of_an_exposition_are_matched_as_in_prometheus(snapshot, selector, value):
    name, wanted = parse(selector)
    if value is None:
        with pytest.raises(CrosscheckError, match="No series"):
            snapshot.value(name, wanted)
    else:
        assert snapshot.value(name, wanted) == value


def test_series_without_a_type_line_are_all_read():
    """Prometheus reads every series of a metric that has no TYPE line, or whose lines are not together."""
    text = 'plain{a="1"} 1\nplain{a="2"} 2\n# TYPE g gauge\ng{a="1"} 1\nother 5\ng{a="2"} 2\n'
    snap = scrape.parse(text, "text/plain")
    assert snap.value("plain", []) == 3
    assert snap.value("g", []) == 3
    assert snap.value(*parse('g{a="2"}')) == 2


def test_a_nan_sample_reads_as_nan(snapshot):
    assert math.isnan(snapshot.value("nan_valued", []))


def test_histogram_bounds_read_the_same_after_normalising(snapshot):
    assert snapshot.buckets("req_seconds", []) == {(): [(0.5, 1.0), (1.0, 2.0), (1e6, 3.0), (math.inf, 4.0)]}


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("1", "1.0"),
        ("0", "0.0"),
        ("-1", "-1.0"),
        ("10", "10.0"),
        ("0.005", "0.005"),
        ("0.0001", "0.0001"),
        ("0.00001", "1e-05"),
        ("100000", "100000.0"),
        ("1000000", "1e+06"),
        ("1234567", "1.234567e+06"),
        ("2.5e1", "25.0"),
        ("+Inf", "+Inf"),
        ("-Inf", "-Inf"),
        ("NaN", "NaN"),
        ("not a number", "not a number"),
    ],
)
def test_float_label_values_take_prometheus_form(written, stored):
    assert scrape.openmetrics_float(written) == stored


def test_openmetrics_le_values_are_normalised_too():
    text = '# TYPE d histogram\nd_bucket{le="1"} 1\nd_bucket{le="+Inf"} 1\nd_count 1\nd_sum 1\n# EOF\n'
    snap = scrape.parse(text, "application/openmetrics-text; version=1.0.0")
    assert snap.value(*parse('d_bucket{le="1.0"}')) == 1


def test_prometheus_utf8_exposition_reads_with_quoted_selectors():
    """Prometheus's own UTF-8 text exposition case: quoted names, spaces and trailing commas in braces."""
    text = (
        '# HELP "go.gc_duration_seconds" A summary of the GC invocation durations.\n'
        '# TYPE "go.gc_duration_seconds" summary\n'
        '{"go.gc_duration_seconds",quantile="0"} 4.9351e-05\n'
        '{"go.gc_duration_seconds",quantile="0.25",} 7.424100000000001e-05\n'
        '{"go.gc_duration_seconds", quantile="0.9", a="b"} 8.3835e-05\n'
        '{ "go.gc_duration_seconds", quantile = "1.0", a = "b" } 8.3835e-05\n'
        '{"go.gc_duration_seconds_count"} 99\n'
        '{"Heizölrückstoßabdämpfung 10€ metric with \\"interesting\\" {character\\nchoices}",'
        '"strange©™\\n\'quoted\' \\"name\\""="6"} 10.0\n'
    )
    snap = scrape.parse(text, "text/plain")
    assert snap.value(*parse('{"go.gc_duration_seconds", quantile="0.0"}')) == 4.9351e-05  # "0" stored as "0.0"
    assert snap.value(*parse('{"go.gc_duration_seconds", quantile=~"0.9|1.0", a="b"}')) == 2 * 8.3835e-05
    assert snap.value(*parse('{"go.gc_duration_seconds_count"}')) == 99
    odd = r"""{"Heizölrückstoßabdämpfung 10€ metric with \"interesting\" {character\nchoices}", "strange©™\n'quoted' \"name\""="6"}"""
    assert snap.value(*parse(odd)) == 10


def test_an_exposition_the_parser_refuses_says_so_even_without_detail():
    # prometheus_client's OpenMetrics parser refuses a quoted name without a TYPE line (Prometheus reads it)
    text = '# TYPE a gauge\na 1\n{"http.status",q="0.9"} 1\n# EOF\n'
    with pytest.raises(
        CrosscheckError, match=r"not valid OpenMetrics exposition: ValueError \(the parser names no line\)"
    ):
        scrape.parse(text, "application/openmetrics-text")


@pytest.mark.parametrize(
    ("text", "content_type"),
    [
        (
            "# a free comment\n# TYPE level gauge\n# HELP level Level.\n"
            'level{a="x"} 3 1520879607789\nlevel{a="y"} -Inf\nlevel{a="z"} +Inf\n',
            "text/plain; version=0.0.4",
        ),
        (
            '# TYPE hits counter\nhits_total{a="x"} 3 1520879607.789 # {trace_id="KOO5S4vxi0o"} 0.67\n'
            '# TYPE level gauge\nlevel{a="x"} 3 1520879607.789\nlevel{a="y"} -Inf\nlevel{a="z"} +Inf\n# EOF\n',
            "application/openmetrics-text; version=1.0.0",
        ),
    ],
)
def test_timestamps_exemplars_comments_and_infinities_leave_values_as_prometheus_reads_them(text, content_type):
    snap = scrape.parse(text, content_type)
    assert snap.value(*parse('level{a="x"}')) == 3  # the timestamp is not the value
    assert snap.value(*parse('level{a="y"}')) == -math.inf
    assert snap.value(*parse('level{a=~"x|z"}')) == math.inf
    if "hits" in snap.families:
        assert snap.value(*parse('hits_total{a="x"}')) == 3  # nor is the exemplar


def test_a_counter_typed_without_total_keeps_its_series_name():
    """``# TYPE x counter`` with series ``x``: Prometheus stores ``x``, not ``x_total``."""
    text = '# TYPE jobs counter\njobs{a="1"} 1\njobs{a="2"} 2\n# TYPE "my.jobs" counter\n{"my.jobs"} 4\n'
    snap = scrape.parse(text, "text/plain")
    assert snap.value(*parse("jobs")) == 3
    assert snap.value(*parse('{__name__="jobs", __name__=~"jobs"}')) == 3  # the name label is jobs
    assert snap.value(*parse('{"my.jobs"}')) == 4
    with pytest.raises(CrosscheckError, match=r'No series jobs_total at .*present: jobs\{a="1"\}'):
        snap.value(*parse("jobs_total"))
