"""Bad input fails with a clear message before anything is written, on both stores."""

from __future__ import annotations

import math

import pytest

from crosscheck.errors import ConfigurationError

GOOD = [0.1, 0.2, 0.3, 0.4]


@pytest.fixture
def coll(store):
    store("Create Collection", "docs", 4)
    return store


@pytest.mark.parametrize(
    "bad, message",
    [
        ([0.1, 0.2, 0.3], "dimension mismatch: vector for docs 'p2' has 3 components, expected 4"),
        ([0.1, 0.2, 0.3, 0.4, 0.5], "dimension mismatch: vector for docs 'p2' has 5 components, expected 4"),
        ([0.1, math.nan, 0.3, 0.4], "vector for docs 'p2' has a non-finite component at position 1 (nan)"),
        ([0.1, 0.2, math.inf, 0.4], "vector for docs 'p2' has a non-finite component at position 2 (inf)"),
        ([0.1, 0.2, 0.3, -math.inf], "vector for docs 'p2' has a non-finite component at position 3 (-inf)"),
        ([], "vector for docs 'p2' is an empty vector; expected 4 numbers"),
        ([0.1, "x", 0.3, 0.4], "vector for docs 'p2' has a non-numeric component at position 1: 'x'"),
        ("[0.1, NaN, 0.3, 0.4]", "vector for docs 'p2' has a non-finite component at position 1 (nan)"),
    ],
)
def test_a_bad_vector_in_a_batch_writes_nothing(coll, bad, message):
    with pytest.raises(ConfigurationError) as err:
        coll("Upsert Vectors", ["p1", "p2", "p3"], [GOOD, bad, GOOD], batch_size=1)
    assert message in str(err.value)
    assert coll("Get Point Count") == 0


def test_duplicate_ids_write_nothing(coll):
    with pytest.raises(ConfigurationError, match="duplicate point ids in one upsert into collection 'docs'.*: p1"):
        coll("Upsert Vectors", ["p1", "p2", "p1"], [GOOD, GOOD, GOOD])
    assert coll("Get Point Count") == 0


def test_mismatched_ids_and_vectors_write_nothing(coll):
    with pytest.raises(ConfigurationError, match="2 ids but 3 vectors"):
        coll("Upsert Vectors", ["p1", "p2"], [GOOD, GOOD, GOOD])
    assert coll("Get Point Count") == 0


def test_a_payload_that_is_not_json_writes_nothing(coll):
    with pytest.raises(ConfigurationError, match="payload of point 'p2' is not JSON-serialisable"):
        coll("Upsert Vectors", ["p1", "p2"], [GOOD, GOOD], payloads=[{}, {"x": {1, 2}}])
    assert coll("Get Point Count") == 0


def test_a_point_without_a_vector_writes_nothing(coll):
    with pytest.raises(ConfigurationError, match="point #1 must be a dictionary with id and vector"):
        coll("Upsert Points", [{"id": "a", "vector": GOOD}, {"id": "b"}])
    assert coll("Get Point Count") == 0


def test_an_unknown_collection_is_named(store):
    store("Create Collection", "docs", 4)
    with pytest.raises(ConfigurationError, match="unknown collection 'nosuch' on .*: it was not created .*known: docs"):
        store("Upsert Point", "p1", GOOD, collection="nosuch")
    with pytest.raises(ConfigurationError, match="unknown collection 'nosuch'"):
        store("Search Vectors", GOOD, collection="nosuch")
    assert store("Get Point Count") == 0


def test_no_collection_selected(store):
    with pytest.raises(ConfigurationError, match="no collection selected: create one with Create Collection"):
        store("Get Point Count")


@pytest.mark.parametrize(
    "bad, message",
    [
        ([0.1, 0.2], "dimension mismatch: query vector for docs has 2 components, expected 4"),
        ([0.1, math.nan, 0.3, 0.4], "query vector for docs has a non-finite component at position 1"),
        ([], "query vector for docs is an empty vector"),
    ],
)
def test_a_bad_query_vector_fails_before_searching(coll, bad, message):
    with pytest.raises(ConfigurationError) as err:
        coll("Search Vectors", bad)
    assert message in str(err.value)


def test_invalid_collection_settings(store):
    with pytest.raises(ConfigurationError, match="unknown distance 'manhattan': use one of cosine, dot, euclidean"):
        store("Create Collection", "docs", 4, "manhattan")
    with pytest.raises(ConfigurationError, match="dimension must be at least 1"):
        store("Create Collection", "docs", 0)
    with pytest.raises(ConfigurationError, match="collection name 'bad-name' is not valid"):
        store("Create Collection", "bad-name", 4)


def test_creating_the_same_collection_twice_fails(coll):
    with pytest.raises(ConfigurationError, match="collection 'docs' already exists"):
        coll("Create Collection", "docs", 4)
