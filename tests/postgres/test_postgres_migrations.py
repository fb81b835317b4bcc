"""Migration chains against a real Postgres: fresh scratch databases and schemas, versions
recorded, idempotency, the end state against the expected-schema file, and broken chains
that must fail naming the step."""

from __future__ import annotations

from pathlib import Path

import pytest
from postgres_support import end_of_test, run

from crosscheck.errors import ConfigurationError
from crosscheck.postgres.migrations import MigrationError, discover

ROOT = Path(__file__).resolve().parents[2]
DEMO_MIGRATIONS = ROOT / "demo" / "migrations"
DEMO_SCHEMA = ROOT / "resources" / "schemas" / "demo.yaml"


def chain(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


GOOD = {
    "0001_items.sql": "CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY, name text);",
    "0002_index.sql": "CREATE INDEX IF NOT EXISTS idx_items_name ON items (name);",
    "0010_column.sql": "ALTER TABLE items ADD COLUMN IF NOT EXISTS price numeric(10,2);",
    "README.md": "not a migration",
}


def test_discover_orders_numerically_and_rejects_bad_folders(tmp_path):
    folder = chain(tmp_path, GOOD)
    assert [s.path.name for s in discover(folder)] == ["0001_items.sql", "0002_index.sql", "0010_column.sql"]
    (folder / "02_again.sql").write_text("SELECT 1;")
    with pytest.raises(
        ConfigurationError,
        match="version 02 is used twice \\(0002_index.sql and 02_again.sql\\)|version 0002 is used twice",
    ):
        discover(folder)
    with pytest.raises(ConfigurationError, match="holds no NNNN_name.sql files"):
        discover(chain(tmp_path / "empty", {}))
    with pytest.raises(ConfigurationError, match="does not exist"):
        discover(tmp_path / "absent")


def test_good_chain_in_a_scratch_schema(pg, raw, tmp_path):
    folder = chain(tmp_path, GOOD)
    schema = pg.create_scratch_schema("mig")
    assert pg.apply_migrations(str(folder), schema=schema) == ["0001", "0002", "0010"]
    assert pg.get_applied_migrations(schema=schema) == ["0001", "0002", "0010"]
    assert pg.apply_migrations(str(folder), schema=schema) == []  # recorded steps are skipped
    pg.migration_chain_should_be_idempotent(str(folder), schema=schema)
    pg.column_should_exist(f"{schema}.items", "price", "numeric(10,2)")
    assert end_of_test(pg) == []  # teardown of the test: the schema goes
    assert run(raw, "SELECT count(*) FROM pg_namespace WHERE nspname = %s", (schema,)) == [(0,)]


def test_broken_step_is_named_with_line_and_error(pg, tmp_path):
    folder = chain(
        tmp_path, {**GOOD, "0002_index.sql": "-- add an index\nCREATE INDEX idx_items_name\n    ON itemz (name);"}
    )
    schema = pg.create_scratch_schema("broken")
    with pytest.raises(MigrationError) as err:
        pg.apply_migrations(str(folder), schema=schema)
    assert str(err.value) == 'Migration step 2 of 3, 0002_index.sql, failed: relation "itemz" does not exist'
    assert pg.get_applied_migrations(schema=schema) == ["0001"]  # earlier steps stay, the failed one rolled back


def test_step_that_fails_on_the_second_run_is_not_idempotent(pg, tmp_path):
    folder = chain(tmp_path, {**GOOD, "0010_column.sql": "ALTER TABLE items ADD COLUMN price numeric(10,2);"})
    schema = pg.create_scratch_schema("rerun")
    pg.apply_migrations(str(folder), schema=schema)
    with pytest.raises(
        MigrationError,
        match=r"Migration step 3 of 3, 0010_column.sql \(second run\), failed"
        r': column "price" of relation "items" already exists',
    ):
        pg.migration_chain_should_be_idempotent(str(folder), schema=schema)


def test_step_that_changes_the_schema_on_the_second_run(pg, tmp_path):
    folder = chain(tmp_path, {**GOOD, "0002_index.sql": "CREATE INDEX ON items (name);"})
    schema = pg.create_scratch_schema("drift")
    pg.apply_migrations(str(folder), schema=schema)
    with pytest.raises(MigrationError) as err:
        pg.migration_chain_should_be_idempotent(str(folder), schema=schema)
    assert "Migration chain is not idempotent: running it again changed the schema:" in str(err.value)
    assert f"+ index {schema}.items.items_name_idx1" in str(err.value)


def test_demo_chain_on_a_fresh_database_matches_the_expected_schema(pg):
    versions = pg.migration_chain_should_apply_cleanly(str(DEMO_MIGRATIONS), str(DEMO_SCHEMA))
    assert versions[0] == "0001" and len(versions) == len(discover(DEMO_MIGRATIONS))
    assert not pg.ctx.query("SELECT datname FROM pg_database WHERE datname LIKE 'cc\\_%%migtest'")


def test_fresh_database_chain_fails_naming_step_and_cleans_up(pg, tmp_path):
    folder = chain(tmp_path, {**GOOD, "0003_bad.sql": "CREATE TABLE IF NOT EXISTS t (x int);\nSELEC 1;"})
    with pytest.raises(
        MigrationError,
        match=r"Migration step 3 of 4, 0003_bad.sql, failed \(line 2\): "
        r'syntax error at or near "SELEC"',
    ):
        pg.migration_chain_should_apply_cleanly(str(folder))
    assert not pg.ctx.query("SELECT datname FROM pg_database WHERE datname LIKE 'cc\\_%%migtest'")


def test_end_state_differences_are_reported(pg, tmp_path):
    folder = chain(tmp_path, GOOD)
    expected = tmp_path / "expected.yaml"
    expected.write_text(
        "schemas:\n  public:\n    tables:\n      items:\n        columns:\n"
        "          id: integer\n          price: numeric(12,4)\n          sku: text\n"
    )
    with pytest.raises(MigrationError) as err:
        pg.migration_chain_should_apply_cleanly(str(folder), str(expected), report_unexpected=False)
    message = str(err.value)
    assert "End state of the migration chain differs from" in message and "(2 differences)" in message
    assert "missing    column public.items.sku" in message
    assert "different  column public.items.price: type expected numeric(12,4), found numeric(10,2)" in message


def test_scratch_database_is_dropped_at_teardown(pg, raw, tmp_path):
    name = pg.create_scratch_database("mig")
    pg.apply_migrations(str(chain(tmp_path, GOOD)), database=name)
    assert pg.get_applied_migrations(database=name) == ["0001", "0002", "0010"]
    assert end_of_test(pg) == []
    assert run(raw, "SELECT count(*) FROM pg_database WHERE datname = %s", (name,)) == [(0,)]
