"""Contracts engines on their own, without any service: spec compatibility and signature matching."""

from __future__ import annotations

import pytest

from crosscheck.contracts.compat import breaking_changes
from crosscheck.contracts.signatures import compare, load_contract, matches, render
from crosscheck.errors import ConfigurationError


def _spec(paths: dict) -> dict:
    return {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": paths}


def _get(schema: dict) -> dict:
    return {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}}}


def test_additive_changes_are_compatible_and_removals_break():
    old = _spec({"/a": _get({"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]})})
    added = _spec(
        {
            "/a": _get(
                {"type": "object", "properties": {"x": {"type": "integer"}, "y": {"type": "string"}}, "required": ["x"]}
            ),
            "/b": _get({"type": "string"}),
        }
    )
    assert breaking_changes(old, added) == []
    assert [str(c) for c in breaking_changes(old, _spec({}))] == ["/a: path removed"]
    dropped = _spec({"/a": _get({"type": "object", "properties": {}})})
    assert breaking_changes(old, dropped)  # a required response property removed


SIGNATURE = {"arguments": "p_universe_name text", "argument_types": ["text"], "returns": "jsonb"}


def test_a_declared_signature_matches_by_names_or_types_with_or_without_the_result():
    assert render(SIGNATURE) == "p_universe_name text -> jsonb"
    assert matches("p_universe_name  TEXT -> JSONB", SIGNATURE)
    assert matches("text", SIGNATURE)
    assert not matches("integer -> jsonb", SIGNATURE)
    assert not matches("text -> json", SIGNATURE)


def test_every_missing_or_differing_function_is_listed():
    problems, rows = compare({"f": "text", "g": "integer"}, {"f": [SIGNATURE]}, "public")
    assert problems == ["public.g: expected 'integer', got (missing)"]
    assert rows[0] == ["f", "text", "p_universe_name text -> jsonb", "ok"]
    with pytest.raises(ConfigurationError, match="A function contract is a dictionary"):
        load_contract([])
    assert load_contract({"f": {"arguments": "text", "returns": "jsonb"}}) == {"f": "text -> jsonb"}


def test_a_one_of_mismatch_says_why_each_branch_failed():
    from crosscheck.contracts.jsonschema_check import validate

    dog = {"type": "object", "required": ["bark"], "properties": {"bark": {"type": "string"}}}
    cat = {"type": "object", "required": ["claws"], "properties": {"claws": {"type": "integer"}}}
    schema = {"type": "object", "properties": {"pet": {"oneOf": [dog, cat]}}}
    [wrong] = validate({"pet": {"claws": "x"}}, schema)
    assert str(wrong) == (
        "$.pet: expected exactly one branch of oneOf (branch 1: $.pet.bark: expected required property, got (missing); "
        'branch 2: $.pet.claws: expected type "integer", got "x"), got {"claws": "x"}'
    )
    [both] = validate({"pet": {"claws": 1, "bark": "y"}}, schema)
    assert "valid under more than one of branches [1, 2]" in str(both)
