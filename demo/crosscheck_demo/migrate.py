"""Apply demo/migrations/NNNN_*.sql in order, each once, recorded in schema_migrations
(see demo/README.md, "Database (migrations)")."""

from __future__ import annotations

import hashlib
from pathlib import Path

import psycopg2

from crosscheck_demo import MIGRATIONS_DIR

_LOCK_ID = 727_001  # pg_advisory_lock key for the demo's migrations


def migrations(directory: Path = MIGRATIONS_DIR) -> list[tuple[str, str, str]]:
    """``(version, name, sql)`` for each migration file, in order."""
    found = []
    for path in sorted(directory.glob("[0-9][0-9][0-9][0-9]_*.sql")):
        version, _, name = path.stem.partition("_")
        found.append((version, name, path.read_text(encoding="utf-8")))
    return found


def checksum(sql: str) -> str:
    return hashlib.sha256(sql.encode("utf-8")).hexdigest()


def apply(postgres_url: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply the migrations not yet recorded; return the versions applied now (``RuntimeError`` when an
    applied file was changed afterwards)."""
    applied_now = []
    conn = psycopg2.connect(postgres_url, application_name="crosscheck-demo-migrate", connect_timeout=5)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (_LOCK_ID,))
        try:
            chain = migrations(directory)
            with conn, conn.cursor() as cur:
                cur.execute(chain[0][2])  # the version table itself
            for version, name, sql in chain:
                with conn, conn.cursor() as cur:
                    cur.execute("SELECT checksum FROM schema_migrations WHERE version = %s", (version,))
                    row = cur.fetchone()
                    if row:
                        if row[0] != checksum(sql):
                            raise RuntimeError(
                                f"migration {version}_{name}.sql changed after it was applied "
                                f"(checksum {row[0][:12]} in schema_migrations, {checksum(sql)[:12]} on disk)"
                            )
                        continue
                    cur.execute(sql)
                    cur.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                        (version, name, checksum(sql)),
                    )
                    applied_now.append(version)
        finally:
            with conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_ID,))
    finally:
        conn.close()
    return applied_now
