"""AssertionEngine glue: every getter takes an operator and an expected value.

``Get Delivery Latency    p95    <    100 ms`` reads the figure, and when an
operator is given, verifies it with AssertionEngine and fails with a message
that names the figure, the expected value and where it was measured.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from assertionengine import AssertionOperator, verify_assertion
from robot.utils import timestr_to_secs

__all__ = ["AssertionOperator", "check", "to_seconds", "to_millis"]


def to_seconds(value: Any) -> float:
    """Seconds from a number, a timedelta or a Robot time string (``100 ms``)."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, (int, float)):
        return float(value)
    return float(timestr_to_secs(str(value)))


def to_millis(value: Any) -> float:
    """Milliseconds from a number (taken as ms), a timedelta or a time string."""
    if isinstance(value, (int, float)):
        return float(value)
    return to_seconds(value) * 1000.0


def check(value: Any, operator: AssertionOperator | None, expected: Any, what: str,
          convert=None) -> Any:
    """Verify ``value`` against ``operator expected`` if an operator is given.

    ``convert`` turns ``expected`` into the value's unit (e.g. :func:`to_millis`).
    The failure message names ``what`` (figure and place) and both values.
    """
    if operator is None:
        return value
    if convert is not None and expected is not None and operator not in (
            AssertionOperator["validate"], AssertionOperator["then"]):
        expected = convert(expected)
    return verify_assertion(value, operator, expected, what, None)
