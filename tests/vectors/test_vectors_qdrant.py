"""Qdrant: local mode states its limits by skipping; a server is tested only where one is configured."""

from __future__ import annotations

import os
import time

import pytest
from robot.api import SkipExecution
from vectors_support import open_library

from crosscheck.errors import ConfigurationError, ServiceUnavailable

LIMIT = "qdrant-client local mode searches by brute force: it has no HNSW index"


@pytest.mark.parametrize(
    "keyword, args",
    [
        ("Create HNSW Index", []),
        ("Create IVFFlat Index", []),
        ("Vector Index Should Exist", ["hnsw"]),
        ("Search Should Use Index", []),
        ("Get Recall At K", [10]),
    ],
)
def test_local_mode_skips_what_it_cannot_do_honestly(qdl, keyword, args):
    qdl("Create Collection", "docs", 8)
    qdl("Upsert Seeded Vectors", 50)
    with pytest.raises(SkipExecution, match=LIMIT):
        qdl(keyword, *args)


def test_local_mode_keeps_the_callers_ids(qdl):
    qdl("Create Collection", "docs", 4, "dot")
    qdl("Upsert Point", "doc-42", [1, 2, 3, 4], {"kind": "x"})
    qdl("Upsert Point", 17, [4, 3, 2, 1])
    hits = qdl("Search Vectors", [1, 2, 3, 4], top=2)
    assert [h["id"] for h in hits] == ["doc-42", "17"] and hits[0]["payload"] == {"kind": "x"}
    assert hits[0]["score"] == pytest.approx(30.0)
    assert qdl("Get Collection Info")["indexes"] == []


def test_qdrant_url_picks_local_mode_when_unset(monkeypatch):
    monkeypatch.delenv("CROSSCHECK_QDRANT_URL", raising=False)
    lib, kw = open_library("qdrant")
    try:
        assert kw("Get Vector Store") == "qdrant local mode (in memory)"
    finally:
        lib.close()


def test_unreachable_qdrant_server_fails_fast():
    from crosscheck.vectors import Vectors

    lib = Vectors("http://127.0.0.1:9")
    t0 = time.monotonic()
    with pytest.raises(
        ServiceUnavailable, match="^Qdrant at http://127.0.0.1:9 refused the connection .*unset CROSSCHECK_QDRANT_URL"
    ):
        lib.run_keyword("connect_to_vector_store", [], {})
    assert time.monotonic() - t0 < 15


@pytest.fixture
def qdrant_server():
    url = os.environ.get("CROSSCHECK_QDRANT_URL", "").strip()
    if not url or url.startswith("qdrant:"):
        pytest.skip(
            "no Qdrant server: set CROSSCHECK_QDRANT_URL=http://host:6333 to test the server path "
            "(none can be started here: its image and binary are not on the package registries)"
        )
    lib, kw = open_library(url)
    yield kw
    lib.close()


def test_server_hnsw_index_recall_and_cleanup(qdrant_server):
    kw = qdrant_server
    physical = kw("Create Collection", "docs", 32)
    kw("Upsert Seeded Vectors", 3000, batch_size=500)
    kw("Create HNSW Index", m=16, ef_construction=64)
    assert kw("Search Should Use Index")
    kw("Vector Index Should Exist", "hnsw", m=16)
    assert 0.5 <= kw("Get Recall At K", 10, queries=20) <= 1.0
    with pytest.raises(ConfigurationError, match="Qdrant has no ivfflat index"):
        kw("Create IVFFlat Index")
    assert kw.lib.cleanup.pop()[1] == []
    kw("Collection Should Not Exist", physical)
