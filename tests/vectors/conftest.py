"""Fixtures of the crosscheck.Vectors tests: the library on pgvector, on Qdrant's local mode, or on each."""

from __future__ import annotations

import pytest
from vectors_support import open_library


@pytest.fixture
def pgv(postgres_url):
    lib, kw = open_library(postgres_url)
    yield kw
    lib.close()


@pytest.fixture
def qdl():
    lib, kw = open_library("qdrant:local")
    yield kw
    lib.close()


@pytest.fixture(params=["pgvector", "qdrant-local"])
def store(request, postgres_url):
    """Each test using this runs once on pgvector and once on Qdrant's local mode."""
    lib, kw = open_library(postgres_url if request.param == "pgvector" else "qdrant:local")
    yield kw
    lib.close()


@pytest.fixture
def raw(pg_conn):
    """The shared autocommit connection (tests/conftest.py), under the name these tests use."""
    return pg_conn
