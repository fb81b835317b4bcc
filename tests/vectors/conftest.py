"""Fixtures of the crosscheck.Vectors tests: the library on pgvector, on Qdrant Edge, on qdrant-client's
local mode (the fallback), or on each of them."""

from __future__ import annotations

import pytest
from vectors_support import open_library


@pytest.fixture
def pgv(postgres_url):
    lib, kw = open_library(postgres_url)
    yield kw
    lib.close()


@pytest.fixture
def edge():
    lib, kw = open_library("qdrant:edge")
    yield kw
    lib.close()


@pytest.fixture
def qdl():
    lib, kw = open_library("qdrant:local")
    yield kw
    lib.close()


STORES = {"pgvector": None, "qdrant-edge": "qdrant:edge", "qdrant-local": "qdrant:local", "milvus-lite": "milvus-lite"}


@pytest.fixture(params=list(STORES))
def store(request, postgres_url):
    """Each test using this runs once on every store: pgvector, Qdrant Edge, qdrant-client's local mode and
    Milvus Lite (skipped, naming the extra, where the optional ``milvus`` extra is not installed)."""
    if request.param == "milvus-lite":
        _need_milvus()
    lib, kw = open_library(STORES[request.param] or postgres_url)
    yield kw
    lib.close()


def _need_milvus():
    from crosscheck.services import milvus

    reason = milvus.missing()
    if reason:
        pytest.skip(reason)


@pytest.fixture
def mlv():
    _need_milvus()
    lib, kw = open_library("milvus-lite")
    yield kw
    lib.close()


@pytest.fixture
def raw(pg_conn):
    """The shared autocommit connection (tests/conftest.py), under the name these tests use."""
    return pg_conn
