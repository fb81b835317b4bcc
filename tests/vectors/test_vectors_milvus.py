"""Milvus Lite in process: collections, HNSW and IVF_FLAT indexes, ef, recall against exact search, clean-up."""

from __future__ import annotations

import os

import numpy as np
import pytest
from robot.api import SkipExecution
from vectors_support import open_library

from crosscheck.assertions import AssertionOperator as Op
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.services import milvus as milvus_service


def _random(kw, count=2000, dimension=48):
    vectors = np.random.default_rng(5).standard_normal((count, dimension))
    kw("Create Collection", "docs", dimension)
    kw("Upsert Vectors", [f"d{i}" for i in range(count)], vectors, batch_size=1000)
    return vectors


def test_hnsw_index_is_built_and_used(mlv):
    _random(mlv)
    with pytest.raises(CrosscheckError, match="does not use a vector index: the plan has no vector index: Milvus"):
        mlv("Search Should Use Index")
    assert mlv("Get Recall At K", 10, queries=10, noise=1.0) == 1.0  # brute force: exact by construction
    mlv("Create HNSW Index", m=6, ef_construction=24)
    index = mlv("Vector Index Should Exist", "hnsw", m=6, ef_construction=24)
    assert (index["indexed_vectors"], index["points"]) == (2000, 2000)
    assert mlv("Search Should Use Index") == "hnsw"
    narrow = mlv("Get Recall At K", 10, queries=30, noise=1.0, ef_search=10)
    wide = mlv("Get Recall At K", 10, Op[">="], 0.8, queries=30, noise=1.0, ef_search=300)
    assert narrow < wide
    curve = mlv("Measure Recall Curve", "10, 300", queries=10, noise=1.0)
    assert curve[0]["recall"] <= curve[1]["recall"] and mlv.lib.ctx.last["curve"]["label"] == "milvus lite"
    p95 = mlv("Get Search Latency", "p95", Op["<"], "5 s", queries=20, ef_search=32)
    assert 0 < p95 < 5000


def test_ivfflat_index_and_probes(mlv):
    _random(mlv, count=1000, dimension=16)
    mlv("Create IVFFlat Index", lists=16, probes=16)
    assert mlv("Vector Index Should Exist", "ivfflat")["options"] == {"lists": "16"}
    assert mlv("Search Should Use Index") == "ivfflat"
    assert [i["kind"] for i in mlv("Get Indexes")] == ["ivfflat"]
    assert mlv("Get Recall At K", 10, queries=20, noise=1.0) > 0.5


def test_euclidean_scores_are_distances_not_their_squares(mlv):
    mlv("Create Collection", "docs", 2, "euclidean")
    mlv("Upsert Points", [{"id": "a", "vector": [3, 4]}, {"id": "b", "vector": [1, 0]}])
    hits = mlv("Search Vectors", [0, 0], top=2)
    assert [h["id"] for h in hits] == ["b", "a"] and [h["score"] for h in hits] == pytest.approx([1.0, 5.0])
    exact = mlv.lib.ctx.backend.search(mlv.lib.ctx.resolve("docs"), [0.0, 0.0], 2, exact=True)
    assert [(h.id, round(h.score, 6)) for h in exact] == [("b", 1.0), ("a", 5.0)]


def test_payload_index_is_refused_with_the_reason(mlv):
    mlv("Create Collection", "docs", 4)
    with pytest.raises(ConfigurationError, match="Milvus Lite indexes no JSON payload path"):
        mlv("Create Payload Index", "group")


def test_cleanup_drops_the_collection_and_close_removes_the_file():
    lib, kw = open_library("milvus-lite")
    try:
        backend = lib.ctx.backend
        assert kw("Get Vector Store").startswith("milvus lite (in process, ")
        physical = kw("Create Collection", "docs", 4)
        assert lib.cleanup.pop()[1] == []
        assert not backend.exists(physical)
    finally:
        lib.close()
    assert not os.path.exists(backend.uri)


