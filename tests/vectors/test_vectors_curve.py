"""The recall / speed curve: a sweep of HNSW's search breadth on pgvector and Qdrant Edge, on the same data."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from robot.api import ExecutionResult, SkipExecution

from crosscheck import figures
from crosscheck.errors import ConfigurationError
from crosscheck.vectors import curve


def _load(kw, count=2000, dimension=48):
    """Unclustered vectors: a small graph (m=6) misses neighbours at a small breadth."""
    vectors = np.random.default_rng(3).standard_normal((count, dimension))
    kw("Create Collection", "docs", dimension)
    kw("Upsert Vectors", [f"d{i}" for i in range(count)], vectors, batch_size=1000)
    kw("Create HNSW Index", m=6, ef_construction=24)


@pytest.mark.parametrize("which", ["pgv", "edge"])
def test_recall_rises_with_the_breadth(which, request):
    kw = request.getfixturevalue(which)
    _load(kw)
    points = kw("Measure Recall Curve", [10, 40, 200], queries=30, noise=1.0)
    assert [p["ef"] for p in points] == [10, 40, 200]
    assert set(points[0]) == {"ef", "recall", "worst_recall", "p50_ms", "p95_ms", "qps"}
    assert points[0]["recall"] < 0.95 and points[-1]["recall"] > points[0]["recall"]
    assert all(p["qps"] > 0 and 0 < p["p50_ms"] <= p["p95_ms"] for p in points)
    assert kw.lib.ctx.last["curve"]["label"] == ("pgvector" if which == "pgv" else "qdrant edge")


def test_curves_of_two_stores_share_one_chart(postgres_url):
    from vectors_support import open_library

    lib, kw = open_library(postgres_url)
    try:
        _load(kw, count=600)
        kw("Measure Recall Curve", "10, 40", queries=10)
        kw("Connect To Vector Store", "qdrant:edge")
        _load(kw, count=600)
        kw("Measure Recall Curve", "10 40", queries=10)
        kw("Measure Recall Curve", "40", queries=10)
        assert [c[0] for c in lib.ctx.curves] == ["pgvector", "qdrant edge", "qdrant edge (1)"]
        assert lib.cleanup.pop()[1] == []
        assert lib.ctx.curves == []
    finally:
        lib.close()


@pytest.mark.parametrize(
    "values, message",
    [
        ("10, abc", "search breadth 'abc' is not a whole number; give values such as 10, 40, 160"),
        ([10, 0], "search breadth must be at least 1, got 0"),
        ("", "no search breadths to sweep: give a list such as 10, 40, 160"),
    ],
)
def test_bad_sweeps_are_refused(edge, values, message):
    edge("Create Collection", "docs", 8)
    edge("Upsert Seeded Vectors", 50)
    with pytest.raises(ConfigurationError, match=message):
        edge("Measure Recall Curve", values)


def test_bad_counts_are_refused(edge):
    edge("Create Collection", "docs", 8)
    edge("Upsert Seeded Vectors", 50)
    with pytest.raises(ConfigurationError, match="queries must be at least 1, got 0"):
        edge("Measure Recall Curve", queries=0)
    with pytest.raises(ConfigurationError, match="k must be at least 1, got 0"):
        edge("Measure Recall Curve", k=0)


def test_without_an_index_every_point_is_exact(edge):
    edge("Create Collection", "docs", 8)
    edge("Upsert Seeded Vectors", 200)
    points = edge("Measure Recall Curve", "10, 20", queries=10)
    assert [p["recall"] for p in points] == [1.0, 1.0]


def test_local_mode_skips(qdl):
    qdl("Create Collection", "docs", 8)
    qdl("Upsert Seeded Vectors", 50)
    with pytest.raises(SkipExecution, match="a recall curve on collection 'docs' .*brute force"):
        qdl("Measure Recall Curve")


def test_the_chart_is_recall_across_and_queries_per_second_up():
    a = [curve.CurvePoint(10, 0.6, 0.1, 0.2, 5000.0, 0.3), curve.CurvePoint(80, 0.95, 0.3, 0.5, 1500.0, 0.8)]
    b = [curve.CurvePoint(10, 0.7, 0.05, 0.1, 9000.0, 0.4)]
    svg = curve.svg_curves({"pgvector": a, "qdrant edge": b}, "title <&>", 10, "ef")
    assert svg.startswith("<svg") and svg.endswith("</svg>") and "title &lt;&amp;&gt;" in svg
    assert svg.count("<polyline") == 2 and svg.count("<circle") == 3
    assert "recall@10 (exact search = 1.0)" in svg and "queries/s (log)" in svg
    assert ">1,000<" in svg and ">10,000<" in svg  # decades of the log axis
    assert "pgvector: ef=80, recall@10 0.950, 1,500 queries/s, p50 0.30 ms, p95 0.50 ms" in svg
    assert curve.svg_curves({}, "t", 10) == "<p>(no curve to draw)</p>"


def test_a_robot_run_records_each_point_and_draws_it(postgres_url, tmp_path):
    suite = tmp_path / "curve.robot"
    suite.write_text(
        textwrap.dedent("""\
        *** Settings ***
        Library    crosscheck.Vectors    qdrant:edge

        *** Test Cases ***
        Curve
            Create Collection    docs    16
            Upsert Seeded Vectors    300
            Create HNSW Index
            Measure Recall Curve    10, 40    queries=5
        """)
    )
    env = dict(os.environ, CROSSCHECK_POSTGRES_URL=postgres_url)
    proc = subprocess.run(
        [sys.executable, "-m", "robot", "--outputdir", str(tmp_path), str(suite)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    messages = []
    result = ExecutionResult(str(tmp_path / "output.xml"))

    def walk(item):
        for child in getattr(item, "body", []):
            if getattr(child, "type", "") == "MESSAGE":
                messages.append(child.message)
            walk(child)

    walk(result.suite.tests[0])
    found = {f["figure"]: f for m in messages for f in figures.parse(m)}
    for ef in (10, 40):
        assert found[f"vectors.docs.qdrant_edge.ef{ef}.recall_at_10"]["unit"] == "ratio"
        assert found[f"vectors.docs.qdrant_edge.ef{ef}.search_p95_ms"]["better"] == "lower"
        assert found[f"vectors.docs.qdrant_edge.ef{ef}.qps"]["unit"] == "queries/s"
    assert any("<polyline" in m and "recall@10 against queries/s (qdrant edge)" in m for m in messages)


def test_point_labels_do_not_overlap_where_points_cluster():
    # the usual shape near the top: several breadths all at recall 1.0 at close rates, two stores
    a = [curve.CurvePoint(ef, min(1.0, 0.9 + ef / 1000), 0.1, 0.2, 3000.0 - ef, 0.9) for ef in (40, 100, 200, 400)]
    b = [curve.CurvePoint(ef, 1.0, 0.1, 0.2, 2900.0 - ef, 1.0) for ef in (40, 100, 200, 400)]
    svg = curve.svg_curves({"pgvector": a, "qdrant edge": b}, "t", 10, "ef")
    labels = re.findall(
        r'<text x="([\d.]+)" y="([\d.]+)" fill="#[0-9a-f]+" text-anchor="(start|end)">(\d+)</text>', svg
    )
    assert len(labels) >= 6, svg  # most points keep a label; the rest are named in their tooltip
    boxes = []
    for tx, ty, anchor, text in labels:
        w = 6.2 * len(text) + 2
        x0 = float(tx) if anchor == "start" else float(tx) - w
        boxes.append((x0, float(ty) - 9, x0 + w, float(ty) + 2))
    for i, a_box in enumerate(boxes):
        for b_box in boxes[i + 1 :]:
            overlap = a_box[0] < b_box[2] and b_box[0] < a_box[2] and a_box[1] < b_box[3] and b_box[1] < a_box[3]
            assert not overlap, (a_box, b_box)
    assert svg.count("<circle") == 8  # every point is drawn, labelled or not
