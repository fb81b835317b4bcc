"""The expected-schema file as complete as the catalog, against a real Postgres: triggers, sequences,
domains, enum labels, partitions and what is declared on them, materialized views, function bodies,
grants and comments; the orphan sweep over partitioned tables. The shop schema is
tests/postgres/data/shop.sql."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from postgres_support import run
from psycopg2 import sql

from crosscheck.errors import CrosscheckError
from crosscheck.postgres import catalog
from crosscheck.postgres.cli import schema_dump
from crosscheck.postgres.schemafile import PARTITION_LIST_LIMIT, load_expected, only_schemas

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def shop(raw, scratch):
    """The shop schema in the test's scratch schema; its reader role is dropped afterwards."""
    reader = f"{scratch}_reader"
    run(raw, sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(reader)))
    try:
        text = (DATA / "shop.sql").read_text().replace("__reader__", f'"{reader}"')
        run(raw, f'SET search_path TO "{scratch}";\n{text}\nRESET search_path;')
        yield scratch, reader
    finally:
        run(raw, "RESET search_path")
        run(raw, sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(scratch)))
        run(raw, sql.SQL("DROP OWNED BY {}; DROP ROLE {}").format(sql.Identifier(reader), sql.Identifier(reader)))


def in_schema(raw, schema: str, statements: str) -> None:
    run(raw, f'SET search_path TO "{schema}";\n{statements};\nRESET search_path;')


def test_the_dump_holds_every_kind_of_object(pg, shop, tmp_path):
    s, reader = shop
    path = tmp_path / "shop.yaml"
    pg.write_expected_schema(str(path), s, function_bodies=True, privileges=True, comments=True)
    body = yaml.safe_load(path.read_text())["schemas"][s]

    assert body["enums"] == {"mood": {"labels": ["sad", "ok", "happy"], "grants": {"PUBLIC": ["USAGE"]}}}
    assert body["domains"]["positive_int"] == {
        "type": "integer",
        "not_null": False,
        "checks": {"positive_int_check": "CHECK (VALUE > 0)"},
        "grants": {"PUBLIC": ["USAGE"]},
    }
    assert body["domains"]["email"]["not_null"] is True
    assert body["sequences"]["order_no_seq"] == {
        "type": "bigint",
        "increment": 1,
        "min": 1,
        "max": 9223372036854775807,
        "start": 1000,
        "cycle": False,
        "owned_by": f"{s}.orders.id",
        "grants": {reader: ["USAGE"]},
    }
    assert body["sequences"]["products_id_seq"]["owned_by"] == f"{s}.products.id"  # the identity column's
    assert body["triggers"]["customers_touch on customers"] == {
        "timing": "before",
        "events": ["update"],
        "level": "row",
        "function": f"{s}.touch_updated_at()",
        "enabled": True,
    }
    assert body["triggers"]["orders_audit on orders"] == {
        "timing": "after",
        "events": ["insert", "update of quantity"],
        "level": "row",
        "function": f"{s}.order_noted('audit')",
        "enabled": True,
        "when": "new.quantity IS NOT NULL",
    }
    assert len(body["triggers"]) == 2  # the clones of orders_audit on each partition are not listed

    orders = body["tables"]["orders"]
    assert orders["partition_key"] == "RANGE (ordered_on)"
    assert orders["comment"] == "one row per order, partitioned by year"
    assert orders["grants"] == {reader: ["INSERT", "SELECT"]}
    assert orders["partitions"] == {
        "orders_2024": {
            "bounds": "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
            "indexes": {"orders_2024_product_idx": {"columns": ["product_id"], "unique": False, "method": "btree"}},
            "foreign_keys": {
                "orders_2024_product_id_fkey": {
                    "columns": ["product_id"],
                    "references": f"{s}.products",
                    "referenced_columns": ["id"],
                    "on_delete": "no action",
                    "on_update": "no action",
                }
            },
        },
        "orders_2025": {"bounds": "FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')"},
        "orders_rest": {"bounds": "DEFAULT"},
    }
    assert "orders_2024" not in body["tables"]  # partitions live under their table
    assert body["tables"]["customers"]["columns"]["email"]["comment"] == "where receipts go"

    matview = body["views"]["monthly_quantities"]
    assert matview["materialized"] is True and matview["definition_digest"].startswith("sha256:")
    assert matview["indexes"] == {"monthly_quantities_month": {"columns": ["month"], "unique": True, "method": "btree"}}
    assert body["views"]["customer_orders"]["definition_digest"].startswith("sha256:")  # plain views too
    assert body["functions"]["largest"][0]["kind"] == "aggregate"
    assert body["functions"]["order_total"][0]["body_digest"] == catalog.digest("RETURN (p_quantity * p_price)")
    assert body["functions"]["order_total"][0]["grants"] == {"PUBLIC": ["EXECUTE"], reader: ["EXECUTE"]}

    pg.database_schema_should_match(str(path))

    plain = tmp_path / "plain.yaml"
    pg.write_expected_schema(str(plain), s)
    text = plain.read_text()
    assert "body_digest" not in text and "grants" not in text and "comment" not in text
    assert "triggers:" in text and "sequences:" in text and "partition_key: RANGE (ordered_on)" in text
    pg.database_schema_should_match(str(plain))


