"""Canary secrets: unique values set for secret keys, then looked for wherever a system writes.

A canary is found as it is, URL-encoded, base64-encoded (at each of the three byte alignments
it can have inside a longer encoded text, standard and URL-safe alphabet) and hex-encoded. What
is reported never shows a canary: it is replaced by ``<canary of KEY>``.
"""

from __future__ import annotations

import base64
import fnmatch
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

from crosscheck.config import mask_text

SECRET_PATTERNS = (
    "*password*",
    "*passwd*",
    "*secret*",
    "*token*",
    "*pepper*",
    "*api_key*",
    "*apikey*",
    "*private_key*",
)


def is_secret(key: str, patterns: tuple[str, ...] | list[str] = SECRET_PATTERNS) -> bool:
    leaf = key.lower()
    return any(fnmatch.fnmatchcase(leaf, p.lower()) for p in patterns)


def url_with_password(value: Any) -> bool:
    if not isinstance(value, str) or "://" not in value:
        return False
    try:
        return urlsplit(value).password is not None
    except ValueError:
        return False


def secret_keys(flat: dict[str, Any], patterns: tuple[str, ...] | list[str] = SECRET_PATTERNS) -> list[str]:
    """Keys named as secrets, and keys whose value is a URL with a password."""
    return [k for k, v in flat.items() if is_secret(k, patterns) or url_with_password(v)]


def new_canary() -> str:
    return "canary" + secrets.token_hex(10)


def canary_value(current: Any, canary: str) -> str:
    """The value to set: the canary, or ``current`` with the canary as its password when it is a URL
    (a URL without a password gets one: a secret key whose value is an address)."""
    if isinstance(current, str) and "://" in current:
        parts = urlsplit(current)
        if parts.netloc:
            # a URL, with a password or without one: the canary becomes its password
            host = parts.netloc.rsplit("@", 1)[-1]
            netloc = f"{parts.username or ''}:{canary}@{host}"
            return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return canary


def encodings(canary: str) -> dict[str, str]:
    """Each form a canary can take in output -> its name."""
    raw = canary.encode()
    forms = {canary: "as it is"}
    forms.setdefault(quote(canary, safe=""), "URL-encoded")
    forms.setdefault(quote_plus(canary), "URL-encoded")
    forms.setdefault(raw.hex(), "hex-encoded")
    for shift in range(3):
        for alphabet, encode in (("base64", base64.b64encode), ("URL-safe base64", base64.urlsafe_b64encode)):
            encoded = encode(b"\0" * shift + raw).decode()
            # drop the characters that depend on the bytes before and after the canary
            start = (shift * 4 + 2) // 3
            end = ((shift + len(raw)) // 3) * 4
            core = encoded[start:end]
            if len(core) >= 12:
                forms.setdefault(core, f"{alphabet}-encoded")
    return forms


@dataclass
class Finding:
    where: str  # "loader output", "service log", "GET /health", "logs/app.log"
    line: int | None
    key: str
    form: str
    snippet: str


class Canaries:
    """The canaries of one check: key -> canary, and a scanner of text for any of their forms."""

    def __init__(self, keys: list[str]) -> None:
        self.by_key = {key: new_canary() for key in keys}
        self.forms: list[tuple[str, str, str]] = []  # (form text, key, form name)
        for key, canary in self.by_key.items():
            for form, name in encodings(canary).items():
                self.forms.append((form, key, name))
        self.forms.sort(key=lambda f: -len(f[0]))

    def redact(self, text: str) -> str:
        for form, key, _ in self.forms:
            text = text.replace(form, f"<canary of {key}>")
        return text

    def scan(self, text: str, where: str) -> list[Finding]:
        found = []
        for number, line in enumerate(text.splitlines(), 1):
            keys_found = set()
            for form, key, name in self.forms:
                if key not in keys_found and form in line:
                    keys_found.add(key)
                    shown = mask_text(self.redact(line))
                    pos = max(shown.find(f"<canary of {key}>"), 0)
                    snippet = shown[max(0, pos - 40) : pos + len(key) + 52]
                    found.append(Finding(where, number, key, name, snippet.strip()))
        return found


def mask(text: str, values: list[str]) -> str:
    """``text`` with each of ``values`` (secrets) replaced by ``***``."""
    for value in sorted((v for v in values if v and len(v) >= 3), key=len, reverse=True):
        text = re.sub(re.escape(value), "***", text)
    return text
