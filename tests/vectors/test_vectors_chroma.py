"""Chroma, a real server (started here by the library): collections, points, filters, HNSW configuration,
ef_search, recall against exact search, bad input, clean-up, and the skip without the extra."""

from __future__ import annotations

import os

import numpy as np
import pytest
from robot.api import SkipExecution
from vectors_support import open_library

from crosscheck.assertions import AssertionOperator as Op
from crosscheck.errors import ConfigurationError, CrosscheckError, ServiceUnavailable
from crosscheck.services import chroma as chroma_service


@pytest.fixture(scope="module")
def server():
    reason = chroma_service.missing()
    if reason:
        pytest.skip(reason)
    srv = chroma_service.ChromaServer()
    url = srv.start()
    yield url
    srv.stop()


@pytest.fixture
def chr(server):
    lib, kw = open_library(server)
    yield kw
    lib.close()


def _random(kw, count=1500, dimension=32):
    vectors = np.random.default_rng(5).standard_normal((count, dimension))
    kw("Create Collection", "docs", dimension)
    kw("Upsert Vectors", [f"d{i}" for i in range(count)], vectors, batch_size=500)
    return vectors


def test_points_payloads_and_filters(chr):
    assert chr("Get Vector Store").startswith("chroma at http://127.0.0.1:")
    chr("Create Collection", "docs", 4, "dot")
    chr("Upsert Point", "a", [1, 0, 0, 0], {"lang": "en", "group": 1})
    chr("Upsert Point", "b", [0, 1, 0, 0], {})
    chr("Upsert Point", "c", [0.9, 0.1, 0, 0], {"lang": "de", "group": 1})
    assert chr("Get Point Count") == 3
    assert chr("Get Point Payload", "b") == {}
    chr("Update Payload", "b", {"reviewed": True})
    assert chr("Get Point Payload", "b") == {"reviewed": True}
    hits = chr("Search Vectors", [1, 0, 0, 0], top=3)
    assert [h["id"] for h in hits] == ["a", "c", "b"] and hits[0]["score"] == pytest.approx(1.0, abs=1e-6)
    assert [h["id"] for h in chr("Search Vectors", [1, 0, 0, 0], filter={"lang": "de", "group": 1})] == ["c"]
    assert [h["id"] for h in chr("Search Vectors", [1, 0, 0, 0], score_threshold=0.95)] == ["a"]
    assert chr("Delete Points", "a", "nosuch") == 1
    chr("Point Should Not Exist", "a")
    info = chr("Get Collection Info")
    assert (info["dimension"], info["distance"]) == (4, "dot")


def test_euclidean_and_cosine_scores_match_exact_search(chr):
    chr("Create Collection", "l2", 2, "euclidean")
    chr("Upsert Points", [{"id": "a", "vector": [3, 4]}, {"id": "b", "vector": [1, 0]}])
    hits = chr("Search Vectors", [0, 0], top=2)
    assert [h["id"] for h in hits] == ["b", "a"] and [h["score"] for h in hits] == pytest.approx([1.0, 5.0])
    ctx = chr.lib.ctx
    exact = ctx.backend.search(ctx.resolve("l2"), [0.0, 0.0], 2, exact=True)
    assert [(h.id, round(h.score, 6)) for h in exact] == [("b", 1.0), ("a", 5.0)]
    chr("Create Collection", "cos", 2)
    chr("Upsert Points", [{"id": "x", "vector": [1, 1]}, {"id": "y", "vector": [1, 0]}])
    assert chr("Search Vectors", [1, 1], top=1)[0]["score"] == pytest.approx(1.0, abs=1e-6)