# Each mutation and the lines it adds to the differences ({s}: the schema, {r}: the reader role).
MUTATIONS = [
    (
        "DROP TRIGGER customers_touch ON customers",
        [
            "missing    trigger customers_touch on {s}.customers: before update, for each row, executes {s}.touch_updated_at()"
        ],
    ),
    (
        "ALTER TYPE mood ADD VALUE 'ecstatic' AFTER 'happy'",
        ["different  enum {s}.mood: label 'ecstatic' added after 'happy'"],
    ),
    (
        "ALTER DOMAIN positive_int DROP CONSTRAINT positive_int_check",
        ["different  domain {s}.positive_int: check positive_int_check missing: CHECK (VALUE > 0)"],
    ),
    (
        "ALTER TABLE orders_2024 DROP CONSTRAINT orders_2024_product_id_fkey",
        [
            "missing    foreign key {s}.orders_2024.orders_2024_product_id_fkey: (product_id) -> {s}.products (id); "
            "on partition {s}.orders_2024 of {s}.orders"
        ],
    ),
    (
        "ALTER SEQUENCE order_no_seq INCREMENT BY 5",
        ["different  sequence {s}.order_no_seq: increment expected 1, found 5"],
    ),
    (
        "CREATE OR REPLACE FUNCTION order_total(p_quantity integer, p_price integer) RETURNS integer "
        "LANGUAGE sql IMMUTABLE RETURN p_quantity * p_price + 1",
        [
            "different  function {s}.order_total(p_quantity integer, p_price integer) returns integer: "
            "body digest expected {old_body}, found {new_body}"
        ],
    ),
    ('REVOKE INSERT ON orders FROM "{r}"', ["different  table {s}.orders: grant INSERT to {r} missing"]),
    (
        "ALTER TABLE orders DISABLE TRIGGER orders_audit",
        ["different  trigger orders_audit on {s}.orders: enabled expected true, found false"],
    ),
    (
        "ALTER TABLE orders DETACH PARTITION orders_rest",
        [
            "missing    partition {s}.orders_rest: of {s}.orders, DEFAULT",
            "unexpected table {s}.orders_rest",
        ],
    ),
    (
        "DROP INDEX monthly_quantities_month",
        ["missing    index {s}.monthly_quantities.monthly_quantities_month: on (month)"],
    ),
    (
        "COMMENT ON TABLE orders IS 'orders by year'",
        ["different  table {s}.orders: comment expected one row per order, partitioned by year, found orders by year"],
    ),
    (
        "CREATE DOMAIN percent AS integer CHECK (VALUE BETWEEN 0 AND 100)",
        ["unexpected domain {s}.percent"],
    ),
]


