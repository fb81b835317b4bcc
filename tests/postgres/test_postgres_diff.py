"""The schema diff and the expected-schema file on their own, without a database: pure engines."""

from __future__ import annotations

import pytest

from crosscheck.errors import ConfigurationError
from crosscheck.postgres.diff import Difference, changes, diff, render
from crosscheck.postgres.schemafile import (
    dump_yaml,
    only_schemas,
    parse_expected,
    to_expected,
    types_match,
)


def catalog_picture(**tables) -> dict:
    """What ``catalog.read_schema`` returns for schema ``app`` holding ``tables``."""
    return {
        "extensions": {"plpgsql": {"version": "1.0", "schema": "pg_catalog"}},
        "schemas": {
            "app": {
                "exists": True,
                "tables": tables,
                "views": {},
                "functions": {
                    "get_universe": [
                        {
                            "arguments": "p_name text",
                            "arguments_with_defaults": "p_name text",
                            "argument_types": ["text"],
                            "returns": "jsonb",
                            "kind": "function",
                            "language": "sql",
                        }
                    ]
                },
            }
        },
    }


def table(**columns) -> dict:
    return {
        "columns": {name: {"type": type_, "nullable": True, "default": None} for name, type_ in columns.items()},
        "indexes": {},
        "constraints": {},
        "foreign_keys": {},
    }


LIVE = catalog_picture(
    entries=table(id="bigint", name="character varying(50)", seen="timestamp without time zone"),
    cc_1_scratch=table(id="integer"),
)


def test_a_file_written_from_the_catalog_matches_it_and_skips_scratch_objects():
    expected = to_expected(LIVE)
    assert list(expected["schemas"]["app"]["tables"]) == ["entries"]
    assert diff(parse_expected(expected), LIVE) == []


def test_every_difference_at_once_in_a_stable_order():
    expected = parse_expected(
        {
            "schemas": {
                "app": {
                    "tables": {
                        "entries": {"columns": {"id": "int8", "name": "varchar(40) not null", "price": "numeric"}},
                        "orders": {},
                    },
                    "functions": {"get_universe": [{"arguments": "p_name varchar", "returns": "jsonb"}]},
                },
                "missing_schema": {},
            }
        }
    )
    found = diff(expected, LIVE)
    assert [str(d) for d in found] == [
        "missing    column app.entries.price: numeric",
        "missing    table app.orders",
        "different  column app.entries.name: type expected varchar(40), found character varying(50)",
        "different  column app.entries.name: nullable expected false, found true",
        (
            "different  function app.get_universe: signature expected (p_name varchar) returns jsonb, "
            "found (p_name text) returns jsonb"
        ),
        "unexpected column app.entries.seen: timestamp without time zone",
        "missing    schema missing_schema",
    ]
    assert render(found[:1]) == "  missing    column app.entries.price: numeric"
    assert [str(d) for d in diff(expected, LIVE, report_unexpected=False)] == [
        str(d) for d in found if d.problem != "unexpected"
    ]


def test_ignore_patterns_and_narrowing_to_schemas():
    expected = parse_expected(
        {
            "ignore": ["app.entries.s*"],
            "schemas": {"app": {"tables": {"entries": {"columns": {"id": "bigint", "name": "varchar(50)"}}}}},
        }
    )
    assert diff(expected, LIVE) == []
    narrowed = only_schemas(expected, "other")
    assert list(narrowed["schemas"]) == ["other"] and list(expected["schemas"]) == ["app"]
    assert diff(narrowed, {"extensions": {}, "schemas": {"other": {"exists": False}}}) == [
        Difference("missing", "schema", "other")
    ]


def test_changes_between_two_snapshots():
    after = catalog_picture(entries=table(id="bigint", name="text"), prices=table(id="integer"))
    assert changes(LIVE, after) == [
        "- column app.entries.seen",
        "~ column app.entries.name: type expected character varying(50), found text",
        "+ table app.prices",
    ]
    assert changes(LIVE, LIVE) == []


def test_types_compare_in_any_spelling_and_schemas_by_name():
    assert types_match("timestamptz", "timestamp with time zone")
    assert types_match("_int4", "integer[]")
    assert types_match("money_amount", "app.money_amount")
    assert not types_match("other.money_amount", "app.money_amount")
    assert not types_match("varchar(40)", "character varying(50)")


def test_bad_files_fail_with_the_fix():
    with pytest.raises(ConfigurationError, match="unknown top-level keys"):
        parse_expected({"tables": {}})
    with pytest.raises(ConfigurationError, match="must be a mapping"):
        parse_expected({"schemas": {"app": ["entries"]}})


def test_yaml_puts_one_column_on_a_line():
    text = dump_yaml(to_expected(LIVE), "header line")
    assert text.startswith("# header line\n")
    assert "id: {type: bigint, nullable: true}" in text
