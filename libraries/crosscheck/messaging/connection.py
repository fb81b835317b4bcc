"""Redis connections of Messaging, by alias: every client comes from :mod:`crosscheck.services.redis`.

The URL rules (``redis://``, ``rediss://``, ``unix://``, the database index from the path)
and the one-line failure wording (address masked, cause, fix) are the service module's.
This module adds what Messaging needs on top: a short connect timeout, reconnection after
a server restart, and the undo helpers its cleanup actions use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis as redis_py
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from crosscheck import config
from crosscheck.errors import ServiceUnavailable
from crosscheck.services import redis as redis_service

CONNECT_TIMEOUT = 3.0
COMMAND_TIMEOUT = 10.0
ERRORS = (redis_py.ConnectionError, redis_py.TimeoutError, OSError)


@dataclass
class Connection:
    """One named Redis connection (alias), with the URL it came from."""

    alias: str
    url: str
    db: int
    client: redis_py.Redis

    @property
    def where(self) -> str:
        return config.mask_url(self.url)

    def new_client(self, **extra: Any) -> redis_py.Redis:
        """A separate client (own connection pool) to the same server and db, not yet connected."""
        extra.setdefault("socket_connect_timeout", CONNECT_TIMEOUT)
        return redis_service.client(self.url, self.db, **extra)

    def unreachable(self, exc: BaseException) -> ServiceUnavailable:
        """The one-line failure for a lost server: address (masked), cause, fix."""
        return redis_service.SERVICE.unreachable(self.url, exc)

    def run(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``func(*args, **kwargs)``; a lost server becomes :meth:`unreachable`."""
        try:
            return func(*args, **kwargs)
        except ERRORS as exc:
            raise self.unreachable(exc) from None

    def close(self) -> None:
        self.client.close()


def open_connection(url: str, alias: str, db: int | None = None) -> Connection:
    """A connection that answered PING.

    A malformed URL is a :class:`~crosscheck.errors.ConfigurationError` naming the problem;
    an unreachable server fails within seconds with one line (the service's wording).
    """
    redis_service.SERVICE.options(url, db)  # a malformed (or empty) URL fails here, naming the problem
    client = redis_service.connect(
        url,
        db,
        socket_connect_timeout=CONNECT_TIMEOUT,
        socket_timeout=COMMAND_TIMEOUT,
        # reconnect after a restart, but give up on a dead server within about a second
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
    )
    return Connection(alias, url, int(client.connection_pool.connection_kwargs.get("db", 0)), client)


def delete_namespace(conn: Connection, ns: str) -> int:
    """Delete the keys ``<ns>:*`` by SCAN (never FLUSHDB); returns how many were deleted."""
    keys = conn.run(lambda: list(conn.client.scan_iter(match=f"{ns}:*", count=1000)))
    return int(conn.run(conn.client.delete, *keys)) if keys else 0
