"""The charts and tables of a load run in log.html, on their own (no run needed)."""

from __future__ import annotations

from crosscheck.load.report import request_table, stage_table, svg_lines
from crosscheck.load.result import LoadResult
from crosscheck.load.stages import Stage
from crosscheck.load.statistics import Sample, breakdown, timeline

STAGES = [Stage(0, 2, 2.0, 0.0, 0.0, 2.0), Stage(1, 4, 2.0, 2.0, 3.0, 5.0)]


def result() -> LoadResult:
    samples = [Sample(100.0 + i * 0.05, "GET", "/a", 5.0 + i % 7, i % 25 != 0, "HTTP 500") for i in range(100)]
    return LoadResult(
        "http://u:pw@127.0.0.1:9", STAGES, breakdown(samples, STAGES, 100.0, 5.0), timeline(samples, 100.0, 5.0), []
    )


def test_the_stage_table_has_a_row_per_stage_and_the_whole_run_with_the_password_masked():
    table = stage_table(result())
    assert table.count("<tr>") == 1 + 3
    assert "http://u:***@127.0.0.1:9" in table and "pw" not in table
    assert "p95 (ms)" in table and "error rate (%)" in table
    assert request_table(result()).count("<tr>") == 1 + 3


def test_a_line_chart_marks_the_stages_and_draws_the_target():
    svg = svg_lines([("p95", [(0.0, 10.0), (1.0, 20.0), (2.0, float("nan"))])], "ms", "p95", STAGES, 15.0, "target <")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "2 users" in svg and "4 users" in svg
    assert 'stroke="#c00"' in svg and "target &lt; 15 ms" in svg
    assert "no values" in svg_lines([("x", [])], "ms", "empty")
