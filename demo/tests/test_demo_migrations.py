"""The demo's migration chain, applied to a fresh database on the real Postgres server."""

from __future__ import annotations

import json
import shutil
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest

from crosscheck import namespace
from crosscheck_demo import MIGRATIONS_DIR, migrate

MODEL_SCHEMAS = ["deepcoder", "deepseek", "hermes", "imp", "mimo", "mixtral", "openchat", "phi3", "yi34"]


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


@pytest.fixture
def fresh_db(postgres_url):
    """A new, empty database on the same server, dropped afterwards."""
    name = namespace.new("mig")
    admin = psycopg2.connect(postgres_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(postgres_url, name)
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def snapshot(url: str) -> dict:
    """Everything the chain defines: columns, indexes, functions, constraints, seeded rows."""
    queries = {
        "columns": """SELECT table_schema, table_name, column_name, data_type, column_default, is_nullable
                      FROM information_schema.columns
                      WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2, 3""",
        "indexes": "SELECT schemaname, indexname, indexdef FROM pg_indexes WHERE schemaname <> 'pg_catalog' ORDER BY 1, 2",
        "functions": """SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p
                        JOIN pg_namespace n ON n.oid = p.pronamespace
                        WHERE n.nspname = 'public' AND p.proname LIKE '%etf_universe%' ORDER BY 1""",
        "constraints": """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
                          WHERE connamespace <> 'pg_catalog'::regnamespace ORDER BY 1, 2""",
        "documents": "SELECT id, title, embedding::text FROM documents ORDER BY id",
        "versions": "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version",
        "schemas": "SELECT nspname FROM pg_namespace ORDER BY 1",
    }
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            out = {}
            for key, sql in queries.items():
                cur.execute(sql)
                out[key] = cur.fetchall()
            return out
    finally:
        conn.close()


def test_chain_builds_seed_schema_and_a_second_apply_changes_nothing(fresh_db):
    applied = migrate.apply(fresh_db)
    assert applied == [v for v, _, _ in migrate.migrations()]
    first = snapshot(fresh_db)

    assert migrate.apply(fresh_db) == []
    assert snapshot(fresh_db) == first

    columns = {(t, c): d for s, t, c, d, _, _ in first["columns"] if s == "public"}
    assert columns[("cache_entries", "universe_category")] == "character varying"
    assert columns[("cache_entries", "liquidity_filter")] == "jsonb"
    assert columns[("cache_entries", "universe_metadata")] == "jsonb"
    assert columns[("cache_entries", "last_universe_update")] == "timestamp without time zone"
    assert ("historical_data", "close") in columns and ("api_keys", "key_hash") in columns
    indexes = {name: definition for _, name, definition in first["indexes"]}
    assert "(universe_category)" in indexes["idx_cache_entries_category"]
    assert "(last_universe_update DESC)" in indexes["idx_cache_entries_updated"]
    assert [f for f, _ in first["functions"]] == [
        "get_etf_universe",
        "get_etf_universes_summary",
        "update_etf_universe",
        "validate_etf_universe_symbols",
    ]
    assert set(MODEL_SCHEMAS) <= {s for (s,) in first["schemas"]}
    assert len(first["documents"]) == 8


def test_every_file_is_idempotent_on_its_own(fresh_db):
    migrate.apply(fresh_db)
    before = snapshot(fresh_db)
    conn = psycopg2.connect(fresh_db)
    try:
        with conn, conn.cursor() as cur:
            for _, _, sql in migrate.migrations():
                cur.execute(sql)
    finally:
        conn.close()
    assert snapshot(fresh_db) == before


def test_a_changed_migration_is_refused(fresh_db, tmp_path):
    copy = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, copy)
    migrate.apply(fresh_db, copy)
    target = sorted(copy.glob("0003_*.sql"))[0]
    target.write_text(target.read_text() + "\n-- edited after release\n")
    with pytest.raises(RuntimeError, match=r"migration 0003_historical_data\.sql changed after it was applied"):
        migrate.apply(fresh_db, copy)


def test_universe_functions_have_real_bodies(fresh_db):
    migrate.apply(fresh_db)
    conn = psycopg2.connect(fresh_db)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT update_etf_universe('TEST_core', %s::jsonb, 'etf', %s::jsonb, %s::jsonb)",
                (json.dumps(["SPY", "QQQ"]), json.dumps({"min_volume": 1_000_000}), json.dumps({"v": 1})),
            )
            created = cur.fetchone()[0]
            assert created["symbols"] == ["SPY", "QQQ"] and created["category"] == "etf"
            assert created["liquidity_filter"] == {"min_volume": 1_000_000}

            # an unchanged update keeps the timestamp; NULL arguments keep stored values
            cur.execute("SELECT update_etf_universe('TEST_core', %s::jsonb)", (json.dumps(["SPY", "QQQ"]),))
            assert cur.fetchone()[0] == created
            cur.execute("SELECT update_etf_universe('TEST_core', %s::jsonb)", (json.dumps(["SPY", "IWM"]),))
            changed = cur.fetchone()[0]
            assert changed["symbols"] == ["SPY", "IWM"] and changed["metadata"] == {"v": 1}
            assert changed["updated_at"] > created["updated_at"]

            cur.execute("SELECT * FROM get_etf_universes_summary()")
            assert [(n, c, k) for n, c, k, _ in cur.fetchall()] == [("TEST_core", "etf", 2)]
            cur.execute("SELECT get_etf_universe('TEST_missing')")
            assert cur.fetchone()[0] is None

            cur.execute(
                "INSERT INTO historical_data (symbol, date, open, high, low, close, volume)"
                " VALUES ('SPY', '2025-01-02', 1, 2, 1, 2, 10)"
            )
            cur.execute(
                "SELECT * FROM validate_etf_universe_symbols(%s::jsonb)", (json.dumps(["SPY", "bad", "QQQ", "QQQ", 7]),)
            )
            assert cur.fetchall() == [
                ("SPY", True, True, None),
                ("bad", False, False, "invalid format"),
                ("QQQ", True, False, None),
                ("QQQ", False, False, "duplicate"),
                ("7", False, False, "not a string"),
            ]

            with pytest.raises(psycopg2.errors.RaiseException, match="symbols must be a JSON array"):
                cur.execute("SELECT update_etf_universe('TEST_core', '{}'::jsonb)")
    finally:
        conn.close()
