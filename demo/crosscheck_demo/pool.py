"""A bounded psycopg2 connection pool: ``size`` kept, ``overflow`` extra, ``timeout`` to wait.

Seed 002's settings are the defaults (20, 10, 30 s); ``DEMO_POOL_SIZE``,
``DEMO_POOL_OVERFLOW`` and ``DEMO_POOL_TIMEOUT`` change them. The counts
(in use, idle, waiting) feed the API's ``/metrics``.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time

import psycopg2


class PoolTimeout(Exception):
    """No connection became free within the pool's timeout."""


class Pool:
    def __init__(
        self,
        dsn: str,
        application_name: str,
        size: int | None = None,
        overflow: int | None = None,
        timeout: float | None = None,
    ):
        self.dsn = dsn
        self.application_name = application_name
        self.size = size if size is not None else int(os.environ.get("DEMO_POOL_SIZE", 20))
        self.overflow = overflow if overflow is not None else int(os.environ.get("DEMO_POOL_OVERFLOW", 10))
        self.timeout = timeout if timeout is not None else float(os.environ.get("DEMO_POOL_TIMEOUT", 30))
        self._idle: list = []
        self._in_use = 0
        self._waiting = 0
        self._cond = threading.Condition()

    @property
    def in_use(self) -> int:
        return self._in_use

    @property
    def idle(self) -> int:
        return len(self._idle)

    @property
    def waiting(self) -> int:
        return self._waiting

    def _connect(self):
        conn = psycopg2.connect(self.dsn, application_name=self.application_name, connect_timeout=5)
        conn.autocommit = True
        return conn

    def acquire(self, timeout: float | None = None):
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if self._idle:
                    conn = self._idle.pop()
                    self._in_use += 1
                    if not conn.closed:
                        return conn
                    self._in_use -= 1
                    continue
                if self._in_use + len(self._idle) < self.size + self.overflow:
                    self._in_use += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PoolTimeout(
                        f"no database connection free within {timeout:g} s "
                        f"(pool size {self.size}, overflow {self.overflow}, all {self._in_use} in use)"
                    )
                self._waiting += 1
                try:
                    self._cond.wait(remaining)
                finally:
                    self._waiting -= 1
        try:  # connect outside the lock
            return self._connect()
        except Exception:
            with self._cond:
                self._in_use -= 1
                self._cond.notify()
            raise

    def release(self, conn, broken: bool = False) -> None:
        with self._cond:
            self._in_use -= 1
            keep = not broken and not conn.closed and self._in_use + len(self._idle) < self.size
            if keep:
                self._idle.append(conn)
            self._cond.notify()
        if not keep:
            with contextlib.suppress(Exception):
                conn.close()

    @contextlib.contextmanager
    def connection(self, timeout: float | None = None):
        conn = self.acquire(timeout)
        broken = False
        try:
            yield conn
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            broken = True
            raise
        finally:
            self.release(conn, broken)

    def run(self, work, timeout: float | None = None):
        """``work(conn)`` on a pooled connection; once more on a fresh one if the first was dead
        (e.g. an idle connection from before a Postgres restart)."""
        for attempt in (1, 2):
            try:
                with self.connection(timeout) as conn:
                    return work(conn)
            except (psycopg2.OperationalError, psycopg2.InterfaceError):
                if attempt == 2:
                    raise

    def close(self) -> None:
        with self._cond:
            idle, self._idle = self._idle, []
        for conn in idle:
            with contextlib.suppress(Exception):
                conn.close()
