"""The recall / speed trade-off of an approximate index, measured and drawn as ann-benchmarks draws it.

:func:`measure` sweeps the search-time breadth of a store's HNSW search (pgvector
``hnsw.ef_search``, Qdrant ``hnsw_ef``, Milvus and Chroma ``ef``) over a list of values.
At each value it runs the same queries, times each search, and compares the hits with
those of an exact search of the same data (computed once per query): recall@k, p50 and
p95 latency, and queries per second (one client, one query at a time: 1000 / mean ms).

:func:`svg_curves` draws one or more curves: recall@k on the x axis, queries per second
on a logarithmic y axis, one point per value, labelled with it. Up and to the right is
better. Pure: no Robot Framework here.
"""

from __future__ import annotations

import html
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from crosscheck.errors import ConfigurationError
from crosscheck.reporting import summary
from crosscheck.vectors import data
from crosscheck.vectors.backend import Collection

PALETTE = ("#4a7ebb", "#d9822b", "#3a9a5b", "#b04a9b", "#c0392b", "#7f8c8d")


@dataclass
class CurvePoint:
    value: int  # the search breadth (ef) of this point
    recall: float  # mean recall@k against exact search
    p50_ms: float
    p95_ms: float
    qps: float  # 1000 / mean latency in ms: one client, one query at a time
    worst: float  # the lowest per-query recall

    def as_dict(self) -> dict:
        return {
            "ef": self.value,
            "recall": self.recall,
            "p50_ms": self.p50_ms,
            "p95_ms": self.p95_ms,
            "qps": self.qps,
            "worst_recall": self.worst,
        }


def check_values(values: Sequence) -> list[int]:
    """The sweep's values as distinct positive integers, in the order given."""
    if isinstance(values, str):
        values = [v for v in values.replace(",", " ").split() if v]
    out: list[int] = []
    for v in values:
        try:
            n = int(v)
        except (TypeError, ValueError):
            raise ConfigurationError(
                f"search breadth {v!r} is not a whole number; give values such as 10, 40, 160"
            ) from None
        if n < 1:
            raise ConfigurationError(f"search breadth must be at least 1, got {n}")
        if n not in out:
            out.append(n)
    if not out:
        raise ConfigurationError("no search breadths to sweep: give a list such as 10, 40, 160")
    return out


def measure(
    coll: Collection, values: Sequence[int], k: int, queries: int, seed: int, noise: float, warmup: int = 5
) -> list[CurvePoint]:
    """recall@k and latency of ``coll``'s search at each breadth of ``values`` (see the module)."""
    if k < 1:
        raise ConfigurationError(f"k must be at least 1, got {k}")
    backend = coll.backend
    qs = [q.tolist() for q in data.queries_near_points(coll, queries, seed, noise)]
    truth = [{h.id for h in backend.search(coll, q, k, exact=True)} for q in qs]
    for q in qs[:warmup]:
        backend.search(coll, q, k, ef_search=values[0])
    points = []
    for value in values:
        per_query, times = [], []
        for q, exact in zip(qs, truth):
            t0 = time.perf_counter()
            hits = backend.search(coll, q, k, ef_search=value)
            times.append((time.perf_counter() - t0) * 1000)
            per_query.append(len(exact & {h.id for h in hits}) / len(exact) if exact else 1.0)
        stats = summary(times)
        points.append(
            CurvePoint(
                value=value,
                recall=sum(per_query) / len(per_query),
                p50_ms=stats["p50"],
                p95_ms=stats["p95"],
                qps=1000.0 / stats["mean"] if stats["mean"] > 0 else 0.0,
                worst=min(per_query),
            )
        )
    return points


