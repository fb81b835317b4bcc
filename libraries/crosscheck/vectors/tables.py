"""What the vector keywords log to log.html: search hits and upsert throughput, as tables and charts."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from threading import current_thread

from robot.output import LOGGER
from robot.output.librarylogger import LOGGING_THREADS
from robot.output.loggerhelper import Message
from robot.running import EXECUTION_CONTEXTS

from crosscheck.reporting import html_table, log_html, svg_bars
from crosscheck.vectors.backend import Collection, Hit, higher_is_better

_CELL = '<td style="border:1px solid #bbb;padding:2px 8px;text-align:right">'
_FALLBACK = logging.getLogger("RobotFramework")  # where robot.api.logger writes outside Robot
_SEP = "\x00"  # html.escape leaves it alone; splits the escaped ids and payloads again


def log_html_lazily(build: Callable[[], str]) -> None:
    """Logs the markup ``build()`` returns at INFO, building it only when it is written.

    Under Robot the message is handed to Robot's logger as a delayed message (as Robot
    logs its own argument traces): it is built when log.html's output.xml gets it, and
    never at a log level above INFO (``--loglevel WARN``). Outside Robot it goes to the
    ``RobotFramework`` Python logger, as :mod:`robot.api.logger` sends it, and is built
    only if that logger takes INFO.
    """
    if EXECUTION_CONTEXTS.current is None:
        if _FALLBACK.isEnabledFor(logging.INFO):
            _FALLBACK.info(build())
        return
    if current_thread().name in LOGGING_THREADS:
        LOGGER.log_message(Message(build, "INFO", html=True))


def hits_table(coll: Collection, hits: list[Hit], caption: str) -> str:
    """The hits as an HTML table, the shape of :func:`crosscheck.reporting.html_table`.

    The ids and payloads of all rows are escaped in one call."""
    head = html_table(
        [], ["rank", "id", "score" if higher_is_better(coll.distance) else "distance", "payload"], caption
    )
    texts = html.escape(_SEP.join(f"{h.id}{_SEP}{str(h.payload)[:80]}" for h in hits)).split(_SEP) if hits else []
    rows = "".join(
        f"<tr>{_CELL}{n}</td>{_CELL}{texts[2 * n - 2]}</td>{_CELL}{h.score:.6g}</td>{_CELL}{texts[2 * n - 1]}</td></tr>"
        for n, h in enumerate(hits, 1)
    )
    return head[: -len("</table>")] + rows + "</table>"


def log_hits(coll: Collection, hits: list[Hit], caption: str) -> None:
    """The hits as a table in log.html, built only when it is written (see :func:`log_html_lazily`):
    it runs on every search, so it must cost nothing beside the engine's own search that is not logged."""
    log_html_lazily(lambda: hits_table(coll, hits, caption))


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
