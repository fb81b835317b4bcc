"""crosscheck.Postgres: schema diff, integrity, migrations, query latency, connection pools, test data."""

from __future__ import annotations

__all__ = ["Postgres"]


def __getattr__(name: str):
    if name == "Postgres":
        from crosscheck.postgres.library import Postgres

        return Postgres
    raise AttributeError(f"module 'crosscheck.postgres' has no attribute {name!r}")
