"""Figures for log.html: percentiles, HTML tables and inline SVG charts.

Every library that measures something reports it through here, so a reviewer
sees the same table and chart shapes everywhere. No external assets: the SVG is
inline and the HTML is self-contained.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence

from robot.api import logger


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation, as numpy's default."""
    if not values:
        raise ValueError("no values to take a percentile of")
    data = sorted(values)
    if len(data) == 1:
        return float(data[0])
    pos = (len(data) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = math.ceil(pos)
    return float(data[lo] + (data[hi] - data[lo]) * (pos - lo))


def summary(values: Sequence[float]) -> dict[str, float]:
    """count, min, p50, p95, p99, max and mean of ``values``."""
    if not values:
        return {"count": 0}
    return {
        "count": len(values),
        "min": float(min(values)),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": float(max(values)),
        "mean": float(sum(values) / len(values)),
    }


def _fmt(value) -> str:
    if isinstance(value, float):
        if value == 0 or 0.01 <= abs(value) < 1e6:
            return f"{value:,.2f}"
        return f"{value:.3g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def html_table(rows: Iterable[Sequence], headers: Sequence[str], caption: str = "") -> str:
    """A plain HTML table; cells are escaped, numbers formatted."""
    style = "border-collapse:collapse;margin:4px 0;font-family:monospace"
    cell = "border:1px solid #bbb;padding:2px 8px;text-align:right"
    out = [f'<table style="{style}">']
    if caption:
        out.append(f'<caption style="text-align:left;font-weight:bold">{html.escape(caption)}</caption>')
    out.append(
        "<tr>" + "".join(f'<th style="{cell};background:#eee">{html.escape(str(h))}</th>' for h in headers) + "</tr>"
    )
    for row in rows:
        out.append("<tr>" + "".join(f'<td style="{cell}">{html.escape(_fmt(v))}</td>' for v in row) + "</tr>")
    out.append("</table>")
    return "".join(out)


def summary_table(values: Sequence[float], unit: str, caption: str = "", extra: dict | None = None) -> str:
    """A one-row table of count and percentiles, plus any ``extra`` columns."""
    s = summary(values)
    headers = ["count"] + [f"{k} ({unit})" for k in ("min", "p50", "p95", "p99", "max", "mean")]
    row = [s.get("count", 0)] + [s.get(k, "-") for k in ("min", "p50", "p95", "p99", "max", "mean")]
    for key, value in (extra or {}).items():
        headers.append(key)
        row.append(value)
    return html_table([row], headers, caption)


def svg_histogram(
    values: Sequence[float],
    unit: str,
    title: str = "",
    bins: int = 30,
    target: float | None = None,
    width: int = 560,
    height: int = 180,
    target_label: str = "target",
) -> str:
    """An inline SVG histogram of ``values``; a red line marks ``target`` if given.

    The line is labelled ``<target_label> <target> <unit>``: pass the bound the
    assertion used (``target <``), or say that it is a default (``default target``).
    """
    if not values:
        return "<p>(no values to chart)</p>"
    lo, hi = float(min(values)), float(max(values))
    # A long tail would squeeze every bar into the first bin: the axis then ends at p99 and
    # the values beyond it are counted in a last, orange bar.
    p99 = percentile(values, 99)
    tail_cut = hi > lo + 4 * (p99 - lo) and p99 > lo
    if tail_cut:
        hi = p99
    # Stretch the axis to show the target only when it is near the data; a target far above
    # would squeeze every bar into one. Then it is named at the right edge instead.
    # A target below the data (a ">" bound) stretches the axis down in the same measure.
    target_on_axis = target is not None and min(lo, lo / 1.5) - 1e-12 <= float(target) <= max(hi, lo) * 1.5 + 1e-12
    target_below = target is not None and not target_on_axis and float(target) < lo
    if target_on_axis and target is not None:
        hi = max(hi, float(target))
        lo = min(lo, float(target))
    if hi <= lo:
        hi = lo + 1e-9
    counts = [0] * bins
    beyond = 0
    for v in values:
        if v > hi:
            beyond += 1
        else:
            counts[min(bins - 1, int((v - lo) / (hi - lo) * bins))] += 1
    if beyond:
        counts.append(beyond)
        bins += 1
    pad_l, pad_r, pad_b, pad_t = 40, 10, 30, 20
    plot_w, plot_h = width - pad_l - pad_r, height - pad_b - pad_t
    top = max(counts)
    bar_w = plot_w / bins
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'style="font:11px sans-serif;background:#fff">'
    ]
    parts.append(f'<text x="{pad_l}" y="13">{html.escape(title)}</text>')
    for i, c in enumerate(counts):
        h = 0 if top == 0 else plot_h * c / top
        x = pad_l + i * bar_w
        overflow = beyond and i == bins - 1
        color = "#e08a2c" if overflow else "#4a7ebb"
        tip = f"{c} above {_fmt(hi)} {unit}" if overflow else str(c)
        parts.append(
            f'<rect x="{x:.1f}" y="{pad_t + plot_h - h:.1f}" width="{max(bar_w - 1, 1):.1f}" '
            f'height="{h:.1f}" fill="{color}"><title>{html.escape(tip)}</title></rect>'
        )
    base = pad_t + plot_h
    parts.append(f'<line x1="{pad_l}" y1="{base}" x2="{pad_l + plot_w}" y2="{base}" stroke="#333"/>')
    parts.append(f'<text x="{pad_l}" y="{base + 14}">{_fmt(lo)}</text>')
    right = f"{_fmt(hi)} {unit}" + (f" | {beyond} beyond, up to {_fmt(float(max(values)))}" if beyond else "")
    parts.append(f'<text x="{pad_l + plot_w}" y="{base + 14}" text-anchor="end">{html.escape(right)}</text>')
    parts.append(f'<text x="4" y="{pad_t + 8}">{top}</text>')
    if target is not None:
        label = f"{target_label} {_fmt(float(target))} {unit}".strip()
        if target_on_axis:
            axis_w = bar_w * (bins - (1 if beyond else 0))  # the overflow bar is not on the value axis
            tx = pad_l + axis_w * (float(target) - lo) / (hi - lo)
            anchor = "end" if tx > pad_l + plot_w * 0.8 else "start" if tx < pad_l + plot_w * 0.2 else "middle"
            parts.append(
                f'<line x1="{tx:.1f}" y1="{pad_t}" x2="{tx:.1f}" y2="{base}" stroke="#c00" stroke-dasharray="4 2"/>'
            )
            parts.append(
                f'<text x="{tx:.1f}" y="{base + 27}" fill="#c00" text-anchor="{anchor}">{html.escape(label)}</text>'
            )
        else:
            side = "left" if target_below else "right"
            parts.append(
                f'<text x="{pad_l + plot_w}" y="{pad_t + 8}" fill="#c00" text-anchor="end">'
                f"{html.escape(label)} (off the chart, to the {side})</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def svg_bars(
    labels: Sequence[str], values: Sequence[float], unit: str, title: str = "", width: int = 560, bar_h: int = 18
) -> str:
    """A horizontal bar chart, one bar per label (throughputs, per-stage figures)."""
    if not values:
        return "<p>(no values to chart)</p>"
    top = max(max(values), 1e-12)
    pad_l, pad_t = 150, 20
    height = pad_t + bar_h * len(values) + 6
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'style="font:11px sans-serif;background:#fff">',
        f'<text x="4" y="13">{html.escape(title)}</text>',
    ]
    for i, (label, v) in enumerate(zip(labels, values)):
        y = pad_t + i * bar_h
        w = (width - pad_l - 90) * v / top
        parts.append(f'<text x="{pad_l - 4}" y="{y + 12}" text-anchor="end">{html.escape(str(label))}</text>')
        parts.append(f'<rect x="{pad_l}" y="{y + 2}" width="{w:.1f}" height="{bar_h - 4}" fill="#4a7ebb"/>')
        parts.append(f'<text x="{pad_l + w + 4:.1f}" y="{y + 12}">{_fmt(float(v))} {html.escape(unit)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def log_html(markup: str) -> None:
    """Write ``markup`` to log.html at INFO level (console untouched)."""
    logger.info(markup, html=True)


def log_distribution(
    values: Sequence[float],
    unit: str,
    caption: str,
    target: float | None = None,
    extra: dict | None = None,
    target_label: str = "target",
) -> None:
    """The standard figure block: a percentile table and a histogram (``target`` as in :func:`svg_histogram`)."""
    log_html(
        summary_table(values, unit, caption, extra)
        + svg_histogram(values, unit, title=caption, target=target, target_label=target_label)
    )