def test_each_mutation_is_reported_by_name(pg, raw, shop, tmp_path):
    s, reader = shop
    path = tmp_path / "shop.yaml"
    pg.write_expected_schema(str(path), s, function_bodies=True, privileges=True, comments=True)
    assert pg.get_schema_differences(str(path)) == []
    old_body = catalog.read_functions(raw, s)["order_total"][0]["body_digest"]
    seen: list[str] = []
    for statement, added in MUTATIONS:
        in_schema(raw, s, statement.format(r=reader))
        new_body = catalog.read_functions(raw, s)["order_total"][0]["body_digest"]
        now = pg.get_schema_differences(str(path))
        expected = [line.format(s=s, r=reader, old_body=old_body, new_body=new_body) for line in added]
        assert sorted(set(now) - set(seen)) == sorted(expected), statement
        assert set(seen) <= set(now), statement
        seen = now
    assert len(seen) == 13
    with pytest.raises(CrosscheckError) as err:
        pg.database_schema_should_match(str(path))
    message = str(err.value)
    assert message.startswith(f"Schema of database {pg.ctx.database} differs from {path} (13 differences):\n  missing")
    assert message.splitlines()[1:] == [f"  {line}" for line in seen]


def test_without_the_options_bodies_and_grants_are_not_checked(pg, raw, shop, tmp_path):
    s, reader = shop
    path = tmp_path / "plain.yaml"
    pg.write_expected_schema(str(path), s)
    in_schema(
        raw,
        s,
        f"CREATE OR REPLACE FUNCTION order_total(p_quantity integer, p_price integer) RETURNS integer "
        f'LANGUAGE sql IMMUTABLE RETURN 0; REVOKE ALL ON orders FROM "{reader}"; '
        f"COMMENT ON TABLE orders IS NULL",
    )
    assert pg.get_schema_differences(str(path)) == []


def test_many_partitions_are_written_as_a_count(pg, raw, scratch, tmp_path):
    count = PARTITION_LIST_LIMIT + 5
    partitions = "\n".join(
        f"CREATE TABLE events_{i:02d} PARTITION OF events FOR VALUES IN ({i});" for i in range(count)
    )
    in_schema(
        raw,
        scratch,
        f"""CREATE TABLE events (kind int NOT NULL, payload jsonb) PARTITION BY LIST (kind);
        {partitions}
        CREATE INDEX events_03_payload ON events_03 USING gin (payload);""",
    )
    path = tmp_path / "events.yaml"
    pg.write_expected_schema(str(path), scratch)
    table = yaml.safe_load(path.read_text())["schemas"][scratch]["tables"]["events"]
    assert table["partition_key"] == "LIST (kind)"
    assert table["partition_count"] == count
    assert table["partition_bounds_digest"].startswith("sha256:")
    assert table["partitions"] == {
        "events_03": {
            "bounds": "FOR VALUES IN (3)",
            "indexes": {"events_03_payload": {"columns": ["payload"], "unique": False, "method": "gin"}},
        }
    }
    assert pg.get_schema_differences(str(path)) == []
    in_schema(
        raw,
        scratch,
        "ALTER TABLE events DETACH PARTITION events_07; DROP TABLE events_07; DROP INDEX events_03_payload",
    )
    differences = pg.get_schema_differences(str(path))
    assert differences[:2] == [
        f"missing    index {scratch}.events_03.events_03_payload: on (payload); on partition {scratch}.events_03 of {scratch}.events",
        f"different  table {scratch}.events: partitions expected {count}, found {count - 1}",
    ]
    assert differences[2].startswith(
        f"different  table {scratch}.events: partition bounds digest expected {table['partition_bounds_digest']}, found "
    )
    assert len(differences) == 3
    # a partition the file leaves out had no objects of its own: one added to it is reported
    in_schema(raw, scratch, "CREATE INDEX events_05_kind ON events_05 (kind)")
    assert (
        f"unexpected index {scratch}.events_05.events_05_kind: on (kind); on partition {scratch}.events_05 of {scratch}.events"
        in pg.get_schema_differences(str(path))
    )


