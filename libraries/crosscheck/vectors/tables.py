"""What the vector keywords log to log.html: search hits and upsert throughput, as tables and charts."""

from __future__ import annotations

from crosscheck.reporting import html_table, log_html, svg_bars
from crosscheck.vectors.backend import Collection, Hit, higher_is_better


def log_hits(coll: Collection, hits: list[Hit], caption: str) -> None:
    rows = [[n + 1, h.id, round(h.score, 6), str(h.payload)[:80]] for n, h in enumerate(hits)]
    log_html(
        html_table(rows, ["rank", "id", "score" if higher_is_better(coll.distance) else "distance", "payload"], caption)
    )


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
