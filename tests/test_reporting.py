"""Figures in log.html: percentiles agree with numpy, charts and tables are self-contained."""

import numpy as np
import pytest

from crosscheck import reporting
from crosscheck.assertions import AssertionOperator, check, to_millis


def test_percentiles_match_numpy():
    values = list(np.random.default_rng(7).exponential(20, 999))
    for q in (0, 50, 95, 99, 100):
        assert reporting.percentile(values, q) == pytest.approx(float(np.percentile(values, q)))
    s = reporting.summary(values)
    assert s["count"] == 999 and s["p95"] == pytest.approx(float(np.percentile(values, 95)))


def test_percentile_of_nothing_is_an_error():
    with pytest.raises(ValueError, match="no values"):
        reporting.percentile([], 50)


def test_histogram_marks_a_near_target_and_names_a_far_one():
    near = reporting.svg_histogram([1, 2, 3, 9], "ms", "latency", target=10)
    assert near.startswith("<svg") and "stroke-dasharray" in near and "target 10.00 ms" in near
    far = reporting.svg_histogram([1, 2, 3, 9], "ms", "latency", target=100)
    assert "off the chart" in far and "stroke-dasharray" not in far
    assert "http" not in near.replace("http://www.w3.org/2000/svg", ""), "no external assets"


def test_tables_escape_cells():
    table = reporting.html_table([["<script>", 1.5]], ["name", "value"], caption="a & b")
    assert "&lt;script&gt;" in table and "a &amp; b" in table and "1.50" in table


def test_getter_assertion_names_the_figure_and_converts_units():
    assert check(40.0, AssertionOperator["<"], "100 ms", "p95 latency (ms) on ch", convert=to_millis) == 40.0
    with pytest.raises(AssertionError, match=r"p95 latency \(ms\) on ch '150.0' \(float\) should be less than '100.0'"):
        check(150.0, AssertionOperator["<"], "100 ms", "p95 latency (ms) on ch", convert=to_millis)
    assert check(7, None, None, "unchecked") == 7


def test_a_long_tail_is_counted_beyond_p99_instead_of_squeezing_the_bars():
    values = [1.0 + i / 1000 for i in range(990)] + [50.0] * 10
    svg = reporting.svg_histogram(values, "ms", "latency")
    assert "10 beyond, up to 50.00" in svg and "#e08a2c" in svg
    tight = reporting.svg_histogram([1.0, 2.0, 3.0], "ms", "latency")
    assert "beyond" not in tight


def test_histogram_labels_the_target_as_given_and_places_a_low_target_on_the_axis():
    svg = reporting.svg_histogram([10, 11, 12, 20], "ms", "latency", target=8, target_label="target >")
    assert "target &gt; 8.00 ms" in svg and "stroke-dasharray" in svg and "off the chart" not in svg
    assert '<text x="40" y="164">8.00</text>' in svg, "the axis starts at the target"
    far = reporting.svg_histogram([10, 11, 12, 20], "ms", "latency", target=1, target_label="target >")
    assert "target &gt; 1.00 ms (off the chart, to the left)" in far and "stroke-dasharray" not in far
    default = reporting.svg_histogram([1, 2, 3], "ms", "latency", target=2.5, target_label="default target")
    assert "default target 2.50 ms" in default
    assert "target" not in reporting.svg_histogram([1, 2, 3], "ms", "latency")
