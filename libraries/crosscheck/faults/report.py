"""The recovery timeline as log.html shows it: an inline SVG chart and a table of events.

Pure: builds markup from a :class:`~crosscheck.faults.recovery.Timeline`; no Robot.
One lane per probe: a dot per attempt (green answered, red failed); a red band for each
fault from on to off; dashed lines at "fault off", "first failure" and "first success".
"""

from __future__ import annotations

import html

from crosscheck.faults.recovery import Fault, Recovery, Timeline
from crosscheck.reporting import html_table

OK, FAIL, FAULT, TARGET = "#2e8b57", "#c62828", "#f4b4b4", "#555"


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:,.0f} ms"


def _window(timeline: Timeline, since: float | None, focus: Fault | None = None):
    """The faults and attempts from ``since`` on (all when None), and the chart's zero.

    With ``focus``, only the faults still on when it went on are shown (an earlier test's are not)."""
    with timeline.lock:
        faults = [f for f in timeline.faults if since is None or (f.off is None or f.off >= since)]
        attempts = [a for a in timeline.attempts if since is None or a.ended >= since]
    if focus is not None:
        faults = [f for f in faults if f is focus or f.off is None or f.off >= focus.on]
    times = [f.on for f in faults] + [a.started for a in attempts]
    origin = min(times) if times else timeline.origin()
    if since is not None:
        origin = max(origin, since)
    return faults, attempts, origin


