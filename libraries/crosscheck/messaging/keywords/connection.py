"""Connection keywords: connections by alias, namespaces for test channels and keys."""

from __future__ import annotations

import os

from robotlibcore import keyword

from crosscheck.core import Component
from crosscheck.messaging.connection import delete_namespace, open_connection
from crosscheck.messaging.context import Context
from crosscheck.services import redis as redis_service


class ConnectionKeywords(Component[Context]):
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
        conn = self.ctx.add_connection(open_connection(redis_service.url() if url is None else url, alias, db))
        self.ctx.cleanup.add(f"connection {alias!r} to {conn.where}", lambda: self.ctx.close_connection(conn))
        ns = self.ctx.scope_namespace()
        if ns is not None:  # the running test's keys on this connection go before it closes
            self.ctx.cleanup.add(f"keys {ns}:* at {conn.where}", lambda: delete_namespace(conn, ns))
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
        self.ctx.close_connection(self.ctx.connection(alias))

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

        | `Export Redis Url` | PRODUCER_REDIS_URL |
        | Run Process | crosscheck-demo | produce | --channel | tickstock.universe.updated |
        """
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
