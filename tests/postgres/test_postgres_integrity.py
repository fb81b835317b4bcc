"""Integrity and test-data keywords against a real Postgres: orphans, duplicates, NULLs,
TEST_ rows removed at teardown (also when a Robot test fails), other rows untouched."""

from __future__ import annotations

import textwrap

import pytest
import robot
from postgres_support import run

from crosscheck.assertions import AssertionOperator
from crosscheck.errors import ConfigurationError, CrosscheckError

EQ = AssertionOperator["=="]


@pytest.fixture
def tables(raw, scratch):
    run(
        raw,
        f"""
        SET search_path TO {scratch};
        CREATE TABLE parents (id int PRIMARY KEY, code text UNIQUE);
        CREATE TABLE children (id serial PRIMARY KEY, parent_id int, parent_code text, note text);
        INSERT INTO parents VALUES (1, 'a'), (2, 'b');
        INSERT INTO children (parent_id, parent_code, note) VALUES
            (1, 'a', 'x'), (2, 'b', NULL), (7, 'zz', 'x'), (NULL, NULL, 'x'), (7, 'a', NULL);
        RESET search_path;""",
    )
    return scratch


def test_orphans_of_an_undeclared_relationship(pg, tables):
    s = tables
    assert pg.get_orphan_count(f"{s}.children", "parent_id", f"{s}.parents") == 2
    assert pg.get_orphan_count(f"{s}.children", "parent_code", f"{s}.parents", "code", EQ, 1) == 1
    with pytest.raises(CrosscheckError) as err:
        pg.relationship_should_have_no_orphans(f"{s}.children", "parent_id", f"{s}.parents", "id")
    assert str(err.value) == (f"2 orphan rows in {s}.children (parent_id) -> {s}.parents (id); e.g. (parent_id=7).")
    with pytest.raises(AssertionError, match="orphan rows"):
        pg.get_orphan_count(f"{s}.children", "parent_id", f"{s}.parents", None, EQ, 0)
    with pytest.raises(CrosscheckError, match=rf"Column nope does not exist in {s}\.parents"):
        pg.get_orphan_count(f"{s}.children", "parent_id", f"{s}.parents", "nope")


def test_orphans_behind_a_declared_but_not_validated_foreign_key(pg, raw, tables):
    s = tables
    run(raw, f"DELETE FROM {s}.children WHERE parent_id = 7 AND note IS NULL")
    run(
        raw,
        f"ALTER TABLE {s}.children ADD CONSTRAINT children_parent_fk FOREIGN KEY (parent_id) "
        f"REFERENCES {s}.parents (id) NOT VALID",
    )
    with pytest.raises(CrosscheckError) as err:
        pg.foreign_keys_should_have_no_orphans(schema=s)
    assert f"children_parent_fk: 1 orphan row in {s}.children (parent_id) -> {s}.parents (id)" in str(err.value)
    run(raw, f"DELETE FROM {s}.children WHERE parent_id = 7")
    assert pg.foreign_keys_should_have_no_orphans(f"{s}.children") == 1


def test_duplicates_and_nulls(pg, tables):
    s = tables
    assert pg.get_duplicate_count(f"{s}.children", "note") == 2  # 'x' three times
    assert pg.get_duplicate_count(f"{s}.children", "parent_id, note", EQ, 0) == 0
    with pytest.raises(
        CrosscheckError,
        match=rf"2 duplicate rows on {s}\.children \(note\); e\.g\. "
        r"\(note='x'\) x3",
    ):
        pg.values_should_be_unique(f"{s}.children", "note")
    pg.values_should_be_unique(f"{s}.children", ["id"])
    assert pg.get_null_count(f"{s}.children", "note", EQ, 2) == 2
    with pytest.raises(AssertionError, match="NULLs in"):
        pg.get_null_count(f"{s}.children", "note", EQ, 0)
    with pytest.raises(CrosscheckError, match=rf"NULLs in {s}\.children: parent_id \(1 row\), note \(2 rows\)\."):
        pg.columns_should_have_no_nulls(f"{s}.children", "id", "parent_id", "note")
    with pytest.raises(CrosscheckError, match=rf"Table {s}\.nope does not exist"):
        pg.get_null_count(f"{s}.nope", "x")