def test_a_named_file_keeps_collections_use_existing_collection_opens(tmp_path):
    path = tmp_path / "kept.db"
    lib, kw = open_library(f"milvus-lite://{path}")
    try:
        backend = lib.ctx.backend
        backend.create("kept", 3, "dot", "")
        kw("Use Existing Collection", "kept", "kept")
        info = kw("Get Collection Info")
        assert (info["dimension"], info["distance"]) == (3, "dot")
        kw("Upsert Point", "TEST_1", [1, 0, 0])
        assert lib.cleanup.pop()[1] == []
        assert backend.count(_kept(backend)) == 0  # the test's point was deleted, the collection kept
        with pytest.raises(ConfigurationError, match="unknown collection: 'nosuch' does not exist on milvus lite"):
            kw("Use Existing Collection", "other", "nosuch")
    finally:
        lib.close()
    assert path.exists()


def _kept(backend):
    from crosscheck.vectors.backend import Collection

    return Collection("kept", "kept", 3, "dot", backend, owned=False)


def test_without_the_extra_milvus_is_a_skip_that_names_it(monkeypatch):
    monkeypatch.setattr(milvus_service, "missing", lambda: "Milvus needs the optional extra 'milvus' (x)")
    from crosscheck.vectors import Vectors

    lib = Vectors("milvus-lite")
    try:
        with pytest.raises(SkipExecution, match="Milvus needs the optional extra 'milvus'"):
            lib.run_keyword("connect_to_vector_store", [], {})
    finally:
        lib.close()


def test_an_unreachable_milvus_server_fails_in_seconds():
    from crosscheck.errors import ServiceUnavailable
    from crosscheck.vectors import Vectors

    lib = Vectors("milvus://127.0.0.1:9")
    try:
        with pytest.raises((ServiceUnavailable, CrosscheckError), match="Milvus at http://127.0.0.1:9 is unreachable"):
            lib.run_keyword("connect_to_vector_store", [], {})
    finally:
        lib.close()


def test_milvus_and_chroma_are_the_stores_the_environment_names(monkeypatch):
    from crosscheck.vectors.context import VectorsContext

    monkeypatch.delenv("CROSSCHECK_MILVUS_URL", raising=False)
    monkeypatch.delenv("CROSSCHECK_CHROMA_URL", raising=False)
    assert VectorsContext._resolve_url("milvus") == ("milvus", None)
    assert VectorsContext._resolve_url("chroma") == ("chroma", None)
    monkeypatch.setenv("CROSSCHECK_MILVUS_URL", "milvus://db.example:19530")
    monkeypatch.setenv("CROSSCHECK_CHROMA_URL", "http://vectors.example:8000")
    assert VectorsContext._resolve_url("milvus") == ("milvus", "http://db.example:19530")
    assert VectorsContext._resolve_url("chroma") == ("chroma", "http://vectors.example:8000")
    assert VectorsContext._resolve_url("milvus-lite") == ("milvus", None)  # an explicit store stays itself
    monkeypatch.setenv("CROSSCHECK_CHROMA_URL", "chroma")
    assert VectorsContext._resolve_url("chroma") == ("chroma", None)
    monkeypatch.setenv("CROSSCHECK_CHROMA_URL", "postgresql://u:secret@h/db")
    with pytest.raises(ConfigurationError) as err:
        VectorsContext._resolve_url("chroma")
    assert str(err.value) == (
        "CROSSCHECK_CHROMA_URL='postgresql://u:***@h/db' names a pgvector store, not chroma: give a "
        "chroma://host:8000 address, or unset CROSSCHECK_CHROMA_URL"
    )


def test_connect_to_milvus_uses_the_milvus_lite_file_the_environment_names(monkeypatch, tmp_path):
    pytest.importorskip("pymilvus", reason="Milvus needs the optional extra 'milvus'")
    path = tmp_path / "named.db"
    monkeypatch.setenv("CROSSCHECK_MILVUS_URL", f"milvus-lite://{path}")
    lib, kw = open_library("milvus")
    try:
        kw("Create Collection", "named", 2)
        kw("Upsert Point", "a", [0.1, 0.2])
        assert kw("Get Point Count") == 1
        assert path.exists()
    finally:
        lib.close()
