"""Where the database is, one shared connection, and the cleanup registry.

:class:`PostgresContext` is shared by every keyword component of the library:
it holds the database URL (``CROSSCHECK_POSTGRES_URL`` or the embedded stack,
resolved on first use), an autocommit psycopg2 connection opened lazily, and
the stack of things created during the current test or suite, undone by the
library listener at ``end_test`` / ``end_suite`` also when the test failed.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql
from robot.api import logger
from robot.api.deco import keyword

from crosscheck import config
from crosscheck.errors import ConfigurationError, CrosscheckError, ServiceUnavailable

CONNECT_TIMEOUT = 5
APPLICATION_NAME = "crosscheck"


def connect(url: str, application_name: str = APPLICATION_NAME, autocommit: bool = True):
    """A psycopg2 connection to ``url``; fails in seconds with one masked line."""
    try:
        conn = psycopg2.connect(url, connect_timeout=CONNECT_TIMEOUT, application_name=application_name)
    except psycopg2.OperationalError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ServiceUnavailable(
            f"Cannot connect to Postgres at {config.mask_url(url)}: {config.scrub(first, url)}. "
            "Start the server or set CROSSCHECK_POSTGRES_URL to a reachable database.") from None
    except psycopg2.Error as err:
        raise ConfigurationError(f"Invalid Postgres address {config.mask_url(url)}: "
                                 f"{config.scrub(err, url)}") from None
    conn.autocommit = autocommit
    return conn


def to_count(value):
    """An expected count as int (Robot passes ``0`` from a suite as text)."""
    try:
        return int(str(value).strip())
    except ValueError:
        return value


def with_database(url: str, database: str) -> str:
    """``url`` pointing at another database on the same server."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def database_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def split_name(name: str, schema: str | None = None) -> tuple[str, str]:
    """``"public.cache_entries"`` -> ``("public", "cache_entries")``; no dot -> ``schema`` or public.

    Names are data, never SQL: a name containing quotes or semicolons stays a
    literal (and normally does not exist).
    """
    name = str(name)
    if schema:
        return schema, name
    match = re.fullmatch(r'"((?:[^"]|"")+)"\.(.+)|([^."]+)\.(.+)', name)
    if match:
        if match.group(1) is not None:
            return match.group(1).replace('""', '"'), match.group(2).strip('"')
        return match.group(3), match.group(4).strip('"') if match.group(4).startswith('"') else match.group(4)
    return "public", name


def quoted(schema: str, name: str) -> sql.Composed:
    return sql.SQL(".").join([sql.Identifier(schema), sql.Identifier(name)])


def db_error(err: Exception, where: str, url: str | None = None) -> CrosscheckError:
    """A psycopg2 error as one readable line that names ``where``."""
    diag = getattr(err, "diag", None)
    text = (getattr(diag, "message_primary", None) or str(err).strip().splitlines()[0]) if str(err) else repr(err)
    hint = getattr(diag, "message_hint", None)
    if hint:
        text += f" (hint: {hint})"
    return CrosscheckError(config.scrub(f"{where}: {text}", url))


