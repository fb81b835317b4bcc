"""crosscheck.Postgres schema keywords against a real Postgres: the expected-schema file,
its diff, single-object checks, the dump command, unreachable servers, hostile names."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from postgres_support import run

from crosscheck.assertions import AssertionOperator
from crosscheck.errors import ConfigurationError, CrosscheckError, ServiceUnavailable
from crosscheck.postgres import catalog
from crosscheck.postgres.cli import schema_dump

ROOT = Path(__file__).resolve().parents[2]
EQ = AssertionOperator["=="]
DEMO_SCHEMA = ROOT / "resources" / "schemas" / "demo.yaml"


def build(raw, schema):
    run(
        raw,
        f"""
        SET search_path TO {schema};
        CREATE TABLE cache_entries (id bigserial PRIMARY KEY, name varchar(255) NOT NULL,
            universe_category varchar(50), universe_metadata jsonb,
            last_universe_update timestamp DEFAULT CURRENT_TIMESTAMP);
        CREATE INDEX idx_cache_entries_category ON cache_entries (universe_category);
        CREATE INDEX idx_cache_entries_updated ON cache_entries (last_universe_update DESC);
        CREATE TABLE history (id bigserial PRIMARY KEY, entry_id bigint REFERENCES cache_entries (id)
            ON DELETE CASCADE, price numeric(12,4) CHECK (price >= 0));
        CREATE VIEW categories AS SELECT DISTINCT universe_category FROM cache_entries;
        CREATE FUNCTION get_universe(p_name text) RETURNS jsonb LANGUAGE sql STABLE
            AS 'SELECT universe_metadata FROM cache_entries WHERE name = p_name';
        RESET search_path;""",
    )


def write_expected(pg, schema, tmp_path) -> Path:
    path = tmp_path / "expected.yaml"
    pg.write_expected_schema(str(path), [schema])
    return path


def test_written_file_matches_the_database_it_came_from(pg, raw, scratch, tmp_path):
    build(raw, scratch)
    path = write_expected(pg, scratch, tmp_path)
    data = yaml.safe_load(path.read_text())
    table = data["schemas"][scratch]["tables"]["cache_entries"]
    assert table["columns"]["universe_category"]["type"] == "character varying(50)"
    assert table["indexes"]["idx_cache_entries_updated"]["columns"] == ["last_universe_update DESC"]
    assert data["schemas"][scratch]["functions"]["get_universe"] == [
        {"arguments": "p_name text", "returns": "jsonb", "language": "sql", "volatility": "stable"}
    ]
    assert "categories" in data["schemas"][scratch]["views"]
    pg.database_schema_should_match(str(path))
    assert pg.get_schema_differences(str(path)) == []


def test_every_difference_is_reported_at_once_naming_the_object(pg, raw, scratch, tmp_path):
    build(raw, scratch)
    path = write_expected(pg, scratch, tmp_path)
    run(
        raw,
        f"""
        SET search_path TO {scratch};
        DROP VIEW categories;
        ALTER TABLE cache_entries DROP COLUMN universe_metadata;
        ALTER TABLE cache_entries ALTER COLUMN universe_category TYPE text;
        DROP INDEX idx_cache_entries_updated;
        DROP FUNCTION get_universe(text);
        CREATE FUNCTION get_universe(p_name text, p_limit integer) RETURNS jsonb LANGUAGE sql
            AS 'SELECT NULL::jsonb';
        CREATE TABLE surprise (id int);
        RESET search_path;""",
    )
    with pytest.raises(CrosscheckError) as err:
        pg.database_schema_should_match(str(path))
    message = str(err.value)
    assert "differs from" in message and "6 differences" in message, message
    assert f"missing    view {scratch}.categories" in message
    assert f"missing    column {scratch}.cache_entries.universe_metadata" in message
    assert (
        f"different  column {scratch}.cache_entries.universe_category: type expected character varying(50), found text"
    ) in message
    assert f"missing    index {scratch}.cache_entries.idx_cache_entries_updated" in message
    assert (
        f"different  function {scratch}.get_universe: signature expected (p_name text) returns jsonb, "
        "found (p_name text, p_limit integer) returns jsonb"
    ) in message
    assert f"unexpected table {scratch}.surprise" in message
    assert len(pg.get_schema_differences(str(path), report_unexpected=False)) == 5


def test_handwritten_shorthand_and_aliases(pg, raw, scratch, tmp_path):
    build(raw, scratch)
    path = tmp_path / "short.yaml"
    path.write_text(f"""
