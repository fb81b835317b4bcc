"""How a sandbox run and a risk report are shown in log.html (HTML tables)."""

from __future__ import annotations

import html

from crosscheck import reporting
from crosscheck.sandbox import risk as risk_mod
from crosscheck.sandbox.result import Result


def log_result(res: Result) -> None:
    rows = [
        ("status", res.status),
        ("limit fired", res.limit),
        ("exit code", res.exit_code),
        ("duration (ms)", round(res.duration * 1000, 1)),
        ("timed out", res.timed_out),
        ("OOM-killed", res.oom_killed),
        ("output truncated", res.truncated),
        ("output bytes", res.output_bytes),
        ("risk score", res.risk_score),
        ("container", res.container or "-"),
        ("mode", res.mode),
        ("recycled", res.recycled),
    ]
    markup = reporting.html_table(rows, ["field", "value"], "Sandbox run")
    for name, text in (("stdout", res.stdout), ("stderr", res.stderr)):
        if text:
            shown = text if len(text) <= 4000 else text[:2000] + f"\n... ({len(text)} characters) ...\n" + text[-1500:]
            markup += f"<b>{name}</b><pre>{html.escape(shown)}</pre>"
    reporting.log_html(markup)


def log_risk(report: risk_mod.RiskReport) -> None:
    caption = (
        f"Risk {report.verdict}: score {report.score}, threshold {report.threshold}"
        + (f" - {report.syntax_error}" if report.syntax_error else "")
        + (f" - {report.unscored}" if report.unscored else "")
    )
    reporting.log_html(
        reporting.html_table(
            report.rows() or [("-", "no findings", 0, "")], ["line", "rule", "weight", "detail"], caption
        )
    )
