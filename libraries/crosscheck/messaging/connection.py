"""Connections by alias, namespaces for test channels and keys."""

from __future__ import annotations

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from robotlibcore import keyword

from crosscheck import config
from crosscheck.errors import ConfigurationError
from crosscheck.messaging.core import CONNECT_TIMEOUT, Connection, Context, parse_url, unreachable


def open_connection(ctx: Context, url: str, alias: str, db: int | None = None) -> Connection:
    kwargs = parse_url(url, db)
    kwargs.update(socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=10.0,
                  # reconnect after a restart, but give up on a dead server within about a second
                  retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 3))
    client = redis.Redis(**kwargs)
    try:
        client.ping()
    except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
        client.close()
        raise unreachable(url, exc) from None
    except redis.ResponseError as exc:
        client.close()
        raise ConfigurationError(
            f"Redis at {config.mask_url(url)} refused the connection ({config.scrub(exc, url)}): "
            "check the password and database in the URL") from None
    old = ctx.connections.pop(alias, None)
    if old is not None:
        old.client.close()
    conn = Connection(alias, url, kwargs, client)
    ctx.connections[alias] = conn
    ctx.current = alias
    ctx.scope["connections"].append(alias)
    return conn


def connect_default(ctx: Context) -> Connection:
    from crosscheck import stack

    url = stack.redis_url()
    conn = open_connection(ctx, url, "default")
    ctx.scopes[0]["connections"].append("default")
    ctx.scope["connections"].remove("default")
    return conn


class ConnectionKeywords:
    def __init__(self, ctx: Context):
        self.ctx = ctx

    @keyword
    def connect_to_redis(self, url: str | None = None, alias: str = "default", db: int | None = None) -> str:
        """Opens a connection to Redis at ``url`` and makes it the current one.

        ``url`` is ``redis://[:password@]host:port[/db]``; the database index comes from
        the URL path (seed 001 uses 13, 14 and 15) unless ``db`` is given. Without
        ``url`` the ``CROSSCHECK_REDIS_URL`` server is used, else the embedded one
        (started on first use). Several connections can be open at once under different
        ``alias`` names; `Switch Redis Connection` changes the current one. Keywords
        that take no ``alias`` use the current connection, and connect to the default
        server on first use if none was opened.

        Fails within seconds with the address (password masked) if the server is
        unreachable, and names the problem if the URL is malformed.

        Returns the alias.

        Example:
        | `Connect To Redis` | ${REDIS_URL} | alias=flows | db=14 |
        | `Connect To Redis` | db=13 | alias=resilience | # default server, database 13 |
        """
        if url is None:
            from crosscheck import stack

            url = stack.redis_url()
        open_connection(self.ctx, url, alias, db)
        return alias

    @keyword
    def switch_redis_connection(self, alias: str) -> str:
        """Makes the connection ``alias`` the current one; returns the previous alias.

        | `Switch Redis Connection` | flows |
        """
        self.ctx.connection(alias)
        previous, self.ctx.current = self.ctx.current, alias
        return previous or ""

    @keyword
    def disconnect_from_redis(self, alias: str | None = None) -> None:
        """Closes the connection ``alias`` (default: the current one) and the listeners on it."""
        conn = self.ctx.connection(alias)
        for name, listener in list(self.ctx.listeners.items()):
            if listener.connection is conn:
                listener.stop()
                del self.ctx.listeners[name]
        conn.client.close()
        del self.ctx.connections[conn.alias]
        if self.ctx.current == conn.alias:
            self.ctx.current = next(iter(self.ctx.connections), None)

    @keyword
    def get_redis_database(self, alias: str | None = None) -> int:
        """The database index of connection ``alias`` (default: the current one)."""
        return self.ctx.connection(alias).db

    @keyword
    def export_redis_url(self, name: str = "CROSSCHECK_REDIS_URL", alias: str | None = None) -> None:
        """Puts the URL of connection ``alias`` into environment variable ``name`` for child processes.

        The URL (which may hold a password) is not logged or returned, so a process
        started with ``Run Process`` reaches the same server without the secret
        showing up in log.html.

        | `Export Redis Url` | DEMO_REDIS_URL |
        | Run Process | crosscheck-demo | produce | --channel | tickstock.universe.updated |
        """
        import os

        os.environ[name] = self.ctx.connection(alias).url

    @keyword
    def get_test_namespace(self) -> str:
        """The namespace of the running test (``cc_<pid>_<n>_<test>``).

        Channels and keys this library creates for a test are in it, so tests running
        in parallel under pabot never see each other's traffic.
        """
        return self.ctx.namespace()

    @keyword
    def test_channel(self, name: str) -> str:
        """``<namespace>.<name>``: a channel private to the running test.

        Schemas registered for ``name`` (e.g. ``tickstock.universe.updated``) also
        apply to it.

        | ${channel}= | `Test Channel` | tickstock.universe.updated |
        """
        return f"{self.ctx.namespace()}.{name}"

    @keyword
    def test_key(self, name: str) -> str:
        """``<namespace>:<name>``: a key (e.g. a stream) private to the running test.

        Keys under the namespace are deleted when the test ends.

        | ${stream}= | `Test Key` | stream:tickstock.universe.updated |
        """
        return f"{self.ctx.namespace()}:{name}"
