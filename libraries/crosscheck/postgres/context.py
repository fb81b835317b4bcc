"""What the keyword components of crosscheck.Postgres share.

:class:`PostgresContext` holds the database URL (given on import or with `Connect To
Postgres`, else ``CROSSCHECK_POSTGRES_URL`` or the embedded stack, resolved on first
use), one autocommit psycopg2 connection opened lazily, the test-row prefix, the table
locks and background requests in progress, and ``cleanup``, the library's undo stack
(given by :class:`crosscheck.core.CrosscheckLibrary`). Every connection comes from
:func:`crosscheck.services.postgres.connect`.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import psycopg2

from crosscheck import config
from crosscheck.errors import CrosscheckError
from crosscheck.postgres.helpers import database_of, db_error, with_database
from crosscheck.services import postgres as service

if TYPE_CHECKING:
    from crosscheck.core.cleanup import Cleanup
    from crosscheck.services.api import Burst

DEFAULT_PREFIX = "TEST_"
APPLICATION_NAME = service.APPLICATION_NAME


class PostgresContext:
    """State shared by the keyword components of one library instance."""

    cleanup: Cleanup

    def __init__(self, database_url: str | None = None, test_prefix: str = DEFAULT_PREFIX) -> None:
        self._url = database_url or None
        self._default = self._url
        self._auto = False  # _url is the default server's, as services.postgres.url() answered it
        self._conn: Any = None
        self.test_prefix = test_prefix
        self.locks: list[Any] = []  # sessions holding a table lock (`Lock Table`)
        self.requests: Burst | None = None  # the last `Start Concurrent Requests`

    # --- address and connections ------------------------------------------------------------
    @property
    def url(self) -> str:
        """The database URL; the default server's follows ``services.postgres.url()`` (a private
        stack in use, or no longer): when it answers another address, the shared connection
        to the old one is closed."""
        if self._url is None:
            self._url, self._auto = self._resolve(), True
        elif self._auto:
            now = self._resolve()
            if now != self._url:
                self.close()
                self._url = now
        return self._url

    @staticmethod
    def _resolve() -> str:
        try:
            return service.url()
        except CrosscheckError as err:
            raise service.SERVICE.skip(
                f"No Postgres to test: CROSSCHECK_POSTGRES_URL is not set and the embedded "
                f"Postgres could not be started ({err})"
            ) from None

    def connect(self, database: str | None = None, application_name: str = APPLICATION_NAME, autocommit: bool = True):
        """A new connection to the library's server (to ``database`` on it if given); the caller closes it."""
        url = with_database(self.url, database) if database else self.url
        return service.connect(url, application_name=application_name, autocommit=autocommit)

    @property
    def conn(self):
        """The shared autocommit connection, opened on first use."""
        if self._auto:
            self.url  # noqa: B018 - notices a move of the default server (closes the old connection)
        if self._conn is None or self._conn.closed:
            self._conn = self.connect()
        return self._conn

    def use(self, url: str | None) -> None:
        self.close()
        self._url, self._auto = url or self._default, False

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

    def error(self, err: Exception, where: str) -> CrosscheckError:
        """A psycopg2 error as one line naming ``where``, the URL's password scrubbed."""
        return db_error(err, where, self._url)

    # --- driving the cleanup outside Robot (Python code and tests) ----------------------------
    def push(self) -> None:
        """Open a scope, as the listener does when a test starts."""
        self.cleanup.push("test", "outside Robot")

    def pop(self) -> list[str]:
        """Undo what the innermost scope created, as the listener does when a test ends; the errors."""
        return self.cleanup.pop()[1]