def test_test_rows_are_registered_and_only_they_are_deleted(pg, raw, tables):
    s = tables
    row = pg.insert_test_row(f"{s}.parents", id=10, code="TEST_ten")
    assert row == {"id": 10, "code": "TEST_ten"}
    pg.insert_test_row(f"{s}.children", parent_id=10, parent_code="TEST_ten", note=None)
    run(raw, f"INSERT INTO {s}.parents VALUES (11, 'TEST_not_registered')")
    pg.register_test_row(f"{s}.parents", code="TEST_not_registered")
    run(raw, f"INSERT INTO {s}.parents VALUES (12, 'TEST_stranger')")
    assert pg.get_test_row_count(f"{s}.parents", "code") == 3
    assert pg.delete_test_rows() == 3
    assert run(raw, f"SELECT id, code FROM {s}.parents ORDER BY id") == [(1, "a"), (2, "b"), (12, "TEST_stranger")]
    assert run(raw, f"SELECT count(*) FROM {s}.children WHERE parent_id = 10") == [(0,)]


def test_test_rows_must_carry_the_prefix(pg, tables):
    with pytest.raises(ConfigurationError, match="at least one text value starting with 'TEST_'"):
        pg.insert_test_row(f"{tables}.parents", id=20, code="prod_row")
    with pytest.raises(ConfigurationError, match="starting with 'TEST_'"):
        pg.register_test_row(f"{tables}.parents", code="a")
    with pytest.raises(CrosscheckError, match="duplicate key value"):
        pg.insert_test_row(f"{tables}.parents", id=1, code="TEST_dup")


def test_rows_and_schemas_are_removed_when_a_robot_test_fails(postgres_url, raw, tables, tmp_path):
    s = tables
    suite = tmp_path / "cleanup.robot"
    suite.write_text(
        textwrap.dedent(f"""\
        *** Settings ***
        Library    crosscheck.Postgres    {postgres_url}

        *** Test Cases ***
        Failing Test Leaves Nothing Behind
            Insert Test Row    {s}.parents    id=30    code=TEST_robot
            ${{schema}} =    Create Scratch Schema    robot
            Set Suite Metadata    scratch    ${{schema}}
            Fail    on purpose
        """)
    )
    rc = robot.run(
        str(suite),
        outputdir=str(tmp_path),
        output="output.xml",
        log="NONE",
        report="NONE",
        stdout=open(tmp_path / "out.txt", "w"),
    )
    assert rc == 1
    assert run(raw, f"SELECT count(*) FROM {s}.parents WHERE code = 'TEST_robot'") == [(0,)]
    from robot.api import ExecutionResult

    scratch_schema = ExecutionResult(str(tmp_path / "output.xml")).suite.metadata["scratch"]
    assert scratch_schema.startswith("cc_")
    assert run(raw, "SELECT count(*) FROM pg_namespace WHERE nspname = %s", (scratch_schema,)) == [(0,)]


def test_a_cleanup_that_fails_fails_its_test(postgres_url, raw, tables, tmp_path):
    s = tables
    (tmp_path / "behind_the_back.py").write_text(
        textwrap.dedent("""\
        import psycopg2

        def rename_table(url, table, new_name):
            conn = psycopg2.connect(url)
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f"ALTER TABLE {table} RENAME TO {new_name}")
            conn.close()
        """)
    )
    suite = tmp_path / "stuck.robot"
    suite.write_text(
        textwrap.dedent(f"""\
        *** Settings ***
        Library    crosscheck.Postgres    {postgres_url}
        Library    {tmp_path / "behind_the_back.py"}

        *** Test Cases ***
        Row That Cannot Be Deleted
            Insert Test Row    {s}.parents    id=31    code=TEST_stuck
            Rename Table    {postgres_url}    {s}.parents    moved

        Next Test Runs Clean
            No Operation
        """)
    )
    with open(tmp_path / "out.txt", "w") as out:
        robot.run(str(suite), outputdir=str(tmp_path), output="output.xml", log="NONE", report="NONE", stdout=out)
    from robot.api import ExecutionResult

    tests = {t.name: t for t in ExecutionResult(str(tmp_path / "output.xml")).suite.all_tests}
    stuck = tests["Row That Cannot Be Deleted"]
    assert stuck.status == "FAIL"
    assert stuck.message.startswith(f"crosscheck.Postgres cleanup failed: delete test row {s}.parents id=31: ")
    assert "does not exist" in stuck.message
    assert tests["Next Test Runs Clean"].status == "PASS"
    assert run(raw, f"SELECT count(*) FROM {s}.moved WHERE code = 'TEST_stuck'") == [(1,)]
