"""A bounded psycopg2 connection pool: ``size`` kept, ``overflow`` extra, ``timeout`` to wait.

New connections give up after 2 s; ``run`` bounds each piece of work (``query_timeout``) by
shutting the socket down, and after a dead connection closes every idle one and runs the work
once more on a new one. A connection is only lent outside a transaction.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import socket
import threading
import time

import psycopg2
import psycopg2.extensions

from demo_shared import faults
from demo_shared.config import first_line

log = logging.getLogger("demo_gateway.pool")
CONNECT_TIMEOUT = 2  # seconds; libpq treats anything below 2 as 2
DEAD = (psycopg2.OperationalError, psycopg2.InterfaceError)


class PoolTimeout(Exception):
    """No connection became free within the pool's timeout."""


class Pool:
    def __init__(
        self, dsn: str, application_name: str, size=20, overflow=10, timeout=30.0, query_timeout=5.0, schema=""
    ):
        self.dsn, self.application_name, self.schema = dsn, application_name, schema
        self.size, self.overflow, self.timeout, self.query_timeout = size, overflow, timeout, query_timeout
        self.in_use = self.waiting = 0
        self._idle: list = []
        self._cond = threading.Condition()
        self._watchdog = _Watchdog()

    @property
    def idle(self) -> int:
        return len(self._idle)

    def acquire(self, timeout: float | None = None):
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if self._idle:
                    conn = self._idle.pop()
                    if faults.active("pool-no-reconnect") or not conn.closed:
                        self.in_use += 1
                        return conn
                elif self.in_use + len(self._idle) < self.size + self.overflow:
                    self.in_use += 1
                    break
                elif (remaining := deadline - time.monotonic()) <= 0:
                    raise PoolTimeout(
                        f"no database connection free within {timeout:g} s "
                        f"(pool size {self.size}, overflow {self.overflow}, all {self.in_use} in use)"
                    )
                else:
                    self.waiting += 1
                    self._cond.wait(remaining)
                    self.waiting -= 1
        try:  # connect outside the lock
            options = f"-c search_path={self.schema}" if self.schema else None
            conn = psycopg2.connect(
                self.dsn, application_name=self.application_name, connect_timeout=CONNECT_TIMEOUT, options=options
            )
            conn.autocommit = True
            return conn
        except BaseException:
            with self._cond:
                self.in_use -= 1
                self._cond.notify()
            raise

    def release(self, conn, broken: bool = False) -> None:
        if faults.active("pool-no-reconnect"):
            broken = False  # keep it, dead or not
        elif not broken:
            broken = bool(conn.closed) or conn.get_transaction_status() != psycopg2.extensions.TRANSACTION_STATUS_IDLE
        with self._cond:
            self.in_use -= 1
            keep = not broken and self.in_use + len(self._idle) < self.size
            if keep:
                self._idle.append(conn)
            self._cond.notify()
        if not keep:
            with contextlib.suppress(Exception):
                conn.close()

    def discard_idle(self) -> int:
        """Close every idle connection (e.g. once one turned out dead); return how many."""
        with self._cond:
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        for conn in idle:
            with contextlib.suppress(Exception):
                conn.close()
        return len(idle)

    def run(self, work, timeout: float | None = None, query_timeout: float | None = None):
        """``work(conn)`` on a pooled connection, within ``query_timeout`` seconds.

        On a dead connection (e.g. idle across a Postgres restart) every idle one is closed and
        ``work`` runs once more on a new one, so it must be safe to repeat then (a transaction that
        did not commit is). Work cut at its deadline is not repeated: a new connection would hang
        too. A dead connection always surfaces as ``OperationalError`` or ``InterfaceError``.
        """
        query_timeout = self.query_timeout if query_timeout is None else query_timeout
        for attempt in (1, 2):
            conn = self.acquire(timeout)
            broken, token = False, self._watchdog.watch(conn, query_timeout)
            try:
                return work(conn)
            except psycopg2.Error as exc:
                cut, token = self._watchdog.unwatch(token), None
                dead = bool(conn.closed) or isinstance(exc, psycopg2.InterfaceError)
                broken = dead or isinstance(exc, psycopg2.OperationalError)
                if not dead or faults.active("pool-no-reconnect"):
                    raise
                dropped = self.discard_idle()  # they share its fate
                if cut or attempt == 2:
                    log.warning("a pooled connection failed (%s); closed the %d idle ones", first_line(exc), dropped)
                    if isinstance(exc, DEAD):
                        raise
                    raise psycopg2.OperationalError(f"connection lost: {exc}") from exc
                log.warning(
                    "a pooled connection was dead (%s); closed the %d idle ones, trying a new one",
                    first_line(exc),
                    dropped,
                )
            finally:
                if token is not None and self._watchdog.unwatch(token):
                    broken = True  # cut just as the work ended
                self.release(conn, broken)

    def close(self) -> None:
        self._watchdog.close()
        self.discard_idle()


class _Watchdog:
    """Shuts down the socket of a connection whose work has outlived its deadline.

    It watches a duplicate of the socket's descriptor, so it never touches a descriptor number
    that libpq closed and the system reused.
    """

    def __init__(self):
        self._cond = threading.Condition()
        self._watched: dict[int, tuple[float, int, float]] = {}  # token -> (deadline, fd, seconds)
        self._cut: set[int] = set()
        self._tokens = itertools.count(1)
        self._wakeup = float("inf")  # when the thread looks next
        self._thread: threading.Thread | None = None
        self._closed = False

    def watch(self, conn, seconds: float) -> int | None:
        if not seconds or seconds <= 0 or conn.closed:
            return None
        try:
            fd = os.dup(conn.fileno())
        except (OSError, psycopg2.Error):
            return None
        deadline = time.monotonic() + seconds
        with self._cond:
            token = next(self._tokens)
            self._watched[token] = (deadline, fd, seconds)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="pool-watchdog", daemon=True)
                self._thread.start()
            elif deadline < self._wakeup:
                self._cond.notify()
        return token

    def unwatch(self, token: int | None) -> bool:
        """Stop watching; return True if the deadline had passed and the socket was shut down."""
        if token is None:
            return False
        with self._cond:
            entry = self._watched.pop(token, None)
            if entry is None:
                cut = token in self._cut
                self._cut.discard(token)
                return cut
        os.close(entry[1])
        return False

    def _loop(self) -> None:
        with self._cond:
            while not self._closed:
                now = time.monotonic()
                for token, (deadline, fd, seconds) in list(self._watched.items()):
                    if deadline <= now:
                        del self._watched[token]
                        self._cut.add(token)
                        log.warning("no answer from Postgres within %g s: shutting the connection down", seconds)
                        with contextlib.suppress(OSError), socket.socket(fileno=fd) as sock:
                            sock.shutdown(socket.SHUT_RDWR)  # the blocked read in libpq returns
                self._wakeup = min((d for d, _, _ in self._watched.values()), default=now + 60)
                self._cond.wait(max(0.0, self._wakeup - now))

    def close(self) -> None:
        with self._cond:
            self._closed = True
            watched, self._watched = self._watched, {}
            self._cond.notify()
        for _, fd, _ in watched.values():
            with contextlib.suppress(OSError):
                os.close(fd)
