"""Qdrant: its Edge engine in process (HNSW, payload indexes, hnsw_ef, recall), qdrant-client's local mode
as the fallback that states its limits by skipping, and a server only where one is configured."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
from robot.api import SkipExecution
from vectors_support import open_library

from crosscheck.assertions import AssertionOperator as Op
from crosscheck.errors import ConfigurationError, CrosscheckError, ServiceUnavailable
from crosscheck.services import qdrant as qdrant_service

LIMIT = "qdrant-client local mode searches by brute force: it has no HNSW index"


def _random_points(kw, count=3000, dimension=64, seed=1):
    """Unclustered points: the hardest case for a graph, so a small HNSW misses neighbours."""
    vectors = np.random.default_rng(seed).standard_normal((count, dimension))
    kw("Upsert Vectors", [f"d{i}" for i in range(count)], vectors, batch_size=1000)
    return vectors


# -- Qdrant Edge ---------------------------------------------------------------------------------


def test_qdrant_url_picks_qdrant_edge_when_unset(monkeypatch):
    monkeypatch.delenv("CROSSCHECK_QDRANT_URL", raising=False)
    lib, kw = open_library("qdrant")
    try:
        assert kw("Get Vector Store").startswith("qdrant edge (in process, ")
    finally:
        lib.close()


def test_hnsw_index_is_built_reported_and_used(edge):
    edge("Create Collection", "docs", 32)
    edge("Upsert Seeded Vectors", 1500, payload_groups=4, batch_size=500)
    with pytest.raises(CrosscheckError, match="expected a hnsw index on collection 'docs' .*; found: no indexes"):
        edge("Vector Index Should Exist", "hnsw")
    with pytest.raises(
        CrosscheckError,
        match="does not use a vector index: the plan has no HNSW index configured: 1500 vectors searched by a plain scan",
    ):
        edge("Search Should Use Index")
    assert edge("Create HNSW Index", m=12, ef_construction=48) == "hnsw"
    index = edge("Vector Index Should Exist", "hnsw", m=12, ef_construction=48)
    assert (index["indexed_vectors"], index["points"]) == (1500, 1500)
    assert index["definition"] == "hnsw m=12 ef_construct=48 full_scan_threshold=0 KB"
    with pytest.raises(CrosscheckError, match="expected a hnsw m=16 index .*found: hnsw m=12 ef_construct=48 .*"):
        edge("Vector Index Should Exist", "hnsw", m=16)
    assert edge("Search Should Use Index") == "hnsw"
    info = edge("Get Collection Info")
    assert [i["kind"] for i in info["indexes"]] == ["hnsw"] and info["count"] == 1500


def test_points_written_after_the_index_join_it(edge):
    edge("Create Collection", "docs", 16)
    edge("Upsert Seeded Vectors", 600)
    edge("Create HNSW Index")
    edge("Upsert Seeded Vectors", 400, seed=3, id_prefix="late-")
    index = edge("Vector Index Should Exist", "hnsw")
    assert index["points"] == 1000 and index["indexed_vectors"] >= 600


def test_the_graph_is_approximate_and_hnsw_ef_widens_it(edge):
    edge("Create Collection", "docs", 64)
    _random_points(edge)
    edge("Create HNSW Index", m=4, ef_construction=8)
    narrow = edge("Get Recall At K", 10, queries=40, noise=1.0, ef_search=10)
    wide = edge("Get Recall At K", 10, Op[">="], 0.5, queries=40, noise=1.0, ef_search=400)
    assert narrow < 0.9 and wide > narrow + 0.1
    with pytest.raises(AssertionError, match="recall@10 of collection 'docs'"):
        edge("Get Recall At K", 10, Op[">="], 0.99, queries=20, noise=1.0, ef_search=10)


def test_full_scan_threshold_keeps_small_segments_off_the_graph(edge):
    edge("Create Collection", "docs", 64)
    _random_points(edge, count=1000)
    edge("Create HNSW Index", m=4, ef_construction=8, full_scan_threshold=100_000)
    with pytest.raises(CrosscheckError, match="does not use a vector index: the plan has 1000 of 1000 vectors indexed"):
        edge("Search Should Use Index")
    assert edge("Get Recall At K", 10, queries=20, noise=1.0, ef_search=10) == 1.0
    with pytest.raises(ConfigurationError, match="full_scan_threshold must be 0 or more"):
        edge("Create HNSW Index", full_scan_threshold=-1)


def test_payload_index_serves_filtered_search(edge):
    edge("Create Collection", "docs", 16)
    edge("Upsert Seeded Vectors", 800, payload_groups=4)
    assert edge("Create Payload Index", "group", "integer") == "payload:group"
    edge("Create HNSW Index")
    indexes = edge("Get Indexes")
    assert indexes[1] == {
        "name": "payload:group",
        "kind": "payload",
        "definition": "integer index on payload field group (800 points)",
        "options": {"field": "group", "type": "integer"},
    }
    query = edge("Generate Query Near", edge("Get Point Vector", "doc-9"), 0.05)
    hits = edge("Search Vectors", query, top=10, filter={"group": 2}, ef_search=64)
    assert len(hits) == 10 and {h["payload"]["group"] for h in hits} == {2}
    with pytest.raises(ConfigurationError, match="unknown payload index type 'geo': use one of keyword, integer"):
        edge("Create Payload Index", "group", "geo")
    with pytest.raises(ConfigurationError, match="Qdrant has no ivfflat index; it indexes with HNSW only"):
        edge("Create IVFFlat Index")


def test_latency_is_measured_on_the_indexed_engine(edge):
    edge("Create Collection", "docs", 32)
    edge("Upsert Seeded Vectors", 1000)
    edge("Create HNSW Index")
    p95 = edge("Get Search Latency", "p95", Op["<"], "5 s", queries=50, ef_search=32)
    assert 0 < p95 < 5000


def test_cleanup_removes_the_shard_directory():
    lib, kw = open_library("qdrant:edge")
    backend = lib.ctx.backend
    kw("Create Collection", "docs", 8)
    kw("Upsert Seeded Vectors", 20)
    path = lib.ctx.resolve("docs").extra["path"]
    assert os.path.isdir(path)
    assert lib.cleanup.pop()[1] == []
    assert not os.path.exists(path)
    root = backend.root
    lib.close()
    assert not os.path.exists(root)


def test_a_named_root_keeps_shards_that_use_existing_collection_can_open(tmp_path):
    lib, kw = open_library(f"qdrant:edge:{tmp_path}")
    try:
        assert kw("Get Vector Store") == f"qdrant edge (in process, {tmp_path})"
        backend = lib.ctx.backend
        backend.create("kept", 4, "dot", "")
        coll = backend.configs["kept"]
        assert coll["dimension"] == 4
        backend.shards.pop("kept").close()
        backend.configs.clear()
        kw("Use Existing Collection", "kept", "kept")
        assert kw("Get Collection Info")["distance"] == "dot"
        kw("Upsert Point", "TEST_1", [1, 0, 0, 0])
        assert kw("Get Point Count") == 1
        with pytest.raises(ConfigurationError, match="ids of points a test adds must start with TEST_"):
            kw("Upsert Point", "p1", [1, 0, 0, 0])
        with pytest.raises(ConfigurationError, match="unknown collection: 'nosuch' does not exist on qdrant edge"):
            kw("Use Existing Collection", "other", "nosuch")
        assert lib.cleanup.pop()[1] == []
        assert kw("Collection Should Exist", "kept") is None
    finally:
        lib.close()
    assert (tmp_path / "kept" / "edge_config.json").exists()


def test_without_the_engine_qdrant_falls_back_to_local_mode(monkeypatch):
    monkeypatch.delenv("CROSSCHECK_QDRANT_URL", raising=False)
    monkeypatch.setattr(
        qdrant_service, "edge_missing", lambda: "the Qdrant Edge engine (qdrant-edge-py) cannot load: x"
    )
    lib, kw = open_library("qdrant")
    try:
        assert kw("Get Vector Store") == "qdrant local mode (in memory)"
        with pytest.raises(SkipExecution, match="qdrant-edge-py\\) cannot load: x; install qdrant-edge-py"):
            kw("Connect To Vector Store", "qdrant:edge")
    finally:
        lib.close()


# -- qdrant-client local mode (the fallback) -----------------------------------------------------


@pytest.mark.parametrize(
    "keyword, args",
    [
        ("Create HNSW Index", []),
        ("Create IVFFlat Index", []),
        ("Create Payload Index", ["group"]),
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


# -- a Qdrant server -----------------------------------------------------------------------------


def test_unreachable_qdrant_server_fails_fast():
    from crosscheck.vectors import Vectors

    lib = Vectors("http://127.0.0.1:9")
    t0 = time.monotonic()
    with pytest.raises(
        ServiceUnavailable,
        match="^Qdrant at http://127.0.0.1:9 refused the connection .*unset CROSSCHECK_QDRANT_URL to use Qdrant Edge",
    ):
        lib.run_keyword("connect_to_vector_store", [], {})
    assert time.monotonic() - t0 < 15


@pytest.fixture
def qdrant_server():
    url = os.environ.get("CROSSCHECK_QDRANT_URL", "").strip()
    if not url or url.startswith("qdrant:"):
        pytest.skip(
            "no Qdrant server: set CROSSCHECK_QDRANT_URL=http://host:6333 to test the server path "
            "(none can be started here: its image and binary are not on the package registries; "
            "Qdrant's engine is tested in process through Qdrant Edge above)"
        )
    lib, kw = open_library(url)
    yield kw
    lib.close()


def test_server_hnsw_index_recall_and_cleanup(qdrant_server):
    kw = qdrant_server
    physical = kw("Create Collection", "docs", 32)
    kw("Upsert Seeded Vectors", 3000, batch_size=500)
    kw("Create Payload Index", "group", "integer")
    kw("Create HNSW Index", m=16, ef_construction=64)
    assert kw("Search Should Use Index")
    kw("Vector Index Should Exist", "hnsw", m=16)
    assert 0.5 <= kw("Get Recall At K", 10, queries=20) <= 1.0
    with pytest.raises(ConfigurationError, match="Qdrant has no ivfflat index"):
        kw("Create IVFFlat Index")
    assert kw.lib.cleanup.pop()[1] == []
    kw("Collection Should Not Exist", physical)