def test_schema_dump_options(postgres_url, shop, tmp_path):
    s, reader = shop
    out = tmp_path / "dump.yaml"
    args = ["--database-url", postgres_url, "--schema", s, "-o", str(out)]
    assert schema_dump(args) == 0
    assert "body_digest" not in out.read_text()
    assert schema_dump([*args, "--function-bodies", "--privileges", "--comments"]) == 0
    body = yaml.safe_load(out.read_text())["schemas"][s]
    assert body["functions"]["order_total"][0]["body_digest"].startswith("sha256:")
    assert body["tables"]["customers"]["grants"] == {reader: ["SELECT"]}
    assert body["tables"]["orders"]["comment"] == "one row per order, partitioned by year"


def test_a_file_of_the_earlier_format_still_loads_and_compares(pg, raw, scratch, tmp_path):
    old = DATA / "demo_before_partitions.schema.yaml"
    parsed = load_expected(old)
    assert set(parsed["schemas"]["deepcoder"]["_sections"]) == {"tables", "functions"}
    # the same file for one of its schemas, built here: the sequence behind bigserial and a trigger
    # exist in the database, and the file, having no such sections, does not report them
    path = tmp_path / "old.yaml"
    path.write_text(old.read_text().replace("deepcoder", scratch))
    in_schema(
        raw,
        scratch,
        """CREATE TABLE requests (id bigserial PRIMARY KEY, api_key_id bigint,
               prompt_tokens integer NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
               completion_tokens integer NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
               latency_ms double precision, status varchar(20) NOT NULL DEFAULT 'ok',
               created_at timestamptz NOT NULL DEFAULT now());
           CREATE INDEX requests_created_at_idx ON requests (created_at DESC);
           CREATE FUNCTION no_op() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
           CREATE TRIGGER requests_no_op BEFORE INSERT ON requests FOR EACH ROW EXECUTE FUNCTION no_op()""",
    )
    differences = pg.get_schema_differences(str(path), schemas=scratch)
    assert differences == [f"unexpected function {scratch}.no_op: () returns trigger"]
    narrowed = only_schemas(load_expected(path), scratch)
    assert list(narrowed["schemas"]) == [scratch]


# --- the orphan sweep on partitioned tables ---------------------------------------------


@pytest.fixture
def orphans(raw, shop):
    """Shop rows with an orphan behind the partitioned table's key (in orders_2025) and one behind
    the key declared on orders_2024 only; loaded with the keys' triggers off."""
    s, _ = shop
    in_schema(
        raw,
        s,
        """INSERT INTO customers (email) VALUES ('a@example.org');
           INSERT INTO products (name, price) VALUES ('pen', 2);
           SET session_replication_role = replica;
           INSERT INTO orders (customer_id, product_id, ordered_on, quantity) VALUES
               (1, 1, '2024-03-01', 1), (1, 77, '2024-04-01', 2), (99, NULL, '2025-02-01', 3);
           RESET session_replication_role;""",
    )
    return s


def test_the_sweep_finds_orphans_behind_keys_of_partitioned_tables_and_partitions(pg, raw, orphans):
    s = orphans
    customer = f"  orders_customer_id_fkey: 1 orphan row in {s}.orders (customer_id) -> {s}.customers (id); e.g. (customer_id=99)"
    product = (
        f"  orders_2024_product_id_fkey: 1 orphan row in {s}.orders_2024 (product_id) -> {s}.products (id); "
        "e.g. (product_id=77)"
    )
    with pytest.raises(CrosscheckError) as err:
        pg.foreign_keys_should_have_no_orphans(schema=s)
    assert str(err.value) == f"Foreign keys with orphan rows (2 of 2):\n{customer}\n{product}"

    with pytest.raises(CrosscheckError) as err:  # the partitioned table brings the key of its partition
        pg.foreign_keys_should_have_no_orphans(f"{s}.orders")
    assert str(err.value) == f"Foreign keys with orphan rows (2 of 2):\n{customer}\n{product}"

    with pytest.raises(CrosscheckError) as err:  # a partition: its own key and the one it inherits
        pg.foreign_keys_should_have_no_orphans(f"{s}.orders_2024")
    assert str(err.value) == f"Foreign keys with orphan rows (1 of 2):\n{product}"
    with pytest.raises(
        CrosscheckError, match=rf"orphan rows \(1 of 1\):\n  orders_customer_id_fkey: 1 orphan row in {s}\.orders_2025 "
    ):
        pg.foreign_keys_should_have_no_orphans(f"{s}.orders_2025")

    in_schema(raw, s, "DELETE FROM orders WHERE customer_id = 99 OR product_id = 77")
    assert pg.foreign_keys_should_have_no_orphans(schema=s) == 2
    assert pg.foreign_keys_should_have_no_orphans(f"{s}.orders") == 2
    assert pg.foreign_keys_should_have_no_orphans(f"{s}.orders_2024", f"{s}.orders_rest") == 3