extensions: [plpgsql]
schemas:
  {scratch}:
    tables:
      cache_entries:
        columns:
          universe_category: varchar(50)
          name: varchar(255) not null
          last_universe_update: {{type: timestamp, default: CURRENT_TIMESTAMP}}
        indexes:
          idx_cache_entries_updated: [last_universe_update desc]
""")
    assert pg.get_schema_differences(str(path), report_unexpected=False) == []
    path.write_text(path.read_text().replace("varchar(255) not null", "varchar(100)"))
    diffs = pg.get_schema_differences(str(path), report_unexpected=False)
    assert diffs == [
        f"different  column {scratch}.cache_entries.name: type expected varchar(100), found character varying(255)"
    ]


def test_missing_schema_and_extension_are_named(pg, tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("extensions: [no_such_extension]\nschemas:\n  cc_absent_schema: {tables: {t: {}}}\n")
    diffs = pg.get_schema_differences(str(path), report_unexpected=False)
    assert "missing    schema cc_absent_schema" in diffs
    assert "missing    extension no_such_extension" in diffs


def test_bad_expected_files_fail_with_the_fix(pg, tmp_path):
    with pytest.raises(ConfigurationError, match="does not exist; write one .*schema-dump"):
        pg.database_schema_should_match(str(tmp_path / "nope.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("schemas: [unclosed\n")
    with pytest.raises(ConfigurationError, match="is not valid YAML"):
        pg.database_schema_should_match(str(bad))
    bad.write_text("tabels: {}\n")
    with pytest.raises(ConfigurationError, match="unknown top-level keys \\['tabels'\\]"):
        pg.database_schema_should_match(str(bad))


def test_single_object_keywords(pg, raw, scratch):
    build(raw, scratch)
    t = f"{scratch}.cache_entries"
    pg.column_should_exist(t, "universe_metadata", "jsonb")
    pg.column_should_exist(t, "universe_category", "varchar(50)", nullable=True)
    pg.column_should_exist(t, "last_universe_update", "timestamp", default="CURRENT_TIMESTAMP")
    with pytest.raises(
        CrosscheckError,
        match=rf"Column {scratch}\.cache_entries\.nope does not exist; "
        rf"{scratch}\.cache_entries has id, name",
    ):
        pg.column_should_exist(t, "nope")
    with pytest.raises(
        CrosscheckError,
        match=rf"Column {scratch}\.cache_entries\.universe_metadata: "
        "type expected text, found jsonb",
    ):
        pg.column_should_exist(t, "universe_metadata", "text")
    with pytest.raises(CrosscheckError, match="nullable expected false, found true"):
        pg.column_should_exist(t, "universe_category", nullable=False)
    pg.column_should_not_exist(t, "liquidity_filter")
    with pytest.raises(CrosscheckError, match="exists \\(jsonb\\) but should not"):
        pg.column_should_not_exist(t, "universe_metadata")
    assert pg.get_column_type(t, "universe_category", EQ, "varchar(50)") == "character varying(50)"
    with pytest.raises(AssertionError):
        pg.get_column_type(t, "universe_category", EQ, "text")

    pg.index_should_exist(t, "idx_cache_entries_updated", ["last_universe_update DESC"], unique=False)
    with pytest.raises(
        CrosscheckError,
        match=rf"Index idx_missing does not exist on {scratch}\.cache_entries; "
        "its indexes: .*idx_cache_entries_category",
    ):
        pg.index_should_exist(t, "idx_missing")
    with pytest.raises(
        CrosscheckError, match="columns expected \\(last_universe_update\\), found \\(last_universe_update DESC\\)"
    ):
        pg.index_should_exist(t, "idx_cache_entries_updated", ["last_universe_update"])

    pg.foreign_key_should_exist(f"{scratch}.history", ["entry_id"], f"{scratch}.cache_entries", ["id"])
    with pytest.raises(CrosscheckError, match=rf"No foreign key on {scratch}\.history \(price\)"):
        pg.foreign_key_should_exist(f"{scratch}.history", "price", f"{scratch}.cache_entries")

    pg.function_should_exist("get_universe", "p_name text", "jsonb", schema=scratch)
    with pytest.raises(
        CrosscheckError,
        match=rf"Function {scratch}\.get_universe signature changed: expected "
        r"\(p_name text, p_limit int\) returns jsonb, found \(p_name text\) "
        "returns jsonb",
    ):
        pg.function_should_exist("get_universe", "p_name text, p_limit int", "jsonb", schema=scratch)
    with pytest.raises(CrosscheckError, match="Function public.no_such_fn does not exist"):
        pg.function_should_exist("no_such_fn")
    sigs = pg.get_function_signatures(f"{scratch}.get_universe")
    assert sigs[0]["argument_types"] == ["text"] and sigs[0]["language"] == "sql"

    pg.schema_should_exist(scratch, "public")
    with pytest.raises(CrosscheckError, match="Schemas missing in database .*: cc_nope1, cc_nope2"):
        pg.schema_should_exist(scratch, "cc_nope1", "cc_nope2")
    pg.view_should_exist(f"{scratch}.categories")
    with pytest.raises(CrosscheckError, match=rf"^{scratch}\.cache_entries is a table, not a view, in database "):
        pg.view_should_exist(t)
    with pytest.raises(CrosscheckError, match=rf"^{scratch}\.categories is a view, not a table, in database "):
        pg.column_should_exist(f"{scratch}.categories", "universe_category")
    pg.extension_should_be_installed("plpgsql")
    with pytest.raises(CrosscheckError, match="Extension no_such_ext is not installed"):
        pg.extension_should_be_installed("no_such_ext")


def test_read_functions_is_the_public_catalog_api(raw, scratch):
    build(raw, scratch)
    functions = catalog.read_functions(raw, scratch)
    digest = functions["get_universe"][0].pop("body_digest")
    assert digest == catalog.digest("SELECT universe_metadata FROM cache_entries WHERE name = p_name")
    assert functions == {
        "get_universe": [
            {
                "arguments": "p_name text",
                "arguments_with_defaults": "p_name text",
                "argument_types": ["text"],
                "returns": "jsonb",
                "kind": "function",
                "language": "sql",
                "grants": {"PUBLIC": ["EXECUTE"]},
                "volatility": "stable",
                "security": "invoker",
                "strict": False,
                "leakproof": False,
                "parallel": "unsafe",
                "config": [],
                "cost": 100,
                "rows": 0,
            }
        ]
    }


def test_hostile_names_are_literal_names_never_sql(pg, raw, scratch):
    run(raw, f"CREATE TABLE {scratch}.y (id int)")
    hostile = f'{scratch}.x"; DROP TABLE {scratch}.y; --'
    with pytest.raises(CrosscheckError, match="does not exist"):
        pg.column_should_exist(hostile, "id")
    with pytest.raises(CrosscheckError, match="does not exist"):
        pg.get_null_count(hostile, "id")
    with pytest.raises(CrosscheckError, match="does not exist"):
        pg.get_null_count(f"{scratch}.y", 'id"; DROP TABLE y; --')
    with pytest.raises(CrosscheckError, match="does not exist"):
        pg.insert_test_row(hostile, name="TEST_x")
    # a table really named like that is handled as its literal name
    run(raw, f'CREATE TABLE {scratch}."x""; DROP TABLE y; --" (id int)')
    assert pg.get_null_count(f'{scratch}.x"; DROP TABLE y; --', "id") == 0
    assert run(raw, f"SELECT count(*) FROM {scratch}.y") == [(0,)]


def test_unreachable_server_fails_fast_with_masked_password():
    from crosscheck.postgres import Postgres

    lib = Postgres("postgresql://app:s3cret-pw@127.0.0.1:1/app_test")
    start = time.monotonic()
    with pytest.raises(ServiceUnavailable) as err:
        lib.connect_to_postgres()
    assert time.monotonic() - start < 6
    message = str(err.value)
    assert message.startswith("Postgres at postgresql://app:***@127.0.0.1:1/app_test refused the connection")
    assert "s3cret-pw" not in message and "CROSSCHECK_POSTGRES_URL" in message


def test_schema_dump_command(postgres_url, raw, scratch, tmp_path):
    build(raw, scratch)
    out = tmp_path / "dump.yaml"
    assert schema_dump(["--database-url", postgres_url, "--schema", scratch, "-o", str(out)]) == 0
    data = yaml.safe_load(out.read_text())
    assert list(data["schemas"]) == [scratch]
    assert "cache_entries" in data["schemas"][scratch]["tables"]
    proc = subprocess.run(
        [sys.executable, "-m", "crosscheck.postgres.cli", "--database-url", "postgresql://u:topsecret@127.0.0.1:1/x"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    assert "postgresql://u:***@127.0.0.1:1/x" in proc.stderr and "topsecret" not in proc.stderr


def test_demo_database_matches_the_committed_expected_schema(pg):
    if not pg.ctx.query("SELECT to_regclass('public.schema_migrations')")[0][0]:
        pytest.skip("the demo's migrations are not applied to this database")
    pg.database_schema_should_match(str(DEMO_SCHEMA))


def test_expected_schema_as_json(pg, raw, scratch, tmp_path):
    build(raw, scratch)
    path = tmp_path / "expected.json"
    pg.write_expected_schema(str(path), scratch)
    assert path.read_text().lstrip().startswith("{")
    pg.database_schema_should_match(str(path))
    run(raw, f"ALTER TABLE {scratch}.history DROP COLUMN price")
    assert sorted(pg.get_schema_differences(str(path))) == [
        f"missing    column {scratch}.history.price: numeric(12,4)",
        f"missing    constraint {scratch}.history.history_price_check",
    ]
    path.write_text("{broken")
    with pytest.raises(ConfigurationError, match="is not valid JSON"):
        pg.database_schema_should_match(str(path))


# --- every spelling of a type compares as that type -------------------------------------

SPELLINGS = {  # column -> (declared type, spellings that must all compare equal to it)
    "c_ts": ("timestamp", ["timestamp", "timestamp without time zone", "TIMESTAMP  WITHOUT TIME ZONE", "Timestamp"]),
    "c_ts3": ("timestamp(3)", ["timestamp(3)", "timestamp(3) without time zone", "timestamp (3)"]),
    "c_tstz": ("timestamptz", ["timestamptz", "timestamp with time zone", "TIMESTAMPTZ"]),
    "c_tstz0": ("timestamp(0) with time zone", ["timestamptz(0)", "timestamp(0) with time zone"]),
    "c_time": ("time", ["time", "time without time zone"]),
    "c_timetz": ("timetz", ["timetz", "time with time zone"]),
    "c_vc": ("varchar(50)", ["varchar(50)", "character varying(50)", "VARCHAR ( 50 )"]),
    "c_ch": ("char(3)", ["char(3)", "character(3)"]),
    "c_bp": ("bpchar", ["bpchar"]),
    "c_int": ("int", ["int", "int4", "integer", "INTEGER", "serial"]),
    "c_big": ("int8", ["int8", "bigint", "bigserial"]),
    "c_small": ("int2", ["int2", "smallint", "smallserial"]),
    "c_serial": ("serial", ["serial", "integer", "int4"]),
    "c_bigserial": ("bigserial", ["bigserial", "bigint", "int8"]),
    "c_smallserial": ("smallserial", ["smallserial", "smallint"]),
    "c_f8": ("float8", ["float8", "double precision", "float"]),
    "c_f4": ("float4", ["float4", "real", "float(10)"]),
    "c_num": ("numeric(10,2)", ["numeric(10,2)", "decimal(10, 2)", "NUMERIC (10 , 2)"]),
    "c_bool": ("bool", ["bool", "boolean"]),
    "c_texts": ("text[]", ["text[]", "_text", "text ARRAY", "text[][]"]),
    "c_ints": ("integer[]", ["integer[]", "int[]", "_int4", "int4[]"]),
    "c_vcs": ("character varying(20)[]", ["character varying(20)[]", "varchar(20)[]"]),
    "c_tsarr": ("timestamptz[]", ["timestamptz[]", "timestamp with time zone[]", "_timestamptz"]),
    "c_jsonb": ("jsonb", ["jsonb", "JSONB"]),
    "c_uuid": ("uuid", ["uuid"]),
    "c_vec": ("vector(8)", ["vector(8)", "VECTOR(8)"]),
    "c_dom": ("{schema}.money_amount", ["money_amount", "{schema}.money_amount"]),
    "last_universe_update": ("timestamp", ["timestamp without time zone", "timestamp"]),
}
WRONG = {  # column -> a type it does not have
    "c_ts": "timestamptz",
    "c_tstz": "timestamp",
    "c_ts3": "timestamp(6)",
    "c_time": "timetz",
    "c_vc": "varchar(40)",
    "c_ch": "varchar(3)",
    "c_int": "bigint",
    "c_f8": "real",
    "c_num": "numeric(10,3)",
    "c_texts": "text",
    "c_ints": "bigint[]",
    "c_vcs": "varchar(20)",
    "c_dom": "numeric(12,2)",
    "c_vec": "vector(16)",
    "c_bool": "int",
}


def build_types(raw, schema):
    columns = ", ".join(f"{name} {declared.format(schema=schema)}" for name, (declared, _) in SPELLINGS.items())
    run(
        raw,
        f"""
        CREATE DOMAIN {schema}.money_amount AS numeric(12,2) CHECK (VALUE >= 0);
        CREATE TABLE {schema}.types ({columns});""",
    )
    return f"{schema}.types"


def test_get_column_type_accepts_every_spelling_of_the_type(pg, raw, scratch):
    table = build_types(raw, scratch)
    for column, (_, spellings) in SPELLINGS.items():
        actual = pg.get_column_type(table, column)
        for spelling in spellings:
            spelling = spelling.format(schema=scratch)
            assert pg.get_column_type(table, column, EQ, spelling) == actual, (column, spelling)
            pg.column_should_exist(table, column, spelling)
            with pytest.raises(
                CrosscheckError,
                match=rf"^Column {scratch}\.types\.{column}: type expected anything "
                rf"but {re.escape(spelling)}, found {re.escape(actual)}\.$",
            ):
                pg.get_column_type(table, column, AssertionOperator["!="], spelling)
    assert pg.get_column_type(table, "c_ts") == "timestamp without time zone"  # as Postgres prints it
    assert pg.get_column_type(table, "c_dom") == f"{scratch}.money_amount"


def test_get_column_type_fails_naming_table_column_expected_and_actual(pg, raw, scratch):
    table = build_types(raw, scratch)
    for column, wrong in WRONG.items():
        actual = pg.get_column_type(table, column)
        with pytest.raises(CrosscheckError) as err:
            pg.get_column_type(table, column, EQ, wrong)
        assert str(err.value) == f"Column {scratch}.types.{column}: type expected {wrong}, found {actual}.", err.value
        assert pg.get_column_type(table, column, AssertionOperator["!="], wrong) == actual
        with pytest.raises(
            CrosscheckError,
            match=rf"^Column {scratch}\.types\.{column}: type expected "
            rf"{re.escape(wrong)}, found {re.escape(actual)}\.$",
        ):
            pg.column_should_exist(table, column, wrong)
    # a domain compares by its own name, in any schema named or none, but never in another schema
    with pytest.raises(CrosscheckError, match="type expected other_schema.money_amount, found"):
        pg.get_column_type(table, "c_dom", EQ, "other_schema.money_amount")
    # other operators see the type as Postgres prints it
    assert pg.get_column_type(table, "c_vc", AssertionOperator["contains"], "varying") == "character varying(50)"
    with pytest.raises(AssertionError, match=rf"type of column {scratch}\.types\.c_vc"):
        pg.get_column_type(table, "c_vc", AssertionOperator["contains"], "varchar")


def test_the_schema_file_compares_types_with_the_same_rule(pg, raw, scratch, tmp_path):
    build_types(raw, scratch)
    path = tmp_path / "types.yaml"

    def write(types: dict) -> None:
        columns = {c: {"type": t.format(schema=scratch)} for c, t in types.items()}
        path.write_text(yaml.safe_dump({"schemas": {scratch: {"tables": {"types": {"columns": columns}}}}}))

    last = {column: spellings[-1] for column, (_, spellings) in SPELLINGS.items()}
    first = {column: spellings[0] for column, (_, spellings) in SPELLINGS.items()}
    for spelled in (first, last):
        write(spelled)
        assert pg.get_schema_differences(str(path), report_unexpected=False) == []
    write({**last, "c_ts": "timestamptz", "c_texts": "text"})
    diffs = pg.get_schema_differences(str(path), report_unexpected=False)
    assert sorted(diffs) == [
        f"different  column {scratch}.types.c_texts: type expected text, found text[]",
        f"different  column {scratch}.types.c_ts: type expected timestamptz, found timestamp without time zone",
    ]


@pytest.mark.parametrize(
    "a, b",
    [
        ("timestamp", "timestamp without time zone"),
        ("timestamptz(3)", "timestamp(3) with time zone"),
        ("p_name varchar, p_at timestamptz", "p_name character varying, p_at timestamp with time zone"),
        ("TABLE(n int, t timestamp)", "TABLE(n integer, t timestamp without time zone)"),
        ("p_int int4", "p_int integer"),
        ("_varchar", "character varying[]"),
    ],
)
def test_normalize_type_gives_one_spelling(a, b):
    from crosscheck.postgres.schemafile import normalize_type

    assert normalize_type(a) == normalize_type(b)
    assert "without time without" not in normalize_type(a)
