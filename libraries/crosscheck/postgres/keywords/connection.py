"""Choosing the database, and handing its address to DatabaseLibrary or a child process."""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

from robot.api import logger
from robot.api.deco import keyword

from crosscheck.core import Component
from crosscheck.postgres.context import PostgresContext


class ConnectionKeywords(Component[PostgresContext]):
    """Choosing the database."""

    @keyword
    def connect_to_postgres(self, database_url: str | None = None) -> str:
        """Use the database at ``database_url`` for the keywords that follow.

        Without an argument: the URL given on library import, else
        ``CROSSCHECK_POSTGRES_URL``, else the embedded
        stack's ``crosscheck_test`` database. Connects right away, so an
        unreachable server fails here, in seconds, with the address (password
        masked). Returns the database name.

        | ${name} =    `Connect To Postgres`    ${POSTGRES_URL}
        | Should Contain    ${name}    test

        ``${POSTGRES_URL}`` comes from ``variables/services.py``: the configured URL, or
        ``${None}`` for the embedded stack; a staging database is written
        ``postgresql://app@db.staging:5432/app_test``.
        """
        self.ctx.use(database_url)
        self.ctx.conn  # noqa: B018 - connect now, fail now
        logger.info(f"Postgres: {self.ctx.where}")
        return self.ctx.database

    @keyword
    def disconnect_from_postgres(self) -> None:
        """Close the library's connection (it reopens on the next keyword)."""
        self.ctx.close()

    @keyword
    def get_postgres_address(self) -> str:
        """The URL the library uses, password masked (``postgresql://app:***@host:5432/db``): safe to log."""
        return self.ctx.where

    @keyword
    def get_connection_parameters(self) -> dict:
        """The library's database as DatabaseLibrary's ``Connect To Database`` arguments.

        The password, if any, is a Robot Framework ``Secret``: it never shows in
        log.html. Use it to point DatabaseLibrary at the same database:

        | &{params} =    `Get Connection Parameters`
        | DatabaseLibrary.Connect To Database    &{params}
        | DatabaseLibrary.Table Must Exist    cache_entries
        """
        from robot.api.types import Secret

        parts = urlsplit(self.ctx.url)
        params = {
            "db_module": "psycopg2",
            "db_name": unquote(parts.path.lstrip("/")),
            "db_user": unquote(parts.username or ""),
            "db_host": parts.hostname or "127.0.0.1",
            "db_port": parts.port or 5432,
        }
        if parts.password:
            params["db_password"] = Secret(unquote(parts.password))
        return params

    @keyword
    def export_postgres_url(self, name: str = "CROSSCHECK_POSTGRES_URL") -> None:
        """Puts the library's database URL into environment variable ``name`` for child processes.

        The URL (which may hold a password) is neither logged nor returned, so a process
        started with ``Run Process`` reaches the same database without the secret showing
        up in log.html (``env:NAME=${url}`` would show it at DEBUG level).

        | `Export Postgres Url`    GATEWAY_POSTGRES_URL
        | Run Process    crosscheck-demo    create-key    --rate    600/minute
        """
        os.environ[name] = self.ctx.url

    @keyword
    def get_database_name(self) -> str:
        """The name of the database the library is connected to (e.g. ``crosscheck_test``)."""
        return self.ctx.query("SELECT current_database()")[0][0]

    @keyword
    def get_postgres_version(self) -> str:
        """The server version, e.g. ``18.1``."""
        return self.ctx.query("SHOW server_version")[0][0].split()[0]
