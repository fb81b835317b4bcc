"""Fixtures of the crosscheck.Postgres tests: the library on the real database, scratch schemas."""

from __future__ import annotations

import pytest
from psycopg2 import sql

from crosscheck import namespace


@pytest.fixture
def pg(postgres_url, request):
    """crosscheck.Postgres on the test database, with one cleanup scope per test (as the listener opens)."""
    from crosscheck.postgres import Postgres

    lib = Postgres(postgres_url)
    lib.cleanup.push("test", request.node.name)
    yield lib
    _, errors = lib.cleanup.pop()
    lib.ctx.close()
    assert not errors, errors


@pytest.fixture
def raw(pg_conn):
    """The shared autocommit connection (tests/conftest.py), under the name these tests use."""
    return pg_conn


@pytest.fixture
def scratch(raw):
    """A schema named after the test's namespace, dropped afterwards."""
    name = namespace.new("pgtest")
    with raw.cursor() as cur:
        cur.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    yield name
    with raw.cursor() as cur:
        cur.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))
