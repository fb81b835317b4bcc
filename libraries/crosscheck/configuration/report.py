"""What a Configuration keyword ran and saw, for log.html: secrets masked, as tables."""

from __future__ import annotations

from typing import Any

from crosscheck.configuration.canaries import is_secret
from crosscheck.configuration.loader import Invocation, Result
from crosscheck.configuration.precedence import text
from crosscheck.reporting import html_table, log_html


def shown_value(key: str, value: Any) -> str:
    from crosscheck.config import mask_text

    return "***" if is_secret(key) and value not in (None, "") else mask_text(text(value))


def describe(inv: Invocation) -> str:
    """One line: the variables set, the command and where it ran."""
    variables = " ".join(f"{k}={v}" for k, v in inv.shown_variables().items())
    return f"{variables + ' ' if variables else ''}{inv.shown_command()}  (in {inv.cwd})"


def run_rows(result: Result) -> list[list[str]]:
    inv = result.invocation
    rows = [
        ["command", inv.shown_command()],
        ["working directory", f"{inv.cwd} (a copy of {inv.loader.folder or 'an empty folder'})"],
        ["variables set", ", ".join(f"{k}={v}" for k, v in inv.shown_variables().items()) or "none"],
        ["written into the copy", "; ".join(inv.written) or "nothing"],
        ["exit code", "timed out" if result.rc is None else str(result.rc)],
    ]
    if result.stderr.strip():
        rows.append(["stderr", result.shown(result.stderr, 1500)])
    if not result.loaded and result.stdout.strip():
        rows.append(["stdout", result.shown(result.stdout, 1500)])
    return rows


def log_run(result: Result, caption: str) -> None:
    markup = html_table(run_rows(result), ["", ""], caption)
    if result.loaded:
        rows = [[k, shown_value(k, v), result.source(k) or ""] for k, v in result.flat().items()]
        markup += html_table(rows, ["key", "value", "source"], "Effective configuration")
    log_html(markup)
