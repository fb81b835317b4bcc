"""The staged shape of a load run: user counts, hold and ramp, parsed and laid out in time.

Pure: imports nothing from Robot Framework, so it is tested on its own. Every refusal is a
:class:`~crosscheck.errors.ConfigurationError` raised before any load starts.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from crosscheck.errors import ConfigurationError

_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:/\s*s|/\s*sec|/\s*second|\s*users?/s)\s*$", re.I)
_INSTANT = ("instant", "none", "0", "")
MAX_USERS = 100_000


@dataclass(frozen=True)
class Stage:
    """One stage: ``users`` reached at ``rate`` users/s, then held for ``hold`` s.

    Offsets are seconds from the start of the run: the stage starts at ``start``, its
    users are all running from ``hold_start`` (the ramp is over) until ``end``.
    Figures of a stage are taken over its hold, ``hold_start`` to ``end``.
    """

    index: int
    users: int
    rate: float
    start: float
    hold_start: float
    end: float

    @property
    def hold(self) -> float:
        return self.end - self.hold_start

    @property
    def label(self) -> str:
        return str(self.users)


def parse_users(users: Any) -> list[int]:
    """``"10, 50, 100"``, ``[10, 50, 100]`` or ``10`` as a list of user counts; refuses anything else."""
    if isinstance(users, bool):
        raise ConfigurationError(f"users must be whole numbers such as '10, 50, 100', got {users!r}.")
    if isinstance(users, int):
        items: list[Any] = [users]
    elif isinstance(users, (list, tuple)):
        items = list(users)
    else:
        text = str(users).strip()
        if not text or not re.fullmatch(r"[-+\d\s,;]+", text):
            raise ConfigurationError(
                f"Unknown stage format {text!r}: give user counts separated by commas, e.g. 'users=10, 50, 100'."
            )
        items = [part for part in re.split(r"[\s,;]+", text) if part]
    counts = []
    for item in items:
        try:
            count = int(str(item).strip())
        except ValueError:
            raise ConfigurationError(
                f"Unknown stage format {users!r}: {item!r} is not a whole number of users "
                "(write e.g. 'users=10, 50, 100')."
            ) from None
        if count <= 0:
            raise ConfigurationError(
                f"Every stage needs at least one user: got {count} in {users!r} (write e.g. 'users=10, 50, 100')."
            )
        if count > MAX_USERS:
            raise ConfigurationError(f"{count} users in one stage is more than this library runs ({MAX_USERS}).")
        counts.append(count)
    if not counts:
        raise ConfigurationError("No stage given: write e.g. 'users=10, 50, 100'.")
    return counts


def parse_seconds(value: Any, what: str, allow_zero: bool = False) -> float:
    """Seconds from a timedelta or a number of seconds; refuses a negative (or zero) duration."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    else:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            raise ConfigurationError(f"{what} must be a duration such as '30 s', got {value!r}.") from None
    if math.isnan(seconds) or seconds < 0 or (seconds == 0 and not allow_zero):
        bound = "negative" if allow_zero else "zero or negative"
        raise ConfigurationError(f"{what} must be a positive duration such as '30 s': {value!r} is {bound}.")
    return seconds


def parse_ramp(ramp: Any) -> float | None:
    """Users started (or stopped) per second: ``"10/s"``; ``instant`` (or 0) starts each stage at once (None)."""
    if isinstance(ramp, (int, float)) and not isinstance(ramp, bool):
        if ramp < 0:
            raise ConfigurationError(f"ramp must be a rate such as '10/s', got {ramp!r} (negative).")
        return float(ramp) or None
    text = str(ramp if ramp is not None else "").strip().lower()
    if text in _INSTANT:
        return None
    match = _RATE.match(text)
    if not match:
        raise ConfigurationError(
            f"Unknown ramp format {str(ramp)!r}: write users per second such as 'ramp=10/s', or 'ramp=instant'."
        )
    rate = float(match.group(1))
    if rate <= 0:
        return None
    return rate


def plan(users: Any, hold: Any, ramp: Any = "10/s") -> list[Stage]:
    """The stages of a run, one after another: each ramps from the previous count, then holds."""
    counts = parse_users(users)
    hold_s = parse_seconds(hold, "hold")
    rate = parse_ramp(ramp)
    stages = []
    at, previous = 0.0, 0
    for index, count in enumerate(counts):
        step = abs(count - previous)
        stage_rate = rate if rate is not None else float(max(step, 1))
        ramp_s = step / stage_rate if rate is not None else 0.0
        ramp_s = math.ceil(ramp_s * 10) / 10  # a tenth of a second is as fine as the shape ticks
        stages.append(Stage(index, count, stage_rate, at, at + ramp_s, at + ramp_s + hold_s))
        at, previous = at + ramp_s + hold_s, count
    return stages


def total_seconds(stages: list[Stage]) -> float:
    return stages[-1].end if stages else 0.0


def select(stages: list[Stage], selector: Any) -> Stage | None:
    """The stage a getter names: ``stage=50`` or ``50`` (by user count), ``stage=#2`` (by position),
    ``all`` or ``stage=all`` (None: the whole run). Refuses a stage the run did not have."""
    text = str(selector if selector is not None else "all").strip()
    if text.lower().startswith("stage="):
        text = text[len("stage=") :].strip()
    if text.lower() in ("all", "", "*"):
        return None
    if text.startswith("#"):
        try:
            position = int(text[1:])
        except ValueError:
            position = 0
        if 1 <= position <= len(stages):
            return stages[position - 1]
        raise ConfigurationError(f"No stage {text}: the run had {len(stages)} stage(s).")
    try:
        users = int(text)
    except ValueError:
        raise ConfigurationError(
            f"Unknown stage {str(selector)!r}: write 'stage=<users>' (e.g. 'stage=50'), 'stage=#2' or 'stage=all'."
        ) from None
    for stage in stages:
        if stage.users == users:
            return stage
    have = ", ".join(str(s.users) for s in stages) or "none"
    raise ConfigurationError(f"No stage of {users} users in the last run (stages: {have}).")