class PostgresContext:
    """State shared by the keyword components of one library instance."""

    def __init__(self, database_url: str | None = None):
        self._url = database_url or None
        self._default = self._url
        self._conn = None
        # cleanup frames: one per running suite and test; each a list of (label, undo)
        self._frames: list[list[tuple[str, Callable[[], None]]]] = [[]]

    # --- address and connection -------------------------------------------------------
    @property
    def url(self) -> str:
        if self._url is None:
            self._url = self._resolve()
        return self._url

    @staticmethod
    def _resolve() -> str:
        if config.configured("postgres"):
            return config.configured("postgres")
        try:
            from crosscheck import stack
            return stack.postgres_url()
        except CrosscheckError as err:
            from robot.api import SkipExecution
            raise SkipExecution(f"No Postgres to test: CROSSCHECK_POSTGRES_URL is not set and the embedded "
                                f"Postgres could not be started ({err})") from None

    @property
    def conn(self):
        if self._conn is None or self._conn.closed:
            self._conn = connect(self.url)
        return self._conn

    def use(self, url: str | None) -> None:
        self.close()
        self._url = url or self._default

    def close(self) -> None:
        if self._conn is not None and not self._conn.closed:
            with contextlib.suppress(psycopg2.Error):
                self._conn.close()
        self._conn = None

    @property
    def database(self) -> str:
        return database_of(self.url)

    @property
    def where(self) -> str:
        return config.mask_url(self.url)

    def query(self, statement, params=None, where: str = "query") -> list[tuple]:
        """Run ``statement`` on the shared connection; rows, or [] for no result set."""
        try:
            with self.conn.cursor() as cur:
                cur.execute(statement, params)
                return cur.fetchall() if cur.description else []
        except psycopg2.OperationalError as err:
            self.close()
            raise db_error(err, f"{where} on {self.where}", self._url) from None
        except psycopg2.Error as err:
            raise db_error(err, f"{where} in database {self.database}", self._url) from None

    # --- cleanup ---------------------------------------------------------------------------
    def push(self) -> None:
        self._frames.append([])

    def register(self, label: str, undo: Callable[[], None]) -> None:
        """Undo ``undo`` when the current test (or suite, outside a test) ends."""
        self._frames[-1].append((label, undo))

    def pop(self) -> list[str]:
        """Run the undo actions of the innermost frame, newest first; return any errors."""
        frame = self._frames.pop() if len(self._frames) > 1 else self._frames[0]
        errors = []
        while frame:
            label, undo = frame.pop()
            try:
                undo()
                logger.debug(f"cleanup: {label}")
            except Exception as err:  # cleanup must go on with the rest
                errors.append(f"{label}: {config.scrub(err, self._url)}")
        if not self._frames:
            self._frames.append([])
        return errors


class ConnectionKeywords:
    """Choosing the database."""

    def __init__(self, ctx: PostgresContext):
        self.ctx = ctx

    @keyword
    def connect_to_postgres(self, database_url: str | None = None) -> str:
        """Use the database at ``database_url`` for the keywords that follow.

        Without an argument: the URL given on library import, else
        ``CROSSCHECK_POSTGRES_URL``, else the embedded
        stack's ``crosscheck_test`` database. Connects right away, so an
        unreachable server fails here, in seconds, with the address (password
        masked). Returns the database name.

        | `Connect To Postgres`    postgresql://app@db.staging:5432/app_test
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
        params = {"db_module": "psycopg2", "db_name": unquote(parts.path.lstrip("/")),
                  "db_user": unquote(parts.username or ""), "db_host": parts.hostname or "127.0.0.1",
                  "db_port": parts.port or 5432}
        if parts.password:
            params["db_password"] = Secret(unquote(parts.password))
        return params

    @keyword
    def export_postgres_url(self, name: str = "DEMO_POSTGRES_URL") -> None:
        """Puts the library's database URL into environment variable ``name`` for child processes.

        The URL (which may hold a password) is neither logged nor returned, so a process
        started with ``Run Process`` reaches the same database without the secret showing
        up in log.html (``env:NAME=${url}`` would show it at DEBUG level).

        | `Export Postgres Url`    DEMO_POSTGRES_URL
        | Run Process    crosscheck-demo    create-key    --rate    600/minute
        """
        import os

        os.environ[name] = self.ctx.url

    @keyword
    def get_database_name(self) -> str:
        """The name of the database the library is connected to (e.g. ``crosscheck_test``)."""
        return self.ctx.query("SELECT current_database()")[0][0]

    @keyword
    def get_postgres_version(self) -> str:
        """The server version, e.g. ``18.1``."""
        return self.ctx.query("SHOW server_version")[0][0].split()[0]