def test_checking_no_key_fails_unless_allowed(pg, raw, shop, scratch):
    s, _ = shop
    with pytest.raises(CrosscheckError) as err:
        pg.foreign_keys_should_have_no_orphans(f"{s}.products")
    assert str(err.value) == (
        f"No foreign key checked in database {pg.ctx.database}: {s}.products declares no foreign key. "
        "Name the tables that hold the foreign keys, or pass allow_none=True if having none is expected."
    )
    assert pg.foreign_keys_should_have_no_orphans(f"{s}.products", allow_none=True) == 0
    in_schema(
        raw,
        s,
        "CREATE TABLE parted (k int) PARTITION BY LIST (k); CREATE TABLE parted_1 PARTITION OF parted FOR VALUES IN (1)",
    )
    with pytest.raises(
        CrosscheckError, match=rf": {s}\.parted declares no foreign key, nor do its 1 partitions\. Name"
    ):
        pg.foreign_keys_should_have_no_orphans(f"{s}.parted")
    empty = f"{s}_empty"
    run(raw, sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(empty)))
    try:
        with pytest.raises(
            CrosscheckError, match=rf"No foreign key checked in database .*: schema {empty} has no tables\. "
        ):
            pg.foreign_keys_should_have_no_orphans(schema=empty)
        assert pg.foreign_keys_should_have_no_orphans(schema=empty, allow_none=True) == 0
        run(raw, sql.SQL("CREATE TABLE {}.t (id int)").format(sql.Identifier(empty)))
        with pytest.raises(CrosscheckError, match=rf"schema {empty} declares no foreign key on its 1 tables\. "):
            pg.foreign_keys_should_have_no_orphans(schema=empty)
    finally:
        run(raw, sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(empty)))
    with pytest.raises(CrosscheckError, match=rf"^Schema {s}_nope does not exist in database "):
        pg.foreign_keys_should_have_no_orphans(schema=f"{s}_nope")


def test_partitions_and_other_relations_are_named_as_what_they_are(pg, shop):
    s, _ = shop
    pg.foreign_key_should_exist(f"{s}.orders_2024", "product_id", f"{s}.products", "id")
    pg.foreign_key_should_exist(f"{s}.orders_2024", "customer_id", f"{s}.customers")  # inherited
    pg.foreign_key_should_exist(f"{s}.orders", "customer_id", f"{s}.customers")
    with pytest.raises(CrosscheckError, match=rf"No foreign key on {s}\.orders_2025 \(product_id\) references"):
        pg.foreign_key_should_exist(f"{s}.orders_2025", "product_id", f"{s}.products")
    pg.index_should_exist(f"{s}.orders_2024", "orders_2024_product_idx", "product_id")
    pg.index_should_exist(f"{s}.orders_2025", "orders_2025_customer_id_idx", "customer_id")  # attached to the parent's
    pg.column_should_exist(f"{s}.orders_rest", "quantity", f"{s}.positive_int")
    with pytest.raises(CrosscheckError) as err:
        pg.foreign_key_should_exist(f"{s}.customer_orders", "id", f"{s}.customers")
    assert str(err.value) == f"{s}.customer_orders is a view, not a table, in database {pg.ctx.database}."
    with pytest.raises(CrosscheckError, match=rf"^{s}\.order_no_seq is a sequence, not a table, in database"):
        pg.foreign_keys_should_have_no_orphans(f"{s}.order_no_seq")
    with pytest.raises(CrosscheckError, match=rf"^Table {s}\.orders_2030 does not exist in database"):
        pg.foreign_keys_should_have_no_orphans(f"{s}.orders_2030")
