"""verdict.html: the Go/No-Go verdict as one self-contained page, readable without Robot.

The state in big letters, every reason, a bar chart of how much each figure moved against
the baseline (with the warn and no-go bands) and a table of every figure. Inline CSS and
SVG, no script, no external asset. Pure: nothing here imports Robot Framework.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import crosscheck
from crosscheck.verdict.baseline import Baseline, describe_machine
from crosscheck.verdict.rules import GO, NO_GO, Row, Rules, Verdict

if TYPE_CHECKING:
    from crosscheck.verdict.results import RunResults

__all__ = ["render", "chart"]

COLORS = {
    "no-go": "#c62828",
    "undecided": "#b45f06",
    "warning": "#8a6d00",
    "info": "#546e7a",
    "ok": "#2e7d32",
}
STATE_COLORS = {GO: COLORS["ok"], NO_GO: COLORS["no-go"]}
LABELS = {severity: severity.upper() for severity in COLORS}

CSS = """
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1c2430;
       background: #f4f6f8; }
main { max-width: 1120px; margin: 0 auto; padding: 0 20px 40px; }
header.state { color: #fff; padding: 22px 28px 20px; margin: 0 -20px 22px; }
header.state .word { font-size: 76px; font-weight: 800; letter-spacing: 2px; line-height: 1; }
header.state .title { font-size: 15px; opacity: .9; margin-bottom: 8px; text-transform: uppercase;
                      letter-spacing: 1px; }
header.state .sub { font-size: 16px; margin-top: 10px; }
header.state .sub div { margin-top: 2px; }
section { background: #fff; border: 1px solid #dde2e8; border-radius: 6px; padding: 14px 20px 16px;
          margin-bottom: 18px; }
h2 { font-size: 19px; margin: 2px 0 10px; }
ul.reasons { list-style: none; margin: 0; padding: 0; }
ul.reasons li { padding: 7px 0 7px 12px; border-left: 5px solid #ccc; margin-bottom: 6px; background: #fafbfc; }
ul.reasons .rule { font-weight: 600; }
ul.reasons .what { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; color: #2b3a4a;
                   word-break: break-word; }
ul.reasons .detail { margin-top: 1px; }
.badge { display: inline-block; min-width: 92px; text-align: center; color: #fff; font-size: 12px;
         font-weight: 700; border-radius: 3px; padding: 1px 6px; margin-right: 8px; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; }
th, td { border-bottom: 1px solid #e3e7ec; padding: 5px 7px; text-align: left; vertical-align: top; }
th { background: #eef1f4; font-weight: 600; position: sticky; top: 0; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td .fig { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; overflow-wrap: anywhere; }
td .loc { color: #5f6b78; font-size: 12px; }
td .count { color: #5f6b78; font-size: 12px; }
.note { color: #3d4a57; font-size: 12.5px; }
.muted { color: #5f6b78; }
p { margin: 6px 0; }
footer { color: #5f6b78; font-size: 12.5px; margin-top: 8px; }
footer a, section a { color: #1f5fa8; }
"""


def _e(value: Any) -> str:
    return html.escape(str(value))


def _num(value: float | None, unit: str = "") -> str:
    if value is None:
        return "&ndash;"
    if value == int(value) and abs(value) < 1e15:
        text = f"{int(value):,}"
    elif abs(value) >= 1000:
        text = f"{value:,.1f}"
    else:
        text = f"{value:.4g}"
    return _e(f"{text} {unit}".strip())


def _badge(severity: str) -> str:
    return f'<span class="badge" style="background:{COLORS[severity]}">{LABELS[severity]}</span>'


def _label(row: Row, limit: int = 58) -> str:
    """``test / figure`` in at most ``limit`` characters: the test's name is shortened first."""
    figure = row.figure
    if len(figure) >= limit - 6:
        return "\u2026" + figure[-(limit - 1) :]
    rest = row.name[: -len(figure)].rstrip(" /") if row.name.endswith(figure) else ""
    test = rest.split(" / ", 1)[-1] if " / " in rest else rest
    room = limit - len(figure) - 3
    if len(test) > room:
        test = test[: room - 1] + "\u2026"
    return f"{test} / {figure}" if test else figure


def chart(rows: Sequence[Row], warn: float, fail: float, width: int = 1040) -> str:
    """An inline SVG bar per compared figure: how much worse (right) or better (left) than the baseline,
    in %, over the GO / UNDECIDED / NO-GO bands of the default rule."""
    compared = sorted((r for r in rows if r.worse is not None), key=lambda r: (-(r.worse or 0.0), r.name))
    if not compared:
        return ""
    worst = max(r.worse or 0.0 for r in compared)
    best = min(r.worse or 0.0 for r in compared)
    # The 5 and 10 % bands keep a readable width: the axis runs from at most -fail to at most 3 x fail;
    # a bar beyond it is cut at the edge and marked (its value is written on it).
    hi = min(max(fail * 1.5, worst * 1.1), fail * 3) if fail > 0 else max(worst * 1.1, 10.0)
    lo = -min(max(warn, -best * 1.1), fail) if fail > 0 else -10.0
    label_w, pad_r, top, row_h = 400, 70, 34, 22
    plot_w = width - label_w - pad_r
    height = top + row_h * len(compared) + 34

    def x(value: float) -> float:
        return label_w + plot_w * (min(max(value, lo), hi) - lo) / (hi - lo)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="change of each figure against the baseline" style="font:12px system-ui,sans-serif">'
    ]
    bottom = top + row_h * len(compared)
    bands = [
        (lo, 0.0, "#e8f5e9", "better"),
        (0.0, warn, "#f1f8e9", "GO"),
        (warn, fail, "#fff3e0", "UNDECIDED"),
        (fail, hi, "#ffebee", "NO-GO"),
    ]
    for start, end, color, label in bands:
        if end <= start:
            continue
        parts.append(
            f'<rect x="{x(start):.1f}" y="{top}" width="{x(end) - x(start):.1f}" height="{bottom - top}" '
            f'fill="{color}"/>'
        )
        if x(end) - x(start) < 7 * len(label):  # no room for its name
            continue
        parts.append(
            f'<text x="{(x(start) + x(end)) / 2:.1f}" y="{top - 8}" text-anchor="middle" fill="#455a64" '
            f'font-size="11">{label}</text>'
        )
    for value, dash in ((0.0, ""), (warn, ' stroke-dasharray="5 3"'), (fail, ' stroke-dasharray="5 3"')):
        parts.append(f'<line x1="{x(value):.1f}" y1="{top}" x2="{x(value):.1f}" y2="{bottom}" stroke="#607d8b"{dash}/>')
        parts.append(
            f'<text x="{x(value):.1f}" y="{bottom + 15}" text-anchor="middle" fill="#37474f">{value:+g} %</text>'
        )
    parts.append(
        f'<text x="{label_w + plot_w:.1f}" y="{bottom + 30}" text-anchor="end" fill="#37474f">worse &#8594;</text>'
    )
    parts.append(f'<text x="{label_w:.1f}" y="{bottom + 30}" fill="#37474f">&#8592; better</text>')
    for i, row in enumerate(compared):
        y = top + i * row_h
        worse = row.worse or 0.0
        color = COLORS.get(row.severity, COLORS["info"])
        x0, x1 = sorted((x(0.0), x(worse)))
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" fill="#1c2430">'
            f"<title>{_e(row.name)}</title>{_e(_label(row))}</text>"
        )
        parts.append(
            f'<rect x="{x0:.1f}" y="{y + 4}" width="{max(x1 - x0, 1.5):.1f}" height="{row_h - 8}" fill="{color}">'
            f"<title>{_e(row.name)}: {worse:+.1f} % ({'worse' if worse > 0 else 'better'})</title></rect>"
        )
        clipped = worse > hi
        text = f"{worse:+.1f} %" + (" \u00bb" if worse > hi else "") + (" \u00ab" if worse < lo else "")
        if worse >= 0:
            tx, anchor = (x1 + 4, "start") if not clipped else (x1 - 4, "end")
        else:  # right of the zero line, where this row has no bar
            tx, anchor = x(0.0) + 4, "start"
        fill = "#fff" if clipped else "#1c2430"
        parts.append(
            f'<text x="{tx:.1f}" y="{y + 15}" text-anchor="{anchor}" fill="{fill}" font-weight="600">{_e(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _figure_cell(row: Row) -> str:
    location = row.name[: -len(row.figure)].rstrip(" /") if row.name.endswith(row.figure) else ""
    return f'<div class="fig">{_e(row.figure)}</div>' + (f'<div class="loc">{_e(location)}</div>' if location else "")


def _value_cell(value: float | None, count: int, unit: str) -> str:
    if value is None:
        return '<td class="num muted">not measured</td>'
    extra = f' <span class="count">(median of {count})</span>' if count > 1 else ""
    return f'<td class="num">{_num(value, unit)}{extra}</td>'


def _change_cell(row: Row) -> str:
    if row.change is None or row.worse is None:
        return '<td class="num muted">&ndash;</td>'
    word = "worse" if row.worse > 0 else "better" if row.worse < 0 else "same"
    color = COLORS.get(row.severity, "#1c2430") if row.worse > 0 else COLORS["ok"]
    return f'<td class="num" style="color:{color}">{row.change:+.1f} %<br><span class="count">{word}</span></td>'


def _table(rows: Sequence[Row]) -> str:
    if not rows:
        return '<p class="muted">No figure was recorded in this run, and none is in the baseline.</p>'
    out = [
        '<table><thead><tr><th>Outcome</th><th style="width:30%">Figure</th><th>Better</th><th>Baseline</th>'
        '<th>This run</th><th>Change</th><th style="width:30%">Rule and why</th></tr></thead><tbody>'
    ]
    for row in rows:
        out.append(
            f"<tr><td>{_badge(row.severity)}</td><td>{_figure_cell(row)}</td><td>{_e(row.better)}</td>"
            f"{_value_cell(row.base, row.base_count, row.unit)}{_value_cell(row.now, row.now_count, row.unit)}"
            f'{_change_cell(row)}<td class="note"><div class="muted">{_e(row.rule)}</div>{_e(row.note)}</td></tr>'
        )
    out.append("</tbody></table>")
    return "".join(out)


def _reasons(verdict: Verdict) -> str:
    items = []
    for r in verdict.reasons:
        what = f' <span class="what">{_e(r.what)}</span>' if r.what else ""
        items.append(
            f'<li style="border-left-color:{COLORS[r.severity]}">{_badge(r.severity)}<span class="rule">{_e(r.rule)}'
            f'</span>{what}<div class="detail">{_e(r.detail)}</div></li>'
        )
    return '<ul class="reasons">' + "".join(items) + "</ul>"


def _tests_line(results: RunResults) -> str:
    counts = Counter(t.status for t in results.tests)
    parts = [f"{counts[s]} {word}" for s, word in (("PASS", "passed"), ("FAIL", "failed"), ("SKIP", "skipped"))]
    if counts["NOT RUN"]:
        parts.append(f"{counts['NOT RUN']} not run")
    return f"{len(results.tests)} tests: " + ", ".join(parts)


def _baseline_text(baseline: Baseline | None) -> str:
    if baseline is None:
        return (
            "No baseline: performance was not compared. Save one with <code>crosscheck baseline save results/</code>."
        )
    run = baseline.run or {}
    parts = [f"Baseline <b>{_e(baseline.path or '(unsaved)')}</b>"]
    if baseline.when:
        parts.append(f", saved {_e(baseline.when)}")
    if baseline.crosscheck:
        parts.append(f" by crosscheck {_e(baseline.crosscheck)}")
    if run.get("name"):
        counts = f" ({_e(run['tests'])} tests, {_e(run.get('failed', 0))} failed)" if "tests" in run else ""
        parts.append(f", from run {_e(run['name'])}{counts}")
    parts.append(f": {len(baseline.figures)} figures")
    if baseline.machine:
        parts.append(f", measured on {_e(describe_machine(baseline.machine))}")
    return "".join(parts) + "."


def render(verdict: Verdict, results: RunResults, baseline: Baseline | None, rules: Rules | None = None) -> str:
    """The verdict page as one HTML string."""
    rules = rules or Rules()
    color = STATE_COLORS.get(verdict.state, COLORS["undecided"])
    counts = verdict.counts()
    summary = ", ".join(f"{counts[s]} {LABELS[s].lower()}" for s in LABELS if counts[s])
    now = datetime.now(UTC).isoformat(timespec="seconds")
    defaults = rules.defaults
    svg = chart(verdict.rows, defaults.warn, defaults.fail)
    if svg:
        chart_section = (
            "<section><h2>Against the baseline</h2>"
            f"<p>{_baseline_text(baseline)}</p>{svg}"
            '<p class="muted">Each bar is how much worse (right) or better (left) a figure is than in the baseline, '
            "in the figure's own direction: a time that went up, a throughput that went down, is worse. A figure "
            "measured several times is compared on its median. Bands: the default rule "
            f"(GO under {defaults.warn:g} %, NO-GO over {defaults.fail:g} %); a figure with its own rule is "
            "coloured by it.</p></section>"
        )
    else:
        chart_section = f"<section><h2>Against the baseline</h2><p>{_baseline_text(baseline)}</p></section>"
    machines = results.machines
    if baseline is None:
        against = "no baseline: performance was not compared"
    else:
        host = baseline.machine.get("hostname", "an unnamed machine") if baseline.machine else "an unknown machine"
        against = f"against baseline {baseline.path or '(unsaved)'} of {baseline.when or 'an unknown time'} on {host}"
    pages = " &middot; ".join(
        f'<a href="{name}">{name}</a>'
        for name in ("report.html", "log.html", "figures.json")
        if (results.folder / name).exists()
    )
    title = f"{verdict.state} \u2014 crosscheck verdict \u2014 {results.name}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main>"
        f'<header class="state" style="background:{color}">'
        f'<div class="title">Go / No-Go verdict &middot; {_e(results.name)}</div>'
        f'<div class="word">{_e(verdict.state)}</div>'
        f'<div class="sub"><div>{_e(_tests_line(results))}; {len(results.figures)} figures recorded'
        + (f" on {_e(', '.join(machines))}" if machines else "")
        + f"</div><div>{_e(against)}</div><div>{_e(summary)}</div></div></header>"
        f"<section><h2>Why: {len(verdict.reasons)} reasons</h2>{_reasons(verdict)}</section>"
        + chart_section
        + f"<section><h2>Every figure ({len(verdict.rows)})</h2>{_table(verdict.rows)}</section>"
        "<footer>"
        f"Run started {_e(results.started or 'at an unknown time')}, read from {_e(results.source.resolve())}. "
        f"Rules: {_e(rules.source)} (worse by {defaults.warn:g} % or more: UNDECIDED, over {defaults.fail:g} %: "
        f"NO-GO; error rates under {defaults.error_rate:g} %; targets with {defaults.tolerance:g} % tolerance). "
        f"Verdict taken {_e(now)} by crosscheck {_e(crosscheck.__version__)}."
        + (f"<br>{pages}" if pages else "")
        + "</footer></main></body></html>\n"
    )
