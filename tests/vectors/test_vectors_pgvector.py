"""pgvector specifics: real HNSW and IVFFlat indexes, plans, recall, the demo's table, teardown."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time

import pytest
from vectors_support import open_library, schema_exists

from crosscheck.assertions import AssertionOperator as Op
from crosscheck.errors import ConfigurationError, CrosscheckError, ServiceUnavailable


def test_collection_is_a_table_in_the_namespace_schema_and_goes_at_cleanup(postgres_url, raw):
    lib, kw = open_library(postgres_url)
    physical = kw("Create Collection", "docs", 8)
    schema, table = physical.split(".")
    assert table == f"{schema}_docs" and schema.startswith(f"cc_{os.getpid()}_")
    assert schema_exists(raw, schema)
    with raw.cursor() as cur:
        cur.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attname = 'embedding'",
            (physical,),
        )
        assert cur.fetchone()[0] == "vector(8)"
    lib.close()
    assert not schema_exists(raw, schema)


def test_hnsw_index_is_real_and_used(pgv):
    pgv("Create Collection", "docs", 32)
    pgv("Upsert Seeded Vectors", 3000)
    with pytest.raises(CrosscheckError, match="expected a hnsw index on collection 'docs' .*found: no indexes"):
        pgv("Vector Index Should Exist", "hnsw")
    with pytest.raises(CrosscheckError, match="does not use a vector index"):
        pgv("Search Should Use Index", force=True)
    name = pgv("Create HNSW Index", m=8, ef_construction=32)
    index = pgv("Vector Index Should Exist", "hnsw", m=8, ef_construction=32)
    assert index["name"] == name and "USING hnsw (embedding vector_cosine_ops)" in index["definition"]
    with pytest.raises(CrosscheckError, match="expected a hnsw m=16 index .*found: CREATE INDEX"):
        pgv("Vector Index Should Exist", "hnsw", m=16)
    assert pgv("Search Should Use Index", force=True) == name
    recall = pgv("Get Recall At K", 10, Op[">="], 0.5, queries=20, ef_search=64)
    assert 0.5 <= recall <= 1.0
    with pytest.raises(AssertionError, match="recall@10 of collection 'docs'"):
        pgv("Get Recall At K", 10, Op[">"], 1.0, queries=5)


def test_low_ef_search_lowers_recall_honestly(pgv):
    pgv("Create Collection", "docs", 64)
    pgv("Upsert Seeded Vectors", 4000, batch_size=1000)
    pgv("Create HNSW Index", m=4, ef_construction=8)
    low = pgv("Get Recall At K", 20, queries=20, ef_search=1)
    high = pgv("Get Recall At K", 20, queries=20, ef_search=200)
    assert low < high


def test_ivfflat_index(pgv):
    pgv("Create Collection", "docs", 16, "euclidean")
    pgv("Upsert Seeded Vectors", 2000, batch_size=1000)
    name = pgv("Create IVFFlat Index", lists=20, probes=4)
    index = pgv("Vector Index Should Exist", "ivfflat")
    assert (
        index["name"] == name
        and "USING ivfflat (embedding)" in index["definition"]
        and "lists='20'" in index["definition"]
    )
    assert pgv("Search Should Use Index", force=True) == name
    assert pgv("Get Recall At K", 10, queries=10) > 0


def test_recall_without_an_index_says_it_is_exact(pgv):
    pgv("Create Collection", "docs", 8)
    pgv("Upsert Seeded Vectors", 100)
    assert pgv("Get Recall At K", 5, queries=5) == 1.0
    with pytest.raises(ConfigurationError, match="collection 'empty' .* is empty: load points"):
        pgv("Create Collection", "empty", 8)
        pgv("Get Search Latency", collection="empty")


def test_demo_documents_table(pgv, raw):
    with raw.cursor() as cur:
        cur.execute("SELECT to_regclass('public.documents')")
        if cur.fetchone()[0] is None:
            pytest.skip("the demo's documents table is not in this database")
    pgv("Use Existing Collection", "documents", "public.documents")
    first = pgv("Get Point", "doc-liquidity")
    assert first["payload"]["title"] == "Liquidity filters" and "embedding" not in first["payload"]
    pgv("Search Should Return", first["vector"], top=1, first="doc-liquidity")
    with pytest.raises(ConfigurationError, match="ids of points a test adds must start with TEST_"):
        pgv("Upsert Point", "mine", [0.0] * 8, {"title": "x"})
    pgv("Upsert Point", "TEST_vectors_doc", [0, 0, 0, 0, 0, 0, 0, 1.0], {"title": "A test document", "body": "b"})
    pgv("Search Should Return", [0, 0, 0, 0, 0, 0, 0, 1.0], top=1, first="TEST_vectors_doc")
    with pytest.raises(ConfigurationError, match="crosscheck only drops collections it created"):
        pgv("Drop Collection", "documents")
    with pytest.raises(ConfigurationError, match="only points with TEST_ ids may be deleted"):
        pgv("Delete Points", "doc-liquidity")
    assert pgv.lib.cleanup.pop()[1] == []
    with raw.cursor() as cur:
        cur.execute("SELECT count(*) FROM documents WHERE id = 'TEST_vectors_doc'")
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT count(*) FROM documents WHERE id = 'doc-liquidity'")
        assert cur.fetchone()[0] == 1


def test_unreachable_postgres_fails_fast_with_the_password_masked():
    from crosscheck.vectors import Vectors

    lib = Vectors("postgresql://tester:s3cret-pw@127.0.0.1:9/nowhere")
    t0 = time.monotonic()
    with pytest.raises(ServiceUnavailable) as err:
        lib.run_keyword("connect_to_vector_store", [], {})
    assert time.monotonic() - t0 < 10
    text = str(err.value)
    assert text.startswith("Postgres at postgresql://tester:***@127.0.0.1:9/nowhere refused the connection")
    assert "s3cret-pw" not in text and "CROSSCHECK_POSTGRES_URL" in text


def test_an_unknown_url_is_a_configuration_error():
    from crosscheck.vectors import Vectors

    with pytest.raises(ConfigurationError, match="cannot tell the vector store from 'redis://x:\\*\\*\\*@h/0'"):
        Vectors("redis://x:pw@h/0").run_keyword("connect_to_vector_store", [], {})


def test_robot_removes_collections_after_a_failing_test(postgres_url, raw, tmp_path):
    suite = tmp_path / "cleanup.robot"
    suite.write_text(
        textwrap.dedent("""\
        *** Settings ***
        Library    crosscheck.Vectors
        Suite Setup    Make Suite Collection

        *** Test Cases ***
        Failing Test Leaves Nothing Behind
            ${physical} =    Create Collection    docs    4
            Log To Console    TEST-COLLECTION ${physical}
            Upsert Point    a    [1, 0, 0, 0]
            Should Be Equal    1    2

        Suite Collection Is Still There
            Collection Should Exist    shared
            Get Point Count    ==    0    collection=shared

        *** Keywords ***
        Make Suite Collection
            ${physical} =    Create Collection    shared    4
            Log To Console    SUITE-COLLECTION ${physical}
        """)
    )
    env = dict(os.environ, CROSSCHECK_POSTGRES_URL=postgres_url)
    proc = subprocess.run(
        [sys.executable, "-m", "robot", "--outputdir", str(tmp_path), "--console", "verbose", str(suite)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    lines = re.findall(r"(?:TEST|SUITE)-COLLECTION (\S+)", proc.stdout)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # exactly the one failing test
    for physical in lines:
        assert not schema_exists(raw, physical.split(".")[0])
    assert len(lines) == 2


def test_a_collection_that_cannot_be_removed_fails_its_test(postgres_url, raw, tmp_path):
    """The shared cleanup rule: what the run made and could not remove fails the test that made it."""
    suite = tmp_path / "stuck.robot"
    suite.write_text(
        textwrap.dedent("""\
        *** Settings ***
        Library    crosscheck.Vectors

        *** Test Cases ***
        Removable Collection
            Create Collection    docs    4

        Collection That Cannot Be Removed
            ${physical} =    Create Collection    stuck    4
            Log To Console    STUCK-COLLECTION ${physical}
            ${lib} =    Get Library Instance    crosscheck.Vectors
            Evaluate    $lib.ctx.backend.conn.close()
        """)
    )
    env = dict(os.environ, CROSSCHECK_POSTGRES_URL=postgres_url)
    proc = subprocess.run(
        [sys.executable, "-m", "robot", "--outputdir", str(tmp_path), "--console", "verbose", str(suite)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    schema = re.search(r"STUCK-COLLECTION (\S+)", proc.stdout).group(1).split(".")[0]
    try:
        from robot.api import ExecutionResult

        tests = {t.name: t for t in ExecutionResult(str(tmp_path / "output.xml")).suite.all_tests}
        assert tests["Removable Collection"].status == "PASS", proc.stdout
        stuck = tests["Collection That Cannot Be Removed"]
        assert stuck.status == "FAIL"
        assert stuck.message.startswith("crosscheck.Vectors cleanup failed: collection 'stuck' ("), stuck.message
        assert f"namespace {schema} on pgvector at " in stuck.message
        assert schema_exists(raw, schema)  # left behind, and the report says so
    finally:
        with raw.cursor() as cur:
            cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_close_names_what_it_could_not_remove(postgres_url, raw):
    lib, kw = open_library(postgres_url)
    schema = kw("Create Collection", "docs", 4).split(".")[0]
    lib.ctx.backend.conn.close()
    try:
        with pytest.raises(CrosscheckError, match=r"^crosscheck.Vectors cleanup failed: collection 'docs' \("):
            lib.close()
    finally:
        with raw.cursor() as cur:
            cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_search_should_use_index_without_force_reports_the_plan(pgv):
    pgv("Create Collection", "docs", 8)
    pgv("Upsert Seeded Vectors", 20)
    pgv("Create HNSW Index")
    with pytest.raises(CrosscheckError, match="does not use a vector index: .*Seq Scan.*pass force=True"):
        pgv("Search Should Use Index")


def test_index_and_measurement_arguments_are_checked(pgv):
    pgv("Create Collection", "docs", 8)
    pgv("Upsert Seeded Vectors", 20)
    with pytest.raises(
        ConfigurationError, match="HNSW needs m >= 2 and ef_construction >= 2 \\* m, got m=16, ef_construction=8"
    ):
        pgv("Create HNSW Index", m=16, ef_construction=8)
    with pytest.raises(ConfigurationError, match="lists must be at least 1"):
        pgv("Create IVFFlat Index", lists=0)
    with pytest.raises(ConfigurationError, match="unknown statistic 'p42': use one of min, p50, p95, p99, max, mean"):
        pgv("Get Search Latency", "p42")
    with pytest.raises(ConfigurationError, match="k must be at least 1"):
        pgv("Get Recall At K", 0)
    with pytest.raises(ConfigurationError, match="top must be at least 1"):
        pgv("Search Vectors", [0.1] * 8, top=0)
    with pytest.raises(ConfigurationError, match="batch_size must be at least 1"):
        pgv("Upsert Vectors", ["a"], [[0.1] * 8], batch_size=0)
    assert pgv("Get Point Count") == 20


def test_an_unknown_existing_table_is_named(pgv):
    with pytest.raises(
        ConfigurationError, match="unknown collection: no table public.no_such_table with a vector column"
    ):
        pgv("Use Existing Collection", "other", "no_such_table")


def test_a_bad_vector_for_an_existing_table_writes_nothing(pgv, raw):
    with raw.cursor() as cur:
        cur.execute("SELECT to_regclass('public.documents')")
        if cur.fetchone()[0] is None:
            pytest.skip("the demo's documents table is not in this database")
    pgv("Use Existing Collection", "documents", "public.documents")
    before = pgv("Get Point Count")
    with pytest.raises(
        ConfigurationError, match="dimension mismatch: vector for documents 'TEST_x' has 3 components, expected 8"
    ):
        pgv("Upsert Point", "TEST_x", [0.1, 0.2, 0.3], {"title": "x"})
    assert pgv("Get Point Count") == before


def test_rows_written_before_a_failing_one_are_removed_at_cleanup(postgres_url, raw):
    lib, kw = open_library(postgres_url)
    try:
        kw("Use Existing Collection", "documents", "public.documents")
    except ConfigurationError:
        lib.close()
        pytest.skip("the demo's documents table is not in this database")
    try:
        before = kw("Get Point Count")
        points = [
            {"id": "TEST_first", "vector": [0.1] * 8, "payload": {"title": "written"}},
            {"id": "TEST_second", "vector": [0.2] * 8, "payload": {}},
        ]  # title is NOT NULL
        with pytest.raises(CrosscheckError, match='null value in column "title" of relation "documents"'):
            kw("Upsert Points", points)
        assert kw("Get Point Count") == before + 1
    finally:
        lib.close()
    with raw.cursor() as cur:
        cur.execute("SELECT count(*) FROM public.documents WHERE id IN ('TEST_first', 'TEST_second')")
        assert cur.fetchone()[0] == 0
