"""What the vector keywords log to log.html: search hits and upsert throughput, as tables and charts."""

from __future__ import annotations

import html

from crosscheck.reporting import html_table, log_html, svg_bars
from crosscheck.vectors.backend import Collection, Hit, higher_is_better

_CELL = '<td style="border:1px solid #bbb;padding:2px 8px;text-align:right">'


def log_hits(coll: Collection, hits: list[Hit], caption: str) -> None:
    """The hits as a table (the shape of :func:`crosscheck.reporting.html_table`, built in one pass:
    it runs on every search, so it must cost little beside the engine's own search)."""
    head = html_table(
        [], ["rank", "id", "score" if higher_is_better(coll.distance) else "distance", "payload"], caption
    )
    esc = html.escape
    rows = "".join(
        f"<tr>{_CELL}{n}</td>{_CELL}{esc(h.id)}</td>{_CELL}{h.score:.6g}</td>{_CELL}{esc(str(h.payload)[:80])}</td></tr>"
        for n, h in enumerate(hits, 1)
    )
    log_html(head[: -len("</table>")] + rows + "</table>")


def log_throughput(coll: Collection, timings: list[tuple[int, float]]) -> float:
    """Logs points/s of an upsert (table, and a bar per batch); returns points/s."""
    total = sum(n for n, _ in timings)
    seconds = sum(t for _, t in timings)
    rate = total / seconds if seconds > 0 else 0.0
    step = max(1, len(timings) // 20)
    shown = list(enumerate(timings))[::step]
    rows = [[total, len(timings), seconds, rate]]
    log_html(
        html_table(rows, ["points", "batches", "seconds", "points/s"], f"upsert into {coll.name} ({coll.backend.kind})")
        + svg_bars(
            [f"batch {n + 1} ({b[0]} pts)" for n, b in shown],
            [b[0] / b[1] if b[1] > 0 else 0.0 for _, b in shown],
            "points/s",
            f"upsert throughput per batch, {coll.backend.kind}",
        )
    )
    return rate