def timeline_chart(
    timeline: Timeline,
    recoveries: list[Recovery],
    title: str,
    since: float | None = None,
    width: int = 760,
) -> str:
    """SVG: probes as lanes over time (seconds from the first event shown), faults as bands, recovery markers.

    ``since`` (a ``time.monotonic`` value) leaves out what ended before it; with one recovery, only
    the faults that overlap its fault are drawn."""
    focus = recoveries[0].fault if len(recoveries) == 1 else None
    faults, attempts, origin = _window(timeline, since, focus)
    if focus is not None:  # the probe of the recovery only (another test's probes are not this story)
        attempts = [a for a in attempts if a.probe == recoveries[0].probe]
    probes = sorted({a.probe for a in attempts} | {r.probe for r in recoveries}) or ["(no probe)"]
    end = max([a.ended for a in attempts] + [f.off or f.on for f in faults] + [origin + 1.0])
    span = max(end - origin, 1e-3)
    pad_l = min(320, max(80, 12 + 7 * max(len(p) for p in probes)))
    pad_r, pad_t, lane_h = 16, 34, 26
    plot_w = width - pad_l - pad_r
    height = pad_t + lane_h * len(probes) + 46

    def x(t: float) -> float:
        return pad_l + plot_w * (max(t, origin) - origin) / span

    base = pad_t + lane_h * len(probes)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'style="font:11px sans-serif;background:#fff">',
        f'<text x="4" y="13" font-weight="bold">{html.escape(title)}</text>',
    ]
    for fault in faults:
        x0, x1 = x(max(fault.on, origin)), x(fault.off if fault.off is not None else end)
        state = "" if fault.off is not None else " (still on)"
        out.append(
            f'<rect x="{x0:.1f}" y="{pad_t - 6}" width="{max(x1 - x0, 1.5):.1f}" height="{base - pad_t + 6}" '
            f'fill="{FAULT}" opacity="0.6"><title>{html.escape(fault.what + state)}</title></rect>'
        )
        if focus is None or fault is focus:
            out.append(f'<text x="{x0:.1f}" y="{pad_t - 9}" fill="{FAIL}">{html.escape(fault.what)}</text>')
        if fault.off is not None:
            out.append(
                f'<line x1="{x1:.1f}" y1="{pad_t - 6}" x2="{x1:.1f}" y2="{base + 4}" stroke="{TARGET}" '
                f'stroke-dasharray="4 2"/>'
            )
    for i, probe in enumerate(probes):
        y = pad_t + i * lane_h + lane_h / 2
        out.append(f'<text x="{pad_l - 6}" y="{y + 4:.1f}" text-anchor="end">{html.escape(probe)}</text>')
        out.append(f'<line x1="{pad_l}" y1="{y:.1f}" x2="{pad_l + plot_w}" y2="{y:.1f}" stroke="#ddd"/>')
        for a in (a for a in attempts if a.probe == probe):
            color = OK if a.ok else FAIL
            tip = f"{a.ended - origin:.3f} s: " + ("answered" if a.ok else f"failed: {a.detail}")
            out.append(
                f'<circle cx="{x(a.ended):.1f}" cy="{y:.1f}" r="3" fill="{color}"><title>{html.escape(tip)}</title>'
                "</circle>"
            )
        for r in (r for r in recoveries if r.probe == probe):
            if r.first_success is not None:
                sx = x(r.first_success.ended)
                out.append(
                    f'<line x1="{sx:.1f}" y1="{y - 10:.1f}" x2="{sx:.1f}" y2="{y + 10:.1f}" stroke="{OK}" '
                    'stroke-width="2"/>'
                )
            if r.first_failure is not None:
                fx = x(r.first_failure.ended)
                out.append(
                    f'<line x1="{fx:.1f}" y1="{y - 10:.1f}" x2="{fx:.1f}" y2="{y + 10:.1f}" stroke="{FAIL}" '
                    'stroke-width="2"/>'
                )
    out.append(f'<line x1="{pad_l}" y1="{base + 4}" x2="{pad_l + plot_w}" y2="{base + 4}" stroke="#333"/>')
    for k in range(6):
        t = span * k / 5
        tx = pad_l + plot_w * k / 5
        anchor = "start" if k == 0 else "end" if k == 5 else "middle"
        out.append(f'<text x="{tx:.1f}" y="{base + 18}" text-anchor="{anchor}">{t:.1f} s</text>')
    lx, ly = 8, base + 28
    for kind, color, label in (
        ("band", FAULT, "fault on"),
        ("dash", TARGET, "fault off"),
        ("dot", FAIL, "failed"),
        ("dot", OK, "answered"),
        ("bar", FAIL, "first failure"),
        ("bar", OK, "first success"),
    ):
        if kind == "band":
            out.append(f'<rect x="{lx}" y="{ly}" width="12" height="10" fill="{color}"/>')
        elif kind == "dash":
            out.append(
                f'<line x1="{lx}" y1="{ly + 5}" x2="{lx + 12}" y2="{ly + 5}" stroke="{color}" stroke-dasharray="4 2"/>'
            )
        elif kind == "dot":
            out.append(f'<circle cx="{lx + 6}" cy="{ly + 5}" r="3" fill="{color}"/>')
        else:
            out.append(
                f'<line x1="{lx + 6}" y1="{ly - 1}" x2="{lx + 6}" y2="{ly + 11}" stroke="{color}" stroke-width="2"/>'
            )
        out.append(f'<text x="{lx + 16}" y="{ly + 9}">{html.escape(label)}</text>')
        lx += 16 + 6 * len(label) + 14
    out.append("</svg>")
    return "".join(out)


def events_table(timeline: Timeline, recoveries: list[Recovery], since: float | None = None) -> str:
    """The moments that matter, in seconds from the first event: fault on and off, first failure and success."""
    focus = recoveries[0].fault if len(recoveries) == 1 else None
    faults, _, origin = _window(timeline, since, focus)
    rows: list[tuple[float, str, str]] = []
    for f in faults:
        if f.on >= origin:
            rows.append((f.on, "fault on", f.what))
        if f.off is not None:
            rows.append((f.off, "fault off", f.what))
    for r in recoveries:
        if r.first_failure is not None:
            rows.append((r.first_failure.ended, "first failure", f"{r.probe}: {r.first_failure.detail}"))
        if r.first_success is not None:
            rows.append((r.first_success.ended, "first success", f"{r.probe}: recovered in {_ms(r.seconds)}"))
    rows.sort(key=lambda row: row[0])
    return html_table(
        [(f"{t - origin:.3f}", event, detail) for t, event, detail in rows], ["time (s)", "event", "detail"], "Timeline"
    )
