"""Fixtures shared by tests/test_postgres_*.py: the library on the real database, scratch schemas."""

from __future__ import annotations

import contextlib

import psycopg2
import pytest
from psycopg2 import sql

from crosscheck import namespace


@pytest.fixture
def pg(postgres_url):
    """crosscheck.Postgres on the test database, with one cleanup frame per test (as the listener does)."""
    from crosscheck.postgres import Postgres

    lib = Postgres(postgres_url)
    lib.ctx.push()
    yield lib
    errors = lib.ctx.pop()
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


def run(conn, statement: str, params=None):
    with conn.cursor() as cur:
        cur.execute(statement, params)
        with contextlib.suppress(psycopg2.ProgrammingError):
            return cur.fetchall()
    return None
