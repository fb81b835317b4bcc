"""Argument helpers the Configuration keyword components share."""

from __future__ import annotations

import re
from typing import Any

from crosscheck.errors import ConfigurationError


def as_list(value: str | list | tuple | None) -> list[str]:
    """``a, b`` or a list -> ``["a", "b"]``; None -> ``[]``."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(part) for part in value]


def patterns(value: str | list | None, default: tuple[str, ...]) -> tuple[str, ...]:
    """Patterns given by a suite (an empty value switches the check off), else ``default``."""
    return default if value is None else tuple(as_list(value))


def assignments(items: tuple[str, ...], named: dict[str, Any]) -> dict[str, str]:
    """``NAME=value`` items and named arguments -> ``{NAME: value}``."""
    out = {}
    for item in items:
        name, sep, value = str(item).partition("=")
        if not sep or not name.strip():
            raise ConfigurationError(f"'{item}' is not a variable assignment: write NAME=value.")
        out[name.strip()] = value
    out.update({k: str(v) for k, v in named.items()})
    return out


def names_key(message: str, key: str, variable: str) -> bool:
    """Whether a loader's message names ``key`` (or its last part, or its variable)."""
    leaf = key.rsplit(".", 1)[-1]
    return any(re.search(rf"(?<![\w]){re.escape(k)}(?![\w])", message, re.I) for k in {key, leaf, variable})