def _num(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def svg_curves(
    series: dict[str, list[CurvePoint]],
    title: str,
    k: int,
    parameter: str | dict[str, str] = "ef",
    width: int = 560,
    height: int = 300,
) -> str:
    """An inline SVG of recall@k (x) against queries per second (y, log scale), one line per series.

    ``parameter`` names the search breadth each point is labelled with: one name, or one per series.
    """
    every = [p for pts in series.values() for p in pts]
    if not every:
        return "<p>(no curve to draw)</p>"
    pad_l, pad_r, pad_t, pad_b = 56, 16, 24, 40
    legend_h = 14 * len(series)
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b - legend_h
    lo_x = min(p.recall for p in every)
    lo_x = max(0.0, math.floor((lo_x - 0.02) * 20) / 20)  # down to a multiple of 0.05
    hi_x = 1.0
    if hi_x - lo_x < 0.05:
        lo_x = hi_x - 0.05
    qps = [max(p.qps, 1e-9) for p in every]
    lo_y = 10 ** math.floor(math.log10(min(qps)))
    hi_y = 10 ** math.ceil(math.log10(max(qps)))
    if hi_y <= lo_y:
        hi_y = lo_y * 10

    def x(recall: float) -> float:
        return pad_l + plot_w * (recall - lo_x) / (hi_x - lo_x)

    def y(rate: float) -> float:
        span = math.log10(hi_y) - math.log10(lo_y)
        return pad_t + plot_h * (1 - (math.log10(max(rate, 1e-9)) - math.log10(lo_y)) / span)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'style="font:11px sans-serif;background:#fff">',
        f'<text x="{pad_l}" y="14">{html.escape(title)}</text>',
    ]
    base = pad_t + plot_h
    parts.append(f'<rect x="{pad_l}" y="{pad_t}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#333"/>')
    steps = int(round((hi_x - lo_x) / 0.05))
    stride = max(1, steps // 8)
    for i in range(0, steps + 1, stride):
        rx = lo_x + i * 0.05
        parts.append(f'<line x1="{x(rx):.1f}" y1="{base}" x2="{x(rx):.1f}" y2="{base + 4}" stroke="#333"/>')
        parts.append(f'<text x="{x(rx):.1f}" y="{base + 15}" text-anchor="middle">{rx:.2f}</text>')
    decade = lo_y
    while decade <= hi_y * 1.0001:
        parts.append(
            f'<line x1="{pad_l}" y1="{y(decade):.1f}" x2="{pad_l + plot_w}" y2="{y(decade):.1f}" stroke="#ddd"/>'
        )
        parts.append(f'<text x="{pad_l - 4}" y="{y(decade) + 4:.1f}" text-anchor="end">{_num(decade)}</text>')
        decade *= 10
    parts.append(
        f'<text x="{pad_l + plot_w / 2:.1f}" y="{base + 30}" text-anchor="middle">recall@{k} (exact search = 1.0)</text>'
    )
    parts.append(
        f'<text x="12" y="{pad_t + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {pad_t + plot_h / 2:.1f})">queries/s (log)</text>'
    )
    placed: list[tuple[float, float, float, float]] = []  # label boxes drawn so far
    for n, (label, pts) in enumerate(series.items()):
        color = PALETTE[n % len(PALETTE)]
        name = parameter.get(label, "ef") if isinstance(parameter, dict) else parameter
        ordered = sorted(pts, key=lambda p: p.value)
        path = " ".join(f"{x(p.recall):.1f},{y(p.qps):.1f}" for p in ordered)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="1.5"/>')
        for p in ordered:
            tip = (
                f"{label}: {name}={p.value}, recall@{k} {p.recall:.3f}, {_num(p.qps)} queries/s, "
                f"p50 {p.p50_ms:.2f} ms, p95 {p.p95_ms:.2f} ms"
            )
            parts.append(
                f'<circle cx="{x(p.recall):.1f}" cy="{y(p.qps):.1f}" r="3" fill="{color}">'
                f"<title>{html.escape(tip)}</title></circle>"
            )
            spot = _label_spot(x(p.recall), y(p.qps), str(p.value), placed, (pad_l, pad_t, pad_l + plot_w, base))
            if spot is not None:  # no free place near the point: its tooltip still says it
                tx, ty, anchor = spot
                parts.append(f'<text x="{tx:.1f}" y="{ty:.1f}" fill="{color}" text-anchor="{anchor}">{p.value}</text>')
        ly = base + pad_b + 10 + 14 * n
        parts.append(f'<rect x="{pad_l}" y="{ly - 8}" width="10" height="10" fill="{color}"/>')
        parts.append(
            f'<text x="{pad_l + 14}" y="{ly + 1}">{html.escape(label)} (points labelled with {html.escape(name)})</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _label_spot(
    px: float, py: float, text: str, placed: list[tuple[float, float, float, float]], plot: tuple[float, ...]
) -> tuple[float, float, str] | None:
    """Where a point's label goes: the first place beside the point (right or left, above or below,
    then further out) inside the plot whose box overlaps no label drawn before; None if none is free."""
    w, h = 6.2 * len(text) + 2, 11.0
    left_edge, top, right_edge, bottom = plot
    for dy in (-4.0, 12.0, -15.0, 23.0, -26.0, 34.0, -37.0):
        for side in ("start", "end"):
            tx = px + 4 if side == "start" else px - 5
            x0 = tx if side == "start" else tx - w
            box = (x0, py + dy - h + 2, x0 + w, py + dy + 2)
            if box[0] < left_edge or box[2] > right_edge or box[1] < top - 12 or box[3] > bottom:
                continue
            if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
                continue
            placed.append(box)
            return tx, py + dy, side
    return None
