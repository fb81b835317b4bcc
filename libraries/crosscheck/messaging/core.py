"""Shared state of one Messaging library instance: connections, listeners,
what was published, what must be removed at teardown.

Keyword components (one file per concern) all hold a reference to one
:class:`Context`; nothing here is a keyword.
"""

from __future__ import annotations

import bisect
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import redis

from crosscheck import config, namespace
from crosscheck.errors import ConfigurationError, CrosscheckError, ServiceUnavailable

CONNECT_TIMEOUT = 3.0
URL_HINT = "expected redis://[:password@]host:port[/db] (or rediss://, unix://)"
FIX_HINT = "start it, or fix CROSSCHECK_REDIS_URL (unset it to use the embedded Redis)"
_SCHEMES = ("redis", "rediss", "unix")


def parse_url(url: str, db: int | None = None) -> dict[str, Any]:
    """Validate a Redis URL and return redis-py connection keywords.

    Raises :class:`ConfigurationError` naming the problem for anything that is
    not a usable ``redis://`` URL (wrong scheme, no host, bad port or db).
    """
    masked = config.mask_url(url)
    if not isinstance(url, str) or not url.strip():
        raise ConfigurationError(f"Malformed Redis URL {masked!r}: empty; {URL_HINT}")
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as exc:
        raise ConfigurationError(
            f"Malformed Redis URL {masked!r}: {config.scrub(exc, url)}; {URL_HINT}") from None
    if parts.scheme not in _SCHEMES:
        raise ConfigurationError(
            f"Malformed Redis URL {masked!r}: scheme {parts.scheme or '(none)'!r} is not redis, rediss "
            f"or unix; {URL_HINT}")
    if parts.scheme != "unix" and not parts.hostname:
        raise ConfigurationError(f"Malformed Redis URL {masked!r}: no host; {URL_HINT}")
    path_db = parts.path.strip("/") if parts.scheme != "unix" else ""
    if path_db and not path_db.isdigit():
        raise ConfigurationError(
            f"Malformed Redis URL {masked!r}: database {path_db!r} is not a number; {URL_HINT}")
    try:
        kwargs = redis.connection.parse_url(url.strip())
    except ValueError as exc:
        raise ConfigurationError(
            f"Malformed Redis URL {masked!r}: {config.scrub(exc, url)}; {URL_HINT}") from None
    if db is not None:
        kwargs["db"] = int(db)
    kwargs.setdefault("db", 0)
    return kwargs


def unreachable(url: str, exc: BaseException) -> ServiceUnavailable:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ServiceUnavailable(
        f"Redis at {config.mask_url(url)} is unreachable ({config.scrub(text, url)}): {FIX_HINT}")


@dataclass
class Connection:
    """One named Redis connection (alias), with the URL it came from."""

    alias: str
    url: str
    kwargs: dict
    client: redis.Redis

    @property
    def db(self) -> int:
        return int(self.kwargs.get("db", 0))

    @property
    def where(self) -> str:
        return config.mask_url(self.url)

    def new_client(self, **extra) -> redis.Redis:
        """A separate client (own connection pool) to the same server and db."""
        kwargs = dict(self.kwargs)
        kwargs.update(socket_connect_timeout=CONNECT_TIMEOUT)
        kwargs.update(extra)
        return redis.Redis(**kwargs)


@dataclass
class Published:
    """What this library published on one channel: seq ranges with send times.

    ``starts[i]`` is the first seq of batch ``i``, ``monos[i]`` its monotonic
    send time and ``walls[i]`` the wall-clock time; a batch of one message is a
    paced publish, a batch of many is one pipelined chunk.
    """

    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    monos: list[float] = field(default_factory=list)
    next_seq: int = 1

    def record(self, first: int, last: int, mono: float) -> None:
        self.starts.append(first)
        self.ends.append(last)
        self.monos.append(mono)

    def sent_mono(self, seq: int) -> float | None:
        i = bisect.bisect_right(self.starts, seq) - 1
        if i >= 0 and seq <= self.ends[i]:
            return self.monos[i]
        return None

    def count_since(self, mono: float) -> int:
        return sum(e - s + 1 for s, e, m in zip(self.starts, self.ends, self.monos) if m >= mono)


class Context:
    """State shared by the keyword components of one library instance."""

    def __init__(self, timestamp_field: str = "sent_at", seq_field: str = "seq"):
        self.connections: dict[str, Connection] = {}
        self.current: str | None = None
        self.listeners: dict[str, Any] = {}
        self.last_listener: str | None = None
        self.published: dict[str, Published] = {}
        self.tag = namespace.run_id() + f"_{id(self) % 100000}"
        self.timestamp_field = timestamp_field
        self.seq_field = seq_field
        self.lock = threading.Lock()
        self.scopes: list[dict] = [self._new_scope("library")]
        self.fault: dict | None = None
        self.stream_adds: dict[tuple[str, str], list[bytes]] = {}
        self.stream_reads: dict[tuple[str, str, str], set[bytes]] = {}

    # --- scopes: what to remove at the end of a test / suite ------------------
    @staticmethod
    def _new_scope(name: str) -> dict:
        return {"name": name, "namespace": None, "listeners": [], "keys": [], "groups": [],
                "connections": []}

    @property
    def scope(self) -> dict:
        return self.scopes[-1]

    def push_scope(self, name: str) -> None:
        self.scopes.append(self._new_scope(name))

    def namespace(self) -> str:
        """The namespace of the innermost scope (test, suite), created on first use."""
        scope = self.scope
        if scope["namespace"] is None:
            scope["namespace"] = namespace.new(scope["name"])
        return scope["namespace"]

    # --- connections -----------------------------------------------------------
    def connection(self, alias: str | None = None) -> Connection:
        if alias is None:
            if self.current is None:
                from crosscheck.messaging.connection import connect_default
                connect_default(self)
            alias = self.current
        try:
            return self.connections[alias]
        except KeyError:
            known = ", ".join(self.connections) or "none"
            raise CrosscheckError(f"No Redis connection with alias {alias!r}; open ones: {known}. "
                                  "Use 'Connect To Redis' first.") from None

    def published_on(self, channel: str) -> Published:
        with self.lock:
            record = self.published.get(channel)
            if record is None:
                record = self.published[channel] = Published()
            return record

    def listener(self, name: str | None = None):
        name = name or self.last_listener
        if name is None or name not in self.listeners:
            known = ", ".join(self.listeners) or "none"
            what = f"{name!r}" if name else "(none started)"
            raise CrosscheckError(f"No listener {what}; active listeners: {known}. "
                                  "Use 'Start Listening' first.")
        return self.listeners[name]

    def listener_for(self, channel: str | None, name: str | None = None):
        """The named listener, else the latest one that covers ``channel``."""
        if name or channel is None:
            return self.listener(name)
        for listener in reversed(list(self.listeners.values())):
            if listener.covers(channel):
                return listener
        known = ", ".join(f"{n} ({', '.join(l.subscriptions)})" for n, l in self.listeners.items()) or "none"
        raise CrosscheckError(f"No listener covers channel {channel!r}; active listeners: {known}. "
                              "Use 'Start Listening' on it first.")


CHANNEL_RE = re.compile(r"^cc_\d+_\d+(_[a-z0-9_]+)?\.")


def base_channel(channel: str) -> str:
    """``tickstock.universe.updated`` from ``cc_12_3_x.tickstock.universe.updated``."""
    return CHANNEL_RE.sub("", channel, count=1)


def now() -> tuple[float, float]:
    return time.monotonic(), time.time()
