"""AssertionEngine glue: every getter takes an operator and an expected value.

``Get Delivery Latency    p95    <    100 ms`` reads the figure, and when an
operator is given, verifies it with AssertionEngine and fails with a message
that names the figure, the expected value and where it was measured.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from assertionengine import AssertionOperator, verify_assertion
from robot.utils import timestr_to_secs

from crosscheck.errors import ConfigurationError

__all__ = [
    "AssertionOperator",
    "Operator",
    "to_operator",
    "MissingTimeUnit",
    "check",
    "chart_target",
    "time_target",
    "to_seconds",
    "to_millis",
]

TIME_RULE = (
    "A time-valued target must carry a unit (``100 ms``, ``0.2 s``, ``1 min``, or a timedelta): "
    "a bare number such as ``0.2`` or ``50`` is refused."
)


# Operators whose expected value is not a value of the figure's kind.
class Operator:
    """An assertion operator: ``==``, ``!=``, ``<``, ``>``, ``<=``, ``>=``, ``contains``,
    ``not contains``, ``starts``, ``ends``, ``matches``, ``validate``, ``then``, or their other
    names (``equal``, ``should be``, ``less than``, ``*=``, ``^=``, ``$=`` ...), as AssertionEngine
    reads them. An unknown one is refused with this list."""


def to_operator(value: str | None) -> AssertionOperator | None:
    """``value`` as an AssertionEngine operator (``None`` stays ``None``); an unknown one is refused
    naming the valid ones, and a time target written in the operator's place says so."""
    if value is None or isinstance(value, AssertionOperator):
        return value
    text = str(value).strip()
    if text.upper() == "NONE" or not text:
        return None
    if text in AssertionOperator.__members__:
        return AssertionOperator[text]
    known = ", ".join(AssertionOperator.__members__)
    hint = ""
    if "=" in text and text.split("=", 1)[0].isidentifier():
        hint = f" ('{text.split('=', 1)[0]}=' names no argument of this keyword: check its spelling)"
    raise ValueError(f"'{text}' is not an assertion operator{hint}; use one of: {known}")


_UNCONVERTED = (AssertionOperator["validate"], AssertionOperator["then"])
# Operators whose expected value is a bound worth drawing on a chart.
_BOUNDS = ("<", "<=", ">", ">=", "==")


def _figure(what: str | None) -> str:
    """``what`` without its unit in brackets: "p95 delivery latency (ms) on ..." -> "p95 delivery latency on ..."."""
    if not what:
        return "this time target"
    return re.sub(r"\s*\((?:ms|s)\)", "", what)


class MissingTimeUnit(ConfigurationError):
    """A time-valued target was given as a bare number: the message names the figure and the fix."""

    def __init__(self, value: Any, what: str | None = None):
        self.value = value
        self.what = what
        text = str(value).strip()
        super().__init__(
            f"Expected value {text!r} for {_figure(what)} has no unit: write it as '{text} ms' or '{text} s'."
        )


def _is_bare_number(value: Any) -> bool:
    if isinstance(value, (int, float)):
        return True
    try:
        float(str(value).strip())
    except ValueError:
        return False
    return True


def to_seconds(value: Any, what: str | None = None) -> float:
    """Seconds from a timedelta or a Robot time string with a unit (``100 ms``, ``0.2 s``, ``1 min``).

    A bare number (``0.2``, ``50``, or an int or float) is refused with
    :class:`MissingTimeUnit` naming ``what``: it could mean seconds or milliseconds.
    """
    if isinstance(value, timedelta):
        return value.total_seconds()
    if _is_bare_number(value):
        raise MissingTimeUnit(value, what)
    try:
        return float(timestr_to_secs(str(value), round_to=None))  # Robot rounds to 1 ms by default
    except ValueError:
        raise ConfigurationError(
            f"Expected value {str(value)!r} for {_figure(what)} is not a time: "
            "write it with a unit, e.g. '100 ms' or '0.2 s'."
        ) from None


def to_millis(value: Any, what: str | None = None) -> float:
    """Milliseconds from a timedelta or a time string with a unit; a bare number is refused (see :func:`to_seconds`)."""
    return to_seconds(value, what) * 1000.0


def time_target(operator: AssertionOperator | None, expected: Any, what: str, unit: str = "ms") -> float | None:
    """``expected`` in ``unit`` (``ms`` or ``s``) when ``operator`` compares against it, else None.

    For getters that need the target before measuring (to draw it, or to refuse a
    bare number before a long measurement). Pass the result to :func:`check`
    without ``convert``.
    """
    if operator is None or expected is None or operator in _UNCONVERTED:
        return None
    return to_millis(expected, what) if unit == "ms" else to_seconds(expected, what)


def chart_target(operator: AssertionOperator | None, target: float | None) -> tuple[float | None, str]:
    """The value and label for a chart's target line: the bound the assertion used, or none."""
    if operator is None or target is None or operator.value not in _BOUNDS:
        return None, ""
    return target, f"target {operator.value}"


def check(
    value: Any, operator: AssertionOperator | None, expected: Any, what: str, convert=None, message: str | None = None
) -> Any:
    """Verify ``value`` against ``operator expected`` if an operator is given.

    ``convert`` turns ``expected`` into the value's unit (e.g. :func:`to_millis`, which
    refuses a bare number, naming ``what``).
    The failure message names ``what`` (figure and place) and both values; ``message``,
    when given, replaces it (AssertionEngine fills ``{value}``, ``{value_type}``,
    ``{expected}`` and ``{expected_type}`` in it).
    """
    if operator is None:
        return value
    if convert is not None and expected is not None and operator not in _UNCONVERTED:
        expected = convert(expected, what) if convert in (to_millis, to_seconds) else convert(expected)
    return verify_assertion(value, operator, expected, what, message or None)
