"""A bounded psycopg2 connection pool: ``size`` kept, ``overflow`` extra, ``timeout`` to wait.

New connections give up after 2 s; ``run`` bounds each piece of work (``query_timeout``) and
after a dead connection closes every idle one and runs the work once more on a new one (see
demo/README.md, "Redis or Postgres unavailable"). A connection is only lent outside a transaction.
"""

from __future__ import annotations

import contextlib
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
            self.release(None, broken=True)
            raise

    def release(self, conn, broken: bool = False) -> None:
        if faults.active("pool-no-reconnect"):
            broken = False  # keep it, dead or not
        elif not broken:
            broken = bool(conn.closed) or conn.get_transaction_status() != psycopg2.extensions.TRANSACTION_STATUS_IDLE
        with self._cond:
            self.in_use -= 1
            keep = conn is not None and not broken and self.in_use + len(self._idle) < self.size
            if keep:
                self._idle.append(conn)
            self._cond.notify()
        if not keep:
            _close(conn)

    def discard_idle(self) -> int:
        """Close every idle connection (e.g. once one turned out dead); return how many."""
        with self._cond:
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        for conn in idle:
            _close(conn)
        return len(idle)

    def run(self, work, timeout: float | None = None, query_timeout: float | None = None):
        """``work(conn)`` on a pooled connection, within ``query_timeout`` seconds.

        After a dead connection ``work`` runs once more, so it must be safe to repeat then (a
        transaction that did not commit is); work cut at its deadline is not repeated. A dead
        connection always surfaces as ``OperationalError`` or ``InterfaceError``.
        """
        query_timeout = self.query_timeout if query_timeout is None else query_timeout
        for attempt in (1, 2):
            conn = self.acquire(timeout)
            broken, fd = False, self._watchdog.watch(conn, query_timeout)
            try:
                return work(conn)
            except psycopg2.Error as exc:
                cut, fd = self._watchdog.unwatch(fd), None
                dead = bool(conn.closed) or isinstance(exc, psycopg2.InterfaceError)
                broken = dead or isinstance(exc, psycopg2.OperationalError)
                if not dead or faults.active("pool-no-reconnect"):
                    raise
                dropped = self.discard_idle()  # they share its fate
                again = attempt == 1 and not cut
                log.warning(
                    "a pooled connection was dead (%s); closed the %d idle ones%s",
                    first_line(exc),
                    dropped,
                    ", trying a new one" if again else "",
                )
                if not again and isinstance(exc, DEAD):
                    raise
                if not again:
                    raise psycopg2.OperationalError(f"connection lost: {exc}") from exc
            finally:
                broken = self._watchdog.unwatch(fd) or broken  # cut just as the work ended
                self.release(conn, broken)

    def close(self) -> None:
        self._watchdog.close()
        self.discard_idle()


def _close(conn) -> None:
    with contextlib.suppress(Exception):
        if conn is not None:
            conn.close()


class _Watchdog:
    """Shuts down the socket of a connection whose work has outlived its deadline.

    It watches a duplicate of the socket's descriptor, so it never touches a descriptor number
    that libpq closed and the system reused; the duplicate is closed when the work ends.
    """

    def __init__(self):
        self._cond = threading.Condition()
        self._watched: dict[int, tuple[float, float]] = {}  # duplicate fd -> (deadline, seconds)
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
            self._watched[fd] = (deadline, seconds)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="pool-watchdog", daemon=True)
                self._thread.start()
            elif deadline < self._wakeup:
                self._cond.notify()
        return fd

    def unwatch(self, fd: int | None) -> bool:
        """Stop watching; return True if the deadline had passed and the socket was shut down."""
        with self._cond:
            entry = self._watched.pop(fd, None) if fd is not None else None
        if entry is None:
            return False
        os.close(fd)
        return entry[0] == float("inf")

    def _loop(self) -> None:
        with self._cond:
            while not self._closed:
                now = time.monotonic()
                for fd, (deadline, seconds) in self._watched.items():
                    if deadline <= now:
                        self._watched[fd] = (float("inf"), seconds)  # cut: unwatch closes it
                        log.warning("no answer from Postgres within %g s: shutting the connection down", seconds)
                        sock = socket.socket(fileno=fd)
                        with contextlib.suppress(OSError):
                            sock.shutdown(socket.SHUT_RDWR)  # the blocked read in libpq returns
                        sock.detach()
                self._wakeup = min((d for d, _ in self._watched.values()), default=now + 60)
                self._cond.wait(min(60.0, max(0.0, self._wakeup - now)))

    def close(self) -> None:
        with self._cond:
            self._closed = True
            watched, self._watched = self._watched, {}
            self._cond.notify()
        for fd in watched:
            with contextlib.suppress(OSError):
                os.close(fd)
