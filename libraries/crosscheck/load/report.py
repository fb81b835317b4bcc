"""A load run in log.html: per-stage and per-request tables, inline SVG charts over time."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from crosscheck.config import mask_url
from crosscheck.load.result import LoadResult
from crosscheck.load.stages import Stage
from crosscheck.load.statistics import ALL
from crosscheck.reporting import html_table, svg_histogram

_COLOURS = ("#4a7ebb", "#e08a2c", "#3a9a5b", "#9b59b6")


def _num(value: float) -> float | str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else value


def stage_table(result: LoadResult) -> str:
    headers = [
        "stage (users)",
        "hold (s)",
        "requests",
        "RPS",
        "failures",
        "error rate (%)",
        "p50 (ms)",
        "p95 (ms)",
        "p99 (ms)",
        "max (ms)",
        "p95 vs first (%)",
        "API CPU (%)",
        "API RSS (MB)",
        "DB connections",
        "Redis clients",
        "generator CPU (%)",
    ]
    rows = []
    for stage in [*result.stages, None]:
        f = result.figures(stage)
        res = result.resource_figures(stage)
        degraded = result.degradation("p95", stage) if stage is not None and f.requests else math.nan
        rows.append(
            [
                stage.users if stage else "all",
                round(stage.hold, 2) if stage else round(result.breakdown.duration, 2),
                f.requests,
                f.rps,
                f.failures,
                f.error_rate,
                _num(f.statistic("p50")),
                _num(f.statistic("p95")),
                _num(f.statistic("p99")),
                _num(f.statistic("max")),
                _num(degraded),
                _num(res["api_cpu_percent"]),
                _num(res["api_rss_mb"]),
                _num(res["db_connections"]),
                _num(res["redis_clients"]),
                _num(res["generator_cpu_percent"]),
            ]
        )
    where = mask_url(result.host) + (f", {result.workers} workers" if result.workers else "")
    return html_table(rows, headers, f"Load stages against {where} (figures over each stage's hold)")


def request_table(result: LoadResult) -> str:
    headers = [
        "stage",
        "request",
        "requests",
        "RPS",
        "failures",
        "error rate (%)",
        "p50 (ms)",
        "p95 (ms)",
        "p99 (ms)",
        "max (ms)",
    ]
    rows = []
    for stage in [*result.stages, None]:
        for name in result.names:
            f = result.figures(stage, name)
            rows.append(
                [
                    stage.users if stage else "all",
                    name,
                    f.requests,
                    f.rps,
                    f.failures,
                    f.error_rate,
                    _num(f.statistic("p50")),
                    _num(f.statistic("p95")),
                    _num(f.statistic("p99")),
                    _num(f.statistic("max")),
                ]
            )
    return html_table(rows, headers, "Per request name")


def errors_table(result: LoadResult) -> str:
    errors = result.figures(None).errors
    if not errors:
        return ""
    rows: list[list[object]] = [[what, n] for what, n in sorted(errors.items(), key=lambda kv: -kv[1])[:20]]
    return html_table(rows, ["failure", "count"], "Failures of the whole run (most frequent first)")


def db_table(result: LoadResult) -> str:
    keys = sorted({key for s in result.stages for key in result.db_by_state(s)})
    if not keys:
        return ""
    rows = [[app, state, *[result.db_by_state(s).get((app, state), 0) for s in result.stages]] for app, state in keys]
    return html_table(
        rows,
        ["application", "state", *[f"max in stage {s.users}" for s in result.stages]],
        "Database connections (pg_stat_activity)",
    )


def svg_lines(
    series: Sequence[tuple[str, Sequence[tuple[float, float]]]],
    unit: str,
    title: str,
    stages: Sequence[Stage] = (),
    target: float | None = None,
    target_label: str = "target",
    width: int = 640,
    height: int = 200,
) -> str:
    """An inline SVG line chart over time (s); dashed grey lines mark stage starts, a red line ``target``."""
    points = [(x, y) for _, line in series for x, y in line if not math.isnan(y)]
    if not points:
        return f"<p>({html.escape(title)}: no values to chart)</p>"
    x_hi = max([x for x, _ in points] + [s.end for s in stages] + [1.0])
    y_hi = max([y for _, y in points] + ([target] if target is not None else []))
    y_hi = y_hi * 1.1 if y_hi > 0 else 1.0
    pad_l, pad_r, pad_t, pad_b = 50, 10, 20, 28
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b

    def px(x: float) -> float:
        return pad_l + plot_w * x / x_hi

    def py(y: float) -> float:
        return pad_t + plot_h * (1 - y / y_hi)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" style="font:11px sans-serif;background:#fff">',
        f'<text x="{pad_l}" y="13">{html.escape(title)}</text>',
    ]
    base = pad_t + plot_h
    parts.append(f'<line x1="{pad_l}" y1="{base}" x2="{pad_l + plot_w}" y2="{base}" stroke="#333"/>')
    parts.append(f'<line x1="{pad_l}" y1="{pad_t}" x2="{pad_l}" y2="{base}" stroke="#333"/>')
    parts.append(f'<text x="{pad_l - 4}" y="{pad_t + 8}" text-anchor="end">{y_hi:,.0f}</text>')
    parts.append(f'<text x="{pad_l - 4}" y="{base}" text-anchor="end">0</text>')
    parts.append(f'<text x="{pad_l + plot_w}" y="{base + 14}" text-anchor="end">{x_hi:,.0f} s</text>')
    for stage in stages:
        x = px(stage.start)
        parts.append(f'<line x1="{x:.1f}" y1="{pad_t}" x2="{x:.1f}" y2="{base}" stroke="#aaa" stroke-dasharray="2 3"/>')
        parts.append(f'<text x="{x + 2:.1f}" y="{base + 24}" fill="#666">{stage.users} users</text>')
    for i, (label, line) in enumerate(series):
        colour = _COLOURS[i % len(_COLOURS)]
        pts = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in line if not math.isnan(y))
        if pts:
            parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="1.5"/>')
        legend = f"{label} ({unit})" if unit else label
        parts.append(f'<text x="{pad_l + 8 + 120 * i}" y="{pad_t + 10}" fill="{colour}">{html.escape(legend)}</text>')
    if target is not None:
        y = py(target)
        parts.append(
            f'<line x1="{pad_l}" y1="{y:.1f}" x2="{pad_l + plot_w}" y2="{y:.1f}" stroke="#c00" stroke-dasharray="4 2"/>'
        )
        parts.append(
            f'<text x="{pad_l + plot_w}" y="{y - 3:.1f}" fill="#c00" text-anchor="end">'
            f"{html.escape(target_label)} {target:,.4g} {html.escape(unit)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def rps_chart(result: LoadResult, target: float | None = None, target_label: str = "target") -> str:
    return svg_lines(
        [
            ("RPS", [(s.offset, float(s.requests)) for s in result.seconds]),
            ("failures", [(s.offset, float(s.failures)) for s in result.seconds]),
        ],
        "req/s",
        "Requests per second over time",
        result.stages,
        target,
        target_label,
    )


def p95_chart(result: LoadResult, target: float | None = None, target_label: str = "target") -> str:
    return svg_lines(
        [("p95 per second", [(s.offset, s.p95) for s in result.seconds])],
        "ms",
        "p95 response time over time (all requests, per second)",
        result.stages,
        target,
        target_label,
    )


def resource_chart(result: LoadResult) -> str:
    t0 = result.t0
    cpu = [(r.t - t0, r.api_cpu) for r in result.resources if r.api_cpu is not None]
    gen = [(r.t - t0, r.generator_cpu) for r in result.resources]
    out = ""
    if cpu or gen:
        series = [("API CPU", cpu)] if cpu else []
        series.append(("generator CPU", gen))
        out += svg_lines(series, "%", "CPU over time (percent of one core)", result.stages)
    rss = [(r.t - t0, r.api_rss_mb) for r in result.resources if r.api_rss_mb is not None]
    if rss:
        out += svg_lines([("API RSS", rss)], "MB", "API memory over time", result.stages)
    db = [(r.t - t0, float(r.db_total())) for r in result.resources if r.db]
    clients = [(r.t - t0, float(r.redis_clients)) for r in result.resources if r.redis_clients is not None]
    if db or clients:
        series = ([("Postgres connections", db)] if db else []) + ([("Redis clients", clients)] if clients else [])
        out += svg_lines(series, "", "Connections over time (pg_stat_activity, Redis clients)", result.stages)
    return out


def distribution(result: LoadResult, stage: Stage | None, name: str | None, target: float | None, label: str) -> str:
    f = result.figures(stage, name)
    title = f"Response times, {'stage ' + str(stage.users) + ' users' if stage else 'whole run'}" + (
        f", {name}" if name and name != ALL else ""
    )
    return svg_histogram(f.times, "ms", title=title, target=target, target_label=label)


def run_report(result: LoadResult) -> str:
    return (
        stage_table(result)
        + request_table(result)
        + errors_table(result)
        + db_table(result)
        + rps_chart(result)
        + p95_chart(result)
        + distribution(result, None, None, None, "target")
        + resource_chart(result)
    )
