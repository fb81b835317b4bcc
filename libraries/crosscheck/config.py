"""The environment as read, and secrets masked for output.

``CROSSCHECK_REDIS_URL``, ``CROSSCHECK_POSTGRES_URL``, ``CROSSCHECK_QDRANT_URL``,
``CROSSCHECK_MILVUS_URL``, ``CROSSCHECK_CHROMA_URL``, ``CROSSCHECK_API_URL`` and ``DOCKER_HOST``
point crosscheck at real services. What a
service does with its address (resolve it, connect, probe, fall back to the embedded
stack) is the business of its module in :mod:`crosscheck.services`; this module only
reads the variables and masks what is printed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ENV = {
    "redis": "CROSSCHECK_REDIS_URL",
    "postgres": "CROSSCHECK_POSTGRES_URL",
    "qdrant": "CROSSCHECK_QDRANT_URL",
    "milvus": "CROSSCHECK_MILVUS_URL",
    "chroma": "CROSSCHECK_CHROMA_URL",
    "api": "CROSSCHECK_API_URL",
    "docker": "DOCKER_HOST",
    "toxiproxy": "CROSSCHECK_TOXIPROXY_URL",
}

DEFAULT_DOCKER_SOCKET = "unix:///var/run/docker.sock"


def configured(service: str) -> str | None:
    """The URL the environment gives for ``service``, or None when unset or empty."""
    value = os.environ.get(ENV[service], "").strip()
    return value or None


def results_dir() -> Path:
    """Where run outputs go: ``CROSSCHECK_RESULTS_DIR`` or ``./results``."""
    path = Path(os.environ.get("CROSSCHECK_RESULTS_DIR") or "results").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


# the password runs to the last "@" of the address, as urlsplit reads it ("p@ss" in redis://:p@ss@host)
_PASSWORD_IN_TEXT = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>\S+)@", re.I)


def mask_url(url: str | None) -> str:
    """``url`` with any password replaced by ``***``; safe to print or log."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        password, port = parts.password, parts.port
    except ValueError:  # a malformed URL (a port out of range, say) is masked as text
        return mask_text(url)
    if password is None:
        return mask_text(url)  # a password urlsplit does not see ("a:b/c@host") is still masked
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port_text = f":{port}" if port else ""
    user = parts.username or ""
    netloc = f"{user}:***@{host}{port_text}"
    return mask_text(urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)))


def mask_text(text: str) -> str:
    """``text`` with every ``scheme://user:password@`` credential masked."""
    return _PASSWORD_IN_TEXT.sub(lambda m: f"{m['scheme']}{m['user']}:***@", str(text))


def secrets_of(url: str | None) -> list[str]:
    """The secret parts of a URL (its password), to scrub from any message."""
    if not url:
        return []
    try:
        password = urlsplit(url).password
    except ValueError:
        return []
    return [password] if password else []


def scrub(text: str, *urls: str | None) -> str:
    """``text`` with credentials masked and the passwords of ``urls`` removed."""
    text = mask_text(str(text))
    for url in urls:
        for secret in secrets_of(url):
            text = text.replace(secret, "***")
    return text