def test_hnsw_configuration_ef_search_recall_and_latency(chr):
    _random(chr)
    index = chr("Vector Index Should Exist", "hnsw")  # Chroma indexes every collection with HNSW
    assert index["options"]["m"] == "16" and index["options"]["ef_construction"] == "100"
    chr("Create HNSW Index", m=6, ef_construction=16)
    index = chr("Vector Index Should Exist", "hnsw", m=6, ef_construction=16)
    assert (index["indexed_vectors"], index["points"]) == (1500, 1500)
    assert chr("Get Point Count") == 1500 and chr("Get Point Vector", "d7") is not None
    assert chr("Search Should Use Index") == "hnsw"
    narrow = chr("Get Recall At K", 10, queries=30, noise=1.0, ef_search=10)
    wide = chr("Get Recall At K", 10, Op[">="], 0.8, queries=30, noise=1.0, ef_search=300)
    assert narrow <= wide
    assert chr.lib.ctx.resolve("docs").extra["hnsw"]["ef_search"] == 300
    assert chr("Vector Index Should Exist", "hnsw")["options"]["ef_search"] == "300"  # as the server reports it
    curve = chr("Measure Recall Curve", "10, 300", queries=10, noise=1.0)
    assert curve[0]["recall"] <= curve[1]["recall"] and chr.lib.ctx.last["curve"]["label"] == "chroma"
    p95 = chr("Get Search Latency", "p95", Op["<"], "5 s", queries=20, ef_search=32)
    assert 0 < p95 < 5000
    assert chr("Get Upsert Throughput", count=200, batch_size=100) > 0


def test_other_indexes_are_refused_with_the_reason(chr):
    chr("Create Collection", "docs", 4)
    with pytest.raises(ConfigurationError, match="Chroma has no ivfflat index; it indexes with HNSW only"):
        chr("Create IVFFlat Index", lists=4)
    with pytest.raises(ConfigurationError, match="Chroma indexes every metadata field itself"):
        chr("Create Payload Index", "group")


@pytest.mark.parametrize(
    "payload, message",
    [
        ({"nested": {"a": 1}}, "value of 'nested' is a dict"),
        ({"empty": []}, "value of 'empty' is a list"),
        ({"$where": 1}, "key '$where' is not valid on Chroma"),
    ],
)
def test_a_payload_chroma_cannot_store_writes_nothing(chr, payload, message):
    chr("Create Collection", "docs", 2)
    with pytest.raises(ConfigurationError, match=f"payload of point 'p2': {message.replace('$', '[$]')}"):
        chr(
            "Upsert Points",
            [{"id": "p1", "vector": [1, 0]}, {"id": "p2", "vector": [0, 1], "payload": payload}],
            batch_size=1,
        )
    assert chr("Get Point Count") == 0


def test_bad_vectors_write_nothing(chr):
    chr("Create Collection", "docs", 4)
    for bad, message in (
        ([0.1, 0.2, 0.3], "dimension mismatch: vector for docs 'p2' has 3 components, expected 4"),
        ([0.1, float("nan"), 0.3, 0.4], "vector for docs 'p2' has a non-finite component at position 1 (nan)"),
    ):
        with pytest.raises(ConfigurationError) as err:
            chr("Upsert Vectors", ["p1", "p2"], [[0.1, 0.2, 0.3, 0.4], bad], batch_size=1)
        assert message in str(err.value)
    with pytest.raises(ConfigurationError, match="query vector for docs has 2 components, expected 4"):
        chr("Search Vectors", [0.1, 0.2])
    assert chr("Get Point Count") == 0


def test_cleanup_drops_collections_and_close_stops_the_server_it_started():
    if chroma_service.missing():
        pytest.skip(chroma_service.missing())
    lib, kw = open_library("chroma")
    try:
        backend = lib.ctx.backend
        proc, data = backend.server.proc, backend.server.dir
        physical = kw("Create Collection", "docs", 4)
        kw("Upsert Point", "a", [1, 0, 0, 0])
        assert backend.exists(physical)
        assert lib.cleanup.pop()[1] == []
        assert not backend.exists(physical)
    finally:
        lib.close()
    assert proc.poll() is not None and not os.path.exists(data)


