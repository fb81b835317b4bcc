"""Pure checks on configurations: differences, keys per environment file, production safety.

Production safety looks for three things, each a list of patterns the keyword lets a suite replace:

* a switch for development left on: a key like ``*debug*``, ``*verbose*``, ``*reload*``,
  ``*trace*`` or ``*dev_mode*`` with a true value (``true``, ``1``, ``yes``, ``on``), or a log level
  key set to ``debug`` or ``trace``;
* an address only this machine reaches in a value: ``localhost``, ``127.x.x.x``, ``::1``;
* a placeholder secret: a secret key (or the password of a URL) whose value is ``changeme``,
  ``password``, ``secret``, ``example``, ``default``, ``admin``, ``test`` and the like.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from crosscheck.configuration.canaries import SECRET_PATTERNS, is_secret
from crosscheck.configuration.precedence import same, text

SWITCHES = ("*debug*", "*verbose*", "*reload*", "*trace*", "*dev_mode*", "*development_mode*")
LOG_LEVEL_KEYS = ("*log_level*", "*loglevel*")
NOISY_LEVELS = ("debug", "trace")
LOCAL_HOSTS = (r"localhost", r"127(?:\.\d{1,3}){3}", r"::1")
PLACEHOLDERS = (
    "changeme",
    "change-me",
    "change_me",
    "changethis",
    "password",
    "secret",
    "example",
    "default",
    "admin",
    "test",
    "dev",
    "todo",
    "xxx",
    "placeholder",
    "insecure",
)
TRUE = ("true", "1", "yes", "on")


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """``(key, before, after)`` for every flat key that differs (a missing key is ``<absent>``)."""
    out = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key, ABSENT), after.get(key, ABSENT)
        if a is ABSENT or b is ABSENT or not same(b, a):
            out.append((key, a, b))
    return out


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"

    __str__ = __repr__


ABSENT = _Absent()


def key_differences(keys: dict[str, set[str]]) -> dict[str, tuple[list[str], list[str]]]:
    """Per file: (keys the others have and it lacks, keys it has and no other has)."""
    every = set().union(*keys.values()) if keys else set()
    out = {}
    for name, mine in keys.items():
        others = set().union(*(v for k, v in keys.items() if k != name)) if len(keys) > 1 else set()
        missing = sorted(every - mine)
        extra = sorted(mine - others) if len(keys) > 1 else []
        if missing or extra:
            out[name] = (missing, extra)
    return out


@dataclass
class Unsafe:
    key: str
    value: str  # shown: secrets masked
    rule: str


def _matches(key: str, patterns) -> bool:
    return any(fnmatch.fnmatchcase(key.lower(), p.lower()) for p in patterns)


def _placeholder(value: str, placeholders) -> bool:
    v = value.strip().lower()
    return v != "" and any(v == p.lower() or (len(p) >= 6 and p.lower() in v) for p in placeholders)


def unsafe_values(
    flat: dict[str, Any],
    switches=SWITCHES,
    hosts=LOCAL_HOSTS,
    placeholders=PLACEHOLDERS,
    secrets=SECRET_PATTERNS,
) -> list[Unsafe]:
    local = re.compile(r"(?<![\w.-])(?:" + "|".join(hosts) + r")(?![\w-])", re.I) if hosts else None
    found = []
    for key, value in flat.items():
        shown = text(value)
        secret = is_secret(key, secrets)
        if switches and _matches(key, switches) and text(value).lower() in TRUE:
            found.append(Unsafe(key, shown, "a development switch is on"))
        if _matches(key, LOG_LEVEL_KEYS) and text(value).lower() in NOISY_LEVELS:
            found.append(Unsafe(key, shown, f"log level {shown} logs too much for production"))
        if isinstance(value, str) and secret and value != "***" and placeholders and _placeholder(value, placeholders):
            found.append(Unsafe(key, "***", "a placeholder secret (a default anyone can read)"))
        if isinstance(value, str) and "://" in value:
            try:
                password = urlsplit(value).password
            except ValueError:
                password = None
            if password and password != "***" and placeholders and _placeholder(password, placeholders):
                found.append(Unsafe(key, _mask_url(value), "a placeholder password in a URL"))
            shown = _mask_url(value)
        if local is not None and isinstance(value, (str, list)):
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and local.search(item):
                    found.append(Unsafe(key, "***" if secret else shown, "an address of this machine"))
                    break
    return found


def _mask_url(value: str) -> str:
    from crosscheck.config import mask_url

    return mask_url(value)
