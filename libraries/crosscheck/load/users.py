"""The requests of the users a suite describes without Python, checked before any load starts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from crosscheck.config import mask_url
from crosscheck.errors import ConfigurationError

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


def check_url(url: str, what: str = "URL") -> str:
    """``url`` when it is an absolute http(s) URL with a host; else a clear refusal."""
    text = str(url).strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"{what} {mask_url(text)!r} is not an HTTP URL: write it as http://host:port or https://host:port."
        )
    return text.rstrip("/")


@dataclass
class LoadRequest:
    method: str
    url: str  # a path (starting with /) on the target, or an absolute http(s) URL
    name: str
    weight: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    has_body: bool = False

    def spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "method": self.method,
            "url": self.url,
            "name": self.name,
            "weight": self.weight,
            "headers": self.headers,
        }
        if self.has_body:
            out["json"] = self.json
        return out

    def origin(self) -> str | None:
        """The scheme://host:port of an absolute URL (None for a path on the target)."""
        if not self.url.startswith(("http://", "https://")):
            return None
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"


def make_request(
    method: str,
    path: str,
    weight: Any = 1,
    name: str | None = None,
    headers: dict | None = None,
    json_body: Any = None,
    has_body: bool = False,
) -> LoadRequest:
    verb = str(method).strip().upper()
    if verb not in METHODS:
        raise ConfigurationError(f"Unknown HTTP method {method!r}: use one of {', '.join(METHODS)}.")
    target = str(path).strip()
    if "://" in target:
        target = check_url(target, "Request URL")
        parts = urlsplit(target)
        default_name = parts.path or "/"
    elif target.startswith("/"):
        default_name = target.split("?")[0]
    else:
        raise ConfigurationError(
            f"Request path {target!r} must start with '/' (a path on the load target) or be an http(s) URL."
        )
    try:
        count = int(weight)
    except (TypeError, ValueError):
        raise ConfigurationError(f"weight must be a whole number of 1 or more, got {weight!r}.") from None
    if count < 1:
        raise ConfigurationError(f"weight must be a whole number of 1 or more, got {weight!r}.")
    if has_body:
        try:
            json.dumps(json_body)
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(f"The JSON body of {verb} {default_name} cannot be sent as JSON: {exc}.") from None
    label = str(name).strip() if name else default_name
    return LoadRequest(
        verb, target, label, count, {str(k): str(v) for k, v in (headers or {}).items()}, json_body, has_body
    )