def test_use_existing_collection_and_its_test_points(chr, server):
    client = chroma_service.client(server)
    client.create_collection("kept_docs", configuration={"hnsw": {"space": "ip"}}, embedding_function=None)
    try:
        client.get_collection("kept_docs").add(ids=["x"], embeddings=[[1.0, 0.0, 0.0]])
        chr("Use Existing Collection", "kept", "kept_docs")
        info = chr("Get Collection Info")
        assert (info["dimension"], info["distance"]) == (3, "dot")
        with pytest.raises(ConfigurationError, match="ids of points a test adds must start with TEST_"):
            chr("Upsert Point", "p1", [1, 0, 0])
        chr("Upsert Point", "TEST_1", [0, 1, 0])
        assert chr.lib.cleanup.pop()[1] == []
        assert client.get_collection("kept_docs").count() == 1  # the test's point deleted, the collection kept
        with pytest.raises(ConfigurationError, match="unknown collection: 'nosuch' does not exist on chroma"):
            chr("Use Existing Collection", "other", "nosuch")
    finally:
        client.delete_collection("kept_docs")


def test_store_urls():
    from crosscheck.vectors.context import VectorsContext

    assert VectorsContext._resolve_url("chroma") == ("chroma", None)
    assert VectorsContext._resolve_url("chroma://127.0.0.1:8000") == ("chroma", "chroma://127.0.0.1:8000")
    assert chroma_service.http_url("chroma://h:8001") == "http://h:8001"
    assert chroma_service.http_url("chroma://h") == "http://h:8000"
    with pytest.raises(ConfigurationError, match="Chroma URL 'chroma://h:x' is malformed"):
        chroma_service.http_url("chroma://h:x")
    with pytest.raises(ConfigurationError, match="chroma://host:8000 \\(a Chroma server\\)"):
        VectorsContext._resolve_url("ftp://nowhere")


def test_without_the_extra_chroma_is_a_skip_that_names_it(monkeypatch):
    monkeypatch.setattr(chroma_service, "missing", lambda: "Chroma needs the optional extra 'chroma' (x)")
    from crosscheck.vectors import Vectors

    lib = Vectors("chroma")
    try:
        with pytest.raises(SkipExecution, match="Chroma needs the optional extra 'chroma'"):
            lib.run_keyword("connect_to_vector_store", [], {})
    finally:
        lib.close()


def test_missing_names_the_extra(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_chromadb(name, *args, **kwargs):
        if name == "chromadb":
            raise ImportError("No module named 'chromadb'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_chromadb)
    assert "pip install 'robotframework-crosscheck[chroma]'" in chroma_service.missing()


def test_an_unreachable_chroma_server_fails_in_seconds():
    if chroma_service.missing():
        pytest.skip(chroma_service.missing())
    from crosscheck.vectors import Vectors

    lib = Vectors("chroma://127.0.0.1:9")
    try:
        with pytest.raises(ServiceUnavailable, match="Chroma at http://127.0.0.1:9 is unreachable"):
            lib.run_keyword("connect_to_vector_store", [], {})
    finally:
        lib.close()


def test_a_server_that_cannot_start_is_reported(monkeypatch, tmp_path):
    if chroma_service.missing():
        pytest.skip(chroma_service.missing())
    fake = tmp_path / "chroma"
    fake.write_text("#!/bin/sh\necho 'cannot bind' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setattr(chroma_service.shutil, "which", lambda *a, **k: str(fake))
    srv = chroma_service.ChromaServer()
    with pytest.raises(ServiceUnavailable, match="Chroma exited with code 3 while starting: cannot bind"):
        srv.start(timeout=5)
    assert not os.path.exists(srv.dir)


def test_engine_errors_become_one_line(chr):
    chr("Create Collection", "docs", 4)
    coll = chr.lib.ctx.resolve("docs")
    chr.lib.ctx.backend.client.delete_collection(coll.physical)  # gone behind the library's back
    chr.lib.ctx.backend._handles.clear()
    with pytest.raises(CrosscheckError, match="open collection cc_.*_docs failed on chroma at http://127.0.0.1:"):
        chr("Get Point Count")
    with pytest.raises(CrosscheckError, match="collection 'docs' .*drop collection failed on chroma.*does not exist"):
        chr.lib.close()  # what the test made and could not remove is named
