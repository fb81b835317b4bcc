"""Fixtures shared by tests/test_vectors_*.py: the library on a real store, called as Robot would."""

from __future__ import annotations

import psycopg2
import pytest


class Keywords:
    """Calls crosscheck.Vectors keywords by their Robot names: ``kw("Get Point Count")``."""

    def __init__(self, lib):
        self.lib = lib

    def __call__(self, name: str, *args, **kwargs):
        key = name if name in self.lib.keywords else name.lower().replace(" ", "_")
        return self.lib.run_keyword(key, list(args), kwargs)


def open_library(url):
    from crosscheck.vectors import Vectors

    lib = Vectors(url)
    kw = Keywords(lib)
    kw("Connect To Vector Store")
    return lib, kw


@pytest.fixture
def pgv(postgres_url):
    lib, kw = open_library(postgres_url)
    yield kw
    lib.cleanup()


@pytest.fixture
def qdl():
    lib, kw = open_library("qdrant:local")
    yield kw
    lib.cleanup()


@pytest.fixture(params=["pgvector", "qdrant-local"])
def store(request, postgres_url):
    """Each test using this runs once on pgvector and once on Qdrant's local mode."""
    lib, kw = open_library(postgres_url if request.param == "pgvector" else "qdrant:local")
    yield kw
    lib.cleanup()


@pytest.fixture
def raw(pg_conn):
    """The shared autocommit connection (tests/conftest.py), under the name these tests use."""
    return pg_conn


def schema_exists(raw, name: str) -> bool:
    with raw.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (name,))
        return cur.fetchone() is not None
