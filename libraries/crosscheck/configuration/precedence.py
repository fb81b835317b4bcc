"""Precedence: one recognisable value per layer for a key, and who won in each row of the matrix.

Row ``i`` sets layers ``1..i`` (cumulatively, bottom-up); the highest set layer must win. Values
are distinct and of the key's type, derived from its default unless given: integers count up from
the default, floats step by 0.5, strings are ``<layer>-<n>``, booleans alternate (so a boolean row
tells only its own layer from the one below it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from crosscheck.errors import ConfigurationError


def derive_values(default: Any, layers: list[str], key: str) -> list[Any]:
    """A value per layer name for ``key`` whose default is ``default``."""
    n = len(layers)
    if isinstance(default, bool):
        return [(not default) if i % 2 == 0 else default for i in range(n)]
    if isinstance(default, int):
        return [default + i + 1 for i in range(n)]
    if isinstance(default, float):
        return [default + 0.5 * (i + 1) for i in range(n)]
    if default is None or isinstance(default, str):
        short = key.rsplit(".", 1)[-1]
        return [f"{short}-from-{layer}" for layer in layers]
    raise ConfigurationError(
        f"cannot make up values for {key} (its default is a {type(default).__name__}): "
        f"give one per layer with values=, e.g. values=a, b, c."
    )


def same(seen: Any, expected: Any) -> bool:
    """Equal, or equal as text (a variable's ``7101`` is the integer 7101; ``true`` is True)."""
    if seen == expected and type(seen) is type(expected):
        return True
    return text(seen) == text(expected)


def text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return "" if value is None else str(value)


@dataclass
class Row:
    layer: str  # the highest layer set in this row
    set_how: str  # how the value was set: "GATEWAY_PORT=7103", "config/app.toml:3 port = 7101"
    value: Any  # the value set at that layer (the default in the defaults row)
    seen: Any = None
    found: bool = False
    source: str | None = None  # what the loader reported as the value's source
    error: str | None = None  # the loader failed

    @property
    def ok(self) -> bool:
        return self.error is None and self.found and same(self.seen, self.value)


def winner(row: Row, rows: list[Row], default: Any) -> str:
    """The layer whose value the loader ended with, in the light of the values set below ``row``."""
    upto = rows[: rows.index(row) + 1]
    for other in reversed(upto[1:]):
        if row.found and same(row.seen, other.value):
            return other.layer
    if row.found and same(row.seen, default):
        return rows[0].layer
    return "no layer (a value none of them set)"


def failure(row: Row, rows: list[Row], key: str, default: Any) -> str:
    if row.error:
        return f"with {row.layer} set ({row.set_how}) the loader failed: {row.error}"
    ended = f"{key}={text(row.seen)}" if row.found else f"no {key} at all"
    source = f" (source: {row.source})" if row.source else ""
    won = winner(row, rows, default)
    return f"{row.layer} ({row.set_how}) did not win over {won}: the loader ended with {ended}{source}"
