"""Collections, points and search on both stores (pgvector and Qdrant's local mode)."""

from __future__ import annotations

import numpy as np
import pytest

from crosscheck.assertions import AssertionOperator as Op
from crosscheck.errors import CrosscheckError
from crosscheck.vectors import data


def test_collection_lifecycle(store):
    physical = store("Create Collection", "docs", 8, "euclidean")
    assert physical.endswith("_docs")
    store("Collection Should Exist", "docs")
    info = store("Get Collection Info", "docs")
    assert (info["dimension"], info["distance"], info["count"]) == (8, "euclidean", 0)
    store("Drop Collection", "docs")
    store("Collection Should Not Exist", "docs")
    with pytest.raises(CrosscheckError, match="collection 'docs' should exist .* but .* was not found"):
        store("Collection Should Exist", "docs")


def test_collection_should_not_exist_fails_while_it_does(store):
    store("Create Collection", "docs", 8)
    with pytest.raises(CrosscheckError, match="collection 'docs' should not exist .* but .* is there"):
        store("Collection Should Not Exist", "docs")


def test_points_roundtrip(store):
    store("Create Collection", "docs", 4)
    store(
        "Upsert Points",
        [
            {"id": "a", "vector": [1, 0, 0, 0], "payload": {"lang": "en"}},
            {"id": "b", "vector": [0, 1, 0, 0]},
            {"id": 7, "vector": [0, 0, 1, 0], "payload": {"lang": "de"}},
        ],
        batch_size=2,
    )
    assert store("Get Point Count", Op["=="], 3) == 3
    with pytest.raises(AssertionError, match="point count of collection 'docs'.*"):
        store("Get Point Count", Op["=="], 4)
    point = store("Get Point", "a")
    assert point["id"] == "a" and point["payload"] == {"lang": "en"}
    assert np.allclose(point["vector"], [1, 0, 0, 0])
    assert store("Get Point Payload", "7", Op["=="], '{"lang": "de"}') == {"lang": "de"}
    store("Update Payload", "a", {"lang": "fr", "reviewed": True})
    assert store("Get Point Payload", "a") == {"lang": "fr", "reviewed": True}
    store("Upsert Point", "a", [0.5, 0.5, 0, 0], {"lang": "it"})
    assert store("Get Point Count") == 3
    assert store("Get Point Payload", "a") == {"lang": "it"}
    assert store("Delete Points", "a", "nope") == 1
    store("Point Should Not Exist", "a")
    store("Point Should Exist", "b")
    with pytest.raises(CrosscheckError, match="no point 'a' in collection 'docs'"):
        store("Get Point", "a")
    with pytest.raises(CrosscheckError, match="no point 'zzz' in collection 'docs'"):
        store("Update Payload", "zzz", {"x": 1})
    with pytest.raises(CrosscheckError, match="point 'b' should not be in collection 'docs'"):
        store("Point Should Not Exist", "b")


@pytest.mark.parametrize("distance", ["cosine", "dot", "euclidean"])
def test_search_matches_brute_force(store, distance):
    store("Create Collection", "docs", 16, distance)
    vectors = data.seeded_vectors(300, 16, seed=3) * np.linspace(0.5, 2.0, 300)[:, None]
    ids = [f"d{i}" for i in range(300)]
    store("Upsert Vectors", ids, vectors)
    query = data.seeded_vectors(1, 16, seed=4)[0]
    if distance == "cosine":
        scores = (vectors / np.linalg.norm(vectors, axis=1)[:, None]) @ (query / np.linalg.norm(query))
        order = np.argsort(-scores)
    elif distance == "dot":
        scores = vectors @ query
        order = np.argsort(-scores)
    else:
        scores = np.linalg.norm(vectors - query, axis=1)
        order = np.argsort(scores)
    hits = store("Search Vectors", query.tolist(), top=5)
    assert [h["id"] for h in hits] == [ids[i] for i in order[:5]]
    assert np.allclose([h["score"] for h in hits], scores[order[:5]], atol=1e-4)


def test_filters_and_thresholds(store):
    store("Create Collection", "docs", 32)
    store("Upsert Seeded Vectors", 400, payload_groups=4)
    vector = store("Get Point Vector", "doc-42")
    query = store("Generate Query Near", vector, 0.05)
    hits = store("Search Should Return", query, top=5, contains="doc-42", first="doc-42")
    assert hits[0]["score"] > 0.95
    group = store("Get Point Payload", "doc-42")["group"]
    other = (group + 1) % 4
    filtered = store("Search Vectors", query, top=10, filter={"group": other})
    assert len(filtered) == 10 and all(h["payload"]["group"] == other for h in filtered)
    store("Search Should Return", query, top=10, filter={"group": other}, excludes="doc-42")
    strict = store("Search Vectors", query, top=10, score_threshold=0.95)
    assert [h["id"] for h in strict][:1] == ["doc-42"] and all(h["score"] >= 0.95 for h in strict)
    with pytest.raises(CrosscheckError) as err:
        store(
            "Search Should Return",
            query,
            top=3,
            contains=["doc-1", "doc-42"],
            first="doc-2",
            excludes="doc-42",
            min_results=4,
        )
    text = str(err.value)
    assert "search in top 3 of collection 'docs'" in text
    assert "expected doc-1 among the hits" in text and "expected doc-2 first, got doc-42" in text
    assert "expected doc-42 not among the hits" in text and "expected at least 4 hits, got 3" in text
    assert "hits: doc-42 (0.9" in text


def test_latency_and_throughput_getters(store):
    store("Create Collection", "docs", 32)
    store("Upsert Seeded Vectors", 500)
    p95 = store("Get Search Latency", "p95", Op["<"], "10 s", queries=30)
    assert 0 < p95 < 10_000
    with pytest.raises(AssertionError, match="p95 search latency \\(ms\\) of collection 'docs'"):
        store("Get Search Latency", "p95", Op["<"], "0.0001 ms", queries=10)
    rate = store("Get Upsert Throughput", Op[">"], 0, count=300, batch_size=100)
    assert rate > 0
    assert store("Get Point Count") == 500
    with pytest.raises(AssertionError, match="upsert throughput \\(points/s\\) of collection 'docs'"):
        store("Get Upsert Throughput", Op[">"], 1e12, count=100, batch_size=50)


def test_seeded_vectors_are_deterministic():
    a = data.seeded_vectors(5000, 24, seed=9)
    assert np.array_equal(a[:10], data.seeded_vectors(10, 24, seed=9))
    assert np.array_equal(a[4100:4110], data.seeded_vectors(10, 24, seed=9, start=4100))
    assert not np.array_equal(a[:10], data.seeded_vectors(10, 24, seed=10))
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0)
