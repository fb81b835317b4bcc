"""The one way a keyword records a measured figure, so the Go/No-Go verdict can compare runs.

:func:`record` writes one INFO message to the Robot log. It reads as a line in log.html and
carries the figure as JSON in an HTML comment, so it travels inside output.xml: pabot's merge
and ``rebot`` merges of shards keep it with no extra step. The message looks like this::

    <span class="crosscheck-figure">figure <b>load.stage_100.all.p95_ms</b> = 123.4 ms
    (lower is better) in stage 100 of the load on http://127.0.0.1:8000, from 2,481 samples</span>
    <!--crosscheck-figure {"format": 1, "figure": "load.stage_100.all.p95_ms", "value": 123.4,
    "unit": "ms", "better": "lower", "where": "...", "samples": 2481, "median": 80.2,
    "machine": {"hostname": "...", "cpus": 8, "cpu_model": "...", "platform": "...", "python": "3.12.3"}}-->

The stable name of a figure is the suite's full name, the test's name and the figure's name
(``Suites.Day4 Load.Api Load / Searches Hold Up / load.stage_100.all.p95_ms``): the reader
takes the suite and the test from where the message sits in output.xml. A figure recorded in
a suite setup or teardown has no test part.

``samples`` are the raw measurements the value was taken from (for a p95, every response
time): the message keeps their count and median, and the values themselves when there are
at most :data:`MAX_KEPT_SAMPLES`.

This module imports Robot Framework only inside :func:`record`; outside a Robot run
(``robot.running.context`` has no current context) :func:`record` checks its arguments and
does nothing else.
"""

from __future__ import annotations

import functools
import html
import json
import math
import os
import platform
import re
import socket
import statistics
from collections.abc import Sequence
from typing import Any

from crosscheck.errors import ConfigurationError

__all__ = ["FORMAT", "MAX_KEPT_SAMPLES", "machine", "message", "parse", "record"]

FORMAT = 1
MAX_KEPT_SAMPLES = 20
DIRECTIONS = ("lower", "higher")
_MARK = "crosscheck-figure"
_COMMENT = re.compile(r"<!--" + _MARK + r" (\{.*?\})-->", re.DOTALL)


@functools.lru_cache(maxsize=1)
def machine() -> dict[str, Any]:
    """This machine: host name, CPU count, CPU model, platform and Python version."""
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "hostname": socket.gethostname(),
        "cpus": os.cpu_count() or 0,
        "cpu_model": model or platform.processor() or platform.machine(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def _number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.1f}"
    return f"{value:.4g}"


def _check(figure: str, value: Any, unit: str, better: str) -> float:
    if not isinstance(figure, str) or not figure.strip():
        raise ConfigurationError(f"A figure needs a name, got {figure!r}: e.g. 'load.stage_100.all.p95_ms'.")
    if not isinstance(unit, str) or not unit.strip():
        raise ConfigurationError(f"Figure {figure!r} has no unit: give one, e.g. 'ms', '%', 'requests/s', 'MB'.")
    if better not in DIRECTIONS:
        raise ConfigurationError(f"Figure {figure!r}: better must be 'lower' or 'higher', got {better!r}.")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"Figure {figure!r}: value {value!r} is not a number.") from None
    if not math.isfinite(number):
        raise ConfigurationError(f"Figure {figure!r}: value {value!r} is not a finite number; nothing was recorded.")
    return number


def _comment_json(data: dict[str, Any]) -> str:
    """JSON that is safe inside an HTML comment: no ``--``, ``<``, ``>`` or ``&`` (these only occur in strings)."""
    text = json.dumps(data, ensure_ascii=False, separators=(", ", ": "))
    for raw, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"), ("-", "\\u002d")):
        if raw == "-":
            text = text.replace("--", escaped * 2)
        else:
            text = text.replace(raw, escaped)
    return text


def message(
    figure: str,
    value: float,
    unit: str,
    better: str,
    *,
    where: str = "",
    samples: Sequence[float] | None = None,
) -> str:
    """The HTML log message :func:`record` writes (checked as :func:`record` checks)."""
    number = _check(figure, value, unit, better)
    data: dict[str, Any] = {
        "format": FORMAT,
        "figure": figure,
        "value": number,
        "unit": unit,
        "better": better,
        "where": where,
    }
    text = f"figure <b>{html.escape(figure)}</b> = {_number(number)} {html.escape(unit)} ({better} is better)"
    if where:
        text += f" in {html.escape(where)}"
    if samples is not None:
        values = [float(v) for v in samples if math.isfinite(float(v))]
        data["samples"] = len(values)
        if values:
            data["median"] = statistics.median(values)
            text += f", from {len(values):,} samples (median {_number(data['median'])} {html.escape(unit)})"
            if len(values) <= MAX_KEPT_SAMPLES:
                data["values"] = values
    data["machine"] = machine()
    return f'<span class="{_MARK}">{text}</span><!--{_MARK} {_comment_json(data)}-->'


def parse(text: str) -> list[dict[str, Any]]:
    """The figures carried by a log message (none for any other message)."""
    if _MARK not in text:
        return []
    found = []
    for match in _COMMENT.finditer(text):
        try:
            data = json.loads(match.group(1))
        except ValueError:
            continue
        if isinstance(data, dict) and "figure" in data and "value" in data:
            found.append(data)
    return found


def record(
    figure: str,
    value: float,
    unit: str,
    better: str,
    *,
    where: str = "",
    samples: Sequence[float] | None = None,
) -> None:
    """Record ``figure`` = ``value`` ``unit`` in the Robot log, where the verdict finds it.

    ``better`` is ``"lower"`` (times, error rates, memory) or ``"higher"`` (throughput, recall).
    ``where`` says where it was measured (a channel, a stage, a URL with its password masked).
    A missing unit, another ``better`` or a value that is not a finite number raises
    :class:`~crosscheck.errors.ConfigurationError` naming the figure. Outside a Robot run
    nothing is written.

    The message is logged at INFO: a run with ``--loglevel WARN`` keeps no figures.
    """
    text = message(figure, value, unit, better, where=where, samples=samples)
    from robot.running.context import EXECUTION_CONTEXTS

    if EXECUTION_CONTEXTS.current is None:
        return
    from robot.api import logger

    logger.info(text, html=True)
