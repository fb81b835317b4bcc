"""Selectors read as Prometheus reads them: the four matchers, PromQL's string escapes, absent
labels as "", ``__name__``, and a summary's quantile series; pure parsing first, then through the
keywords against a real /metrics endpoint."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Counter, start_http_server
from prometheus_client.core import SummaryMetricFamily

from crosscheck.assertions import AssertionOperator, MissingTimeUnit
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.metrics import Metrics
from crosscheck.metrics.scrape import format_series
from crosscheck.metrics.selectors import Matcher, parse

OP = AssertionOperator


@pytest.mark.parametrize(
    ("text", "label", "value"),
    [
        (r'x{path="C:\\temp\\x"}', "path", "C:\\temp\\x"),  # PromQL's \\ is one backslash
        (r'x{msg="say \"hi\""}', "msg", 'say "hi"'),
        (r"x{msg='it\'s'}", "msg", "it's"),
        (r"x{path=`C:\temp\x`}", "path", "C:\\temp\\x"),  # backticks: raw
        (r'x{s="a\nb\tc"}', "s", "a\nb\tc"),
        (r'x{s="\x41\u00e9\101"}', "s", "AéA"),
        ('x{ s = "a" , }', "s", "a"),  # spaces and a trailing comma
    ],
)
def test_values_are_read_with_promql_escapes(text, label, value):
    assert parse(text) == ("x", [Matcher(label, "=", value)])


def test_the_four_matchers_and_absent_labels():
    name, found = parse('http_requests_total{route!="/health",status=~"2..",method!~"GET|HEAD",job=""}')
    assert name == "http_requests_total"
    assert [(m.label, m.op, m.value) for m in found] == [
        ("route", "!=", "/health"),
        ("status", "=~", "2.."),
        ("method", "!~", "GET|HEAD"),
        ("job", "=", ""),
    ]
    series = {"route": "/v1", "status": "201", "method": "POST"}
    assert all(m.matches(series) for m in found)  # job is absent: it equals ""
    assert not Matcher("status", "=~", "2").matches({"status": "201"})  # anchored at both ends
    assert not Matcher("route", "!=", "/v1").matches(series)
    assert Matcher("method", "!~", "GET|HEAD").matches({})


def test_the_name_may_come_from_the_name_label():
    assert parse('{__name__="up",job="api"}') == ("up", [Matcher("job", "=", "api")])


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        ('x{path="C:\\q"}', r"valid escape .*at character 11"),  # one backslash before q: PromQL refuses it
        ("x{route=/a}", r"a quoted value"),
        ('x{route=="a"}', r"a quoted value"),
        ('x{route~"a"}', r"a matcher after 'route'"),
        ('x{route="a"', r"',' or '}'"),
        ('x{route="a}', r"a closing \""),
        ('x{status=~"("}', r"regular expression of status=~\"\(\" is invalid"),
        ('{job="api"}', r"names no metric.*__name__=\"name\""),
        ("x{", r"a label name"),
    ],
)
def test_a_selector_prometheus_would_refuse_is_refused_naming_the_place(text, fix):
    with pytest.raises(ConfigurationError, match=fix):
        parse(text)


def test_matchers_print_back_as_promql():
    _, found = parse(r'x{path="C:\\temp",status=~"2.."}')
    assert format_series("x", found) == r'x{path="C:\\temp",status=~"2.."}'
    assert parse(format_series("x", found)) == ("x", found)


# --- through the keywords, against a real endpoint ----------------------------------------------


class _Quantiles:
    """A summary with quantiles, as client libraries other than Python's expose them."""

    def collect(self):
        family = SummaryMetricFamily("rpc_duration_seconds", "RPC latency", labels=["quantile"])
        family.add_sample("rpc_duration_seconds", {"quantile": "0.5"}, 0.012)
        family.add_sample("rpc_duration_seconds", {"quantile": "0.99"}, 0.042)
        family.add_sample("rpc_duration_seconds_count", {}, 10)
        family.add_sample("rpc_duration_seconds_sum", {}, 0.2)
        return [family]


@pytest.fixture()
def library():
    registry = CollectorRegistry()
    files = Counter("app_files_read", "Files read", ["path"], registry=registry)
    files.labels(path="C:\\temp\\x").inc(3)
    files.labels(path="/var/log").inc(2)
    requests = Counter("app_requests", "Requests", ["route", "status"], registry=registry)
    for route, status, n in (("/health", "200", 5), ("/v1/a", "200", 2), ("/v1/a", "503", 1), ("/v1/b", "201", 4)):
        requests.labels(route=route, status=status).inc(n)
    registry.register(_Quantiles())
    server, thread = start_http_server(0, addr="127.0.0.1", registry=registry)
    yield Metrics(f"http://127.0.0.1:{server.server_port}/metrics")
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_an_escaped_backslash_in_a_label_value_matches_the_series(library):
    assert library.get_metric_value(r'app_files_read_total{path="C:\\temp\\x"}', OP["=="], 3) == 3
    assert library.get_metric_value(r"app_files_read_total{path=`C:\temp\x`}") == 3


def test_negative_and_regular_expression_matchers_select_series(library):
    assert library.get_metric_value('app_requests_total{route!="/health"}') == 7
    assert library.get_metric_value('app_requests_total{route=~"/v1/.*",status=~"2.."}') == 6
    assert library.get_metric_value('app_requests_total{status!~"2.."}') == 1
    with pytest.raises(AssertionError, match=r'app_requests_total\{route=~"/v1/\.\*"\}'):
        library.get_metric_value('app_requests_total{route=~"/v1/.*"}', OP["=="], 6)


def test_no_matching_series_lists_the_present_ones(library):
    with pytest.raises(CrosscheckError, match=r'No series app_requests_total\{status=~"4.."\}.*present: app_requests'):
        library.get_metric_value('app_requests_total{status=~"4.."}')


def test_a_summary_quantile_is_read_as_a_value_and_is_a_time(library):
    assert library.get_metric_value('rpc_duration_seconds{quantile="0.99"}', OP["<"], "50 ms") == 0.042
    with pytest.raises(AssertionError):
        library.get_metric_value('rpc_duration_seconds{quantile="0.99"}', OP["<"], "40 ms")
    with pytest.raises(MissingTimeUnit):
        library.get_metric_value('rpc_duration_seconds{quantile="0.99"}', OP["<"], "0.05")
    assert library.get_metric_value("rpc_duration_seconds", OP["=="], 10) == 10  # the family alone: its count


def test_prometheus_regular_expression_flags_and_refusals_reach_the_keywords(library):
    assert library.get_metric_value('app_requests_total{route=~"(?i)/V1/A"}') == 3
    assert library.get_metric_value(r'app_requests_total{status=~`\d{3}`,route!~"/v1/.*"}') == 5
    with pytest.raises(ConfigurationError, match="backticks"):  # "\d" is no PromQL string escape
        library.get_metric_value(r'app_requests_total{status=~"\d{3}"}')
    with pytest.raises(ConfigurationError, match="would select every series"):
        library.get_metric_value('{route=~".*"}')
    with pytest.raises(ConfigurationError, match="look-around"):
        library.get_metric_value('app_requests_total{route=~"(?!/health).*"}')
