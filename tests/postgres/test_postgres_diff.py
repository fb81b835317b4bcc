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


# --- triggers, sequences, domains, enums, partitions, grants ------------------------------


def picture(**sections) -> dict:
    """A catalog picture of schema ``app`` with ``sections`` (tables, triggers, enums, ...)."""
    body = {"exists": True, "tables": {}, "views": {}, "functions": {}}
    body.update(sections)
    return {"extensions": {}, "schemas": {"app": body}}


def test_enum_labels_added_missing_and_reordered():
    def found(expected, actual):
        parsed = parse_expected({"schemas": {"app": {"enums": {"mood": expected}}}})
        return [str(d) for d in diff(parsed, picture(enums={"mood": {"labels": actual}}))]

    assert found(["sad", "ok"], ["sad", "ok"]) == []
    assert found({"labels": ["sad", "ok"]}, ["meh", "sad", "ok", "happy"]) == [
        "different  enum app.mood: label 'meh' added first, before 'sad'",
        "different  enum app.mood: label 'happy' added after 'ok'",
    ]
    assert found(["sad", "ok", "happy"], ["sad", "happy"]) == ["different  enum app.mood: label 'ok' missing"]
    assert found(["sad", "ok"], ["ok", "sad"]) == [
        "different  enum app.mood: labels expected in the order (sad, ok), found (ok, sad)"
    ]


LIVE_TRIGGER = {
    "table": "orders",
    "name": "orders_audit",
    "timing": "after",
    "events": ["insert", "update"],
    "level": "row",
    "function": "app.audit_row()",
    "enabled": True,
}


def test_triggers_compare_as_written_by_hand():
    live = picture(triggers={"orders_audit on orders": LIVE_TRIGGER})
    for written in (
        {"orders_audit on orders": {"timing": "AFTER", "events": ["update", "insert"], "function": "audit_row"}},
        {"orders_audit": {"table": "orders", "events": "insert OR update", "level": "for each row"}},
        {"orders_audit on app.orders": {"function": "app.audit_row()", "enabled": "origin"}},
    ):
        assert diff(parse_expected({"schemas": {"app": {"triggers": written}}}), live) == [], written
    columns = picture(triggers={"t on orders": {**LIVE_TRIGGER, "events": ["insert", "update of a, b"]}})
    written = {"t on orders": {"events": "update of b, a or insert"}}
    assert diff(parse_expected({"schemas": {"app": {"triggers": written}}}), columns) == []
    wrong = {"orders_audit on orders": {"timing": "before", "enabled": False}, "gone on orders": {"timing": "after"}}
    assert [str(d) for d in diff(parse_expected({"schemas": {"app": {"triggers": wrong}}}), live)] == [
        "missing    trigger gone on app.orders: after",
        "different  trigger orders_audit on app.orders: timing expected before, found after",
        "different  trigger orders_audit on app.orders: enabled expected false, found true",
    ]
    assert [str(d) for d in diff(parse_expected({"schemas": {"app": {"triggers": {}}}}), live)] == [
        "unexpected trigger orders_audit on app.orders: after insert or update, for each row, executes app.audit_row()"
    ]
    with pytest.raises(
        ConfigurationError, match="trigger 'orders_audit' names no table; write it as 'orders_audit on TABLE'"
    ):
        parse_expected({"schemas": {"app": {"triggers": {"orders_audit": {"timing": "after"}}}}})


def test_sequences_domains_and_grants():
    live = picture(
        sequences={
            "n_seq": {
                "type": "bigint",
                "increment": 1,
                "min": 1,
                "max": 10,
                "start": 1,
                "cache": 1,
                "cycle": False,
                "owned_by": None,
                "grants": {"app_reader": ["USAGE"]},
            }
        },
        domains={
            "positive_int": {
                "type": "integer",
                "not_null": False,
                "default": None,
                "checks": {"positive_int_check": "CHECK (VALUE > 0)", "small": "CHECK (VALUE < 9)"},
            }
        },
    )
    expected = parse_expected(
        {
            "schemas": {
                "app": {
                    "sequences": {
                        "n_seq": {
                            "type": "int8",
                            "increment": "5",
                            "cycle": False,
                            "grants": {"app_reader": ["usage", "SELECT"]},
                        }
                    },
                    "domains": {
                        "positive_int": {"type": "int", "checks": {"positive_int_check": "CHECK (VALUE >= 0)"}}
                    },
                }
            }
        }
    )
    assert [str(d) for d in diff(expected, live)] == [
        "different  sequence app.n_seq: increment expected 5, found 1",
        "different  sequence app.n_seq: grant SELECT to app_reader missing",
        "different  domain app.positive_int: check positive_int_check expected CHECK (VALUE >= 0), found CHECK (VALUE > 0)",
        "different  domain app.positive_int: check small unexpected: CHECK (VALUE < 9)",
    ]


def partitioned(**partitions) -> dict:
    info = table(k="integer")
    info.update(partition_key="LIST (k)", partitions=partitions)
    return info


def part(bounds: str, **objects) -> dict:
    return {**table(k="integer"), "bounds": bounds, **objects}


def test_partitions_by_name_bounds_and_count():
    live = picture(
        tables={"events": partitioned(events_1=part("FOR VALUES IN (1)"), events_2=part("FOR VALUES IN (2)"))}
    )
    written = to_expected(live)
    assert written["schemas"]["app"]["tables"]["events"]["partitions"] == {
        "events_1": {"bounds": "FOR VALUES IN (1)"},
        "events_2": {"bounds": "FOR VALUES IN (2)"},
    }
    assert diff(parse_expected(written), live) == []
    expected = parse_expected(
        {
            "schemas": {
                "app": {
                    "tables": {
                        "events": {
                            "partition_key": "list (k)",
                            "partitions": {"events_1": "FOR VALUES IN (1, 3)", "events_9": "FOR VALUES IN (9)"},
                        }
                    }
                }
            }
        }
    )
    assert [str(d) for d in diff(expected, live)] == [
        "missing    partition app.events_9: of app.events, FOR VALUES IN (9)",
        "different  partition app.events_1: of app.events: bounds expected FOR VALUES IN (1, 3), found FOR VALUES IN (1)",
        "unexpected partition app.events_2: of app.events, FOR VALUES IN (2)",
    ]
    counted = parse_expected({"schemas": {"app": {"tables": {"events": {"partition_count": 3}}}}})
    assert [str(d) for d in diff(counted, live)] == ["different  table app.events: partitions expected 3, found 2"]
    with pytest.raises(ConfigurationError, match=r"table app.events has unknown keys \['partition'\]"):
        parse_expected({"schemas": {"app": {"tables": {"events": {"partition": "LIST (k)"}}}}})
    with pytest.raises(ConfigurationError, match=r"schema 'app' has unknown keys \['sequence'\]"):
        parse_expected({"schemas": {"app": {"sequence": {}}}})


def test_changes_name_triggers_and_sequences():
    before = picture(tables={"orders": table(id="bigint")})
    after = picture(
        tables={"orders": table(id="bigint")},
        triggers={"orders_audit on orders": LIVE_TRIGGER},
        sequences={
            "orders_id_seq": {
                "type": "bigint",
                "increment": 1,
                "min": 1,
                "max": 9,
                "start": 1,
                "cache": 1,
                "cycle": False,
                "owned_by": "app.orders.id",
            }
        },
    )
    assert changes(before, after) == ["+ sequence app.orders_id_seq", "+ trigger orders_audit on app.orders"]
