"""Static risk scoring keywords."""

from __future__ import annotations

from typing import Any

from robotlibcore import keyword

from crosscheck.assertions import AssertionOperator, check
from crosscheck.core import Component
from crosscheck.errors import CrosscheckError
from crosscheck.sandbox import risk as risk_mod
from crosscheck.sandbox.context import Context
from crosscheck.sandbox.logs import log_risk


class RiskKeywords(Component[Context]):
    @keyword
    def get_risk_score(
        self, code: str, assertion_operator: AssertionOperator | None = None, assertion_expected: Any = None
    ) -> int:
        """Scores ``code`` without running it and returns the score; logs each finding with weight and line.

        Fails with ``Code has a syntax error ...`` when the code does not parse:
        a syntax error is never reported as a score of 0. Fails with ``Code
        cannot be scored ...`` for code over 100 KB (refused before parsing)
        or code the parser cannot handle (too deeply nested); such code is
        refused by `Execute Python`.

        Example:
        | Get Risk Score | import os\\nos.system("ls") | >= | ${RISK_THRESHOLD} |
        | Get Risk Score | print(sum(range(10)))     | == | 0 |
        """
        report = risk_mod.score(code, self.ctx.risk_threshold)
        log_risk(report)
        if report.syntax_error:
            raise CrosscheckError(f"Code has a syntax error, so it has no risk score: {report.syntax_error}")
        if report.unscored:
            raise CrosscheckError(f"Code cannot be scored, so it is refused: {report.unscored}")
        return check(
            report.score,
            assertion_operator,
            assertion_expected,
            f"Risk score (threshold {report.threshold})",
            convert=int,
        )

    @keyword
    def get_risk_findings(self, code: str) -> list[dict]:
        """Returns the findings for ``code``: dictionaries with ``rule``, ``weight``, ``line``, ``detail``.

        A syntax error gives one finding with rule ``syntax error`` and weight 0;
        code that cannot be scored one with rule ``cannot score`` and the reason.

        Example:
        | ${findings} = | Get Risk Findings | import ctypes |
        | Should Be Equal | ${findings}[0][rule] | import ctypes |
        """
        report = risk_mod.score(code, self.ctx.risk_threshold)
        log_risk(report)
        if report.syntax_error:
            return [{"rule": "syntax error", "weight": 0, "line": 0, "detail": report.syntax_error}]
        if report.unscored:
            return [{"rule": "cannot score", "weight": 0, "line": 0, "detail": report.unscored}]
        return [f.as_dict() for f in report.findings]
