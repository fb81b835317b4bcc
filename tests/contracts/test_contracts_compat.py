"""Contracts: breaking changes between two OpenAPI documents."""

from __future__ import annotations

import copy
import json

import pytest

from crosscheck.contracts import Contracts
from crosscheck.errors import CrosscheckError

V1 = {
    "openapi": "3.0.3",
    "info": {"title": "demo", "version": "1.0"},
    "paths": {
        "/v1/universes/{name}": {
            "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": {
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Universe"}}},
                    }
                }
            },
            "put": {
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["symbols"],
                                "properties": {
                                    "symbols": {"type": "array", "items": {"type": "string"}},
                                    "category": {"type": "string", "enum": ["etf", "stock", "bond"]},
                                    "weight": {"type": "number", "maximum": 100},
                                },
                            }
                        }
                    },
                },
                "responses": {"200": {"description": "ok"}, "422": {"description": "bad"}},
            },
        },
        "/v1/search": {"post": {"responses": {"200": {"description": "ok"}}}},
    },
    "components": {
        "schemas": {
            "Universe": {
                "type": "object",
                "required": ["name", "symbols"],
                "properties": {
                    "name": {"type": "string"},
                    "symbols": {"type": "array", "items": {"type": "string"}},
                    "status": {"type": "string", "enum": ["active", "retired"]},
                },
            }
        }
    },
}


def _write(tmp_path, name, spec):
    path = tmp_path / name
    path.write_text(json.dumps(spec))
    return str(path)


def _breaks(tmp_path, change):
    new = copy.deepcopy(V1)
    new["info"]["version"] = "2.0"
    change(new)
    return Contracts().get_breaking_changes(_write(tmp_path, "v1.json", V1), _write(tmp_path, "v2.json", new))


def test_identical_documents_are_compatible(tmp_path):
    lib = Contracts()
    lib.openapi_changes_should_be_compatible(_write(tmp_path, "a.json", V1), _write(tmp_path, "b.json", V1))


def test_additive_changes_are_compatible(tmp_path):
    def add(spec):
        spec["paths"]["/v1/health"] = {"get": {"responses": {"200": {"description": "ok"}}}}
        put = spec["paths"]["/v1/universes/{name}"]["put"]
        put["requestBody"]["content"]["application/json"]["schema"]["properties"]["note"] = {"type": "string"}
        put["requestBody"]["content"]["application/json"]["schema"]["properties"]["category"]["enum"].append("fund")
        put["parameters"] = [{"name": "dry_run", "in": "query", "schema": {"type": "boolean"}}]
        spec["components"]["schemas"]["Universe"]["properties"]["count"] = {"type": "integer"}
        spec["paths"]["/v1/universes/{name}"]["get"]["responses"]["404"] = {"description": "unknown"}

    assert _breaks(tmp_path, add) == []


def test_endpoint_removed_in_new_version_fails_with_precise_message(tmp_path):
    old = _write(tmp_path, "v1.json", V1)
    new_spec = copy.deepcopy(V1)
    new_spec["info"]["version"] = "2.0"
    del new_spec["paths"]["/v1/search"]
    with pytest.raises(CrosscheckError) as err:
        Contracts().openapi_changes_should_be_compatible(old, _write(tmp_path, "v2.json", new_spec))
    assert str(err.value) == "1 breaking change from demo 1.0 to demo 2.0: /v1/search: path removed"


def test_operation_removed(tmp_path):
    assert _breaks(tmp_path, lambda s: s["paths"]["/v1/universes/{name}"].pop("put")) == [
        "PUT /v1/universes/{name}: operation removed"
    ]


def test_newly_required_request_field(tmp_path):
    def require(spec):
        schema = spec["paths"]["/v1/universes/{name}"]["put"]["requestBody"]["content"]["application/json"]["schema"]
        schema["required"].append("category")

    assert _breaks(tmp_path, require) == ["PUT /v1/universes/{name} request body $.category: became required"]


def test_new_required_parameter(tmp_path):
    def param(spec):
        spec["paths"]["/v1/search"]["post"]["parameters"] = [
            {"name": "tenant", "in": "header", "required": True, "schema": {"type": "string"}}
        ]

    assert _breaks(tmp_path, param) == ["POST /v1/search header parameter 'tenant': added as required"]


def test_narrowed_type_enum_and_bound(tmp_path):
    def narrow(spec):
        props = spec["paths"]["/v1/universes/{name}"]["put"]["requestBody"]["content"]["application/json"]["schema"][
            "properties"
        ]
        props["weight"] = {"type": "integer", "maximum": 10}
        props["category"]["enum"] = ["etf"]

    found = _breaks(tmp_path, narrow)
    where = "PUT /v1/universes/{name} request body $"
    assert f"{where}.weight: type narrowed from ['number'] to ['integer']" in found
    assert f"{where}.weight: maximum tightened from 100 to 10" in found
    assert f"{where}.category: enum narrowed: ['stock', 'bond'] no longer accepted" in found
    assert len(found) == 3


def test_changed_status_code(tmp_path):
    def status(spec):
        responses = spec["paths"]["/v1/search"]["post"]["responses"]
        responses["201"] = responses.pop("200")

    assert _breaks(tmp_path, status) == ["POST /v1/search: response status 200 removed (now 201)"]


def test_response_field_removed_renamed_or_retyped(tmp_path):
    def change(spec):
        universe = spec["components"]["schemas"]["Universe"]
        universe["properties"]["tickers"] = universe["properties"].pop("symbols")
        universe["required"] = ["name", "tickers"]
        universe["properties"]["name"] = {"type": "integer"}
        universe["properties"]["status"]["enum"].append("frozen")

    found = _breaks(tmp_path, change)
    where = "GET /v1/universes/{name} 200 response body $"
    assert found == [
        f"{where}.name: type changed from ['string'] to ['integer']",
        f"{where}.symbols: removed from the response",
    ]


def test_a_response_enum_that_gained_a_value_is_a_warning(tmp_path):
    new = copy.deepcopy(V1)
    new["components"]["schemas"]["Universe"]["properties"]["status"]["enum"].append("frozen")
    old_file, new_file = _write(tmp_path, "v1.json", V1), _write(tmp_path, "v2.json", new)
    assert Contracts().get_breaking_changes(old_file, new_file) == []
    assert Contracts().get_compatibility_warnings(old_file, new_file) == [
        "GET /v1/universes/{name} 200 response body $.status: enum widened: ['frozen'] may now be returned"
    ]


def test_a_dangling_ref_names_the_file_the_reference_and_the_place(tmp_path):
    new = copy.deepcopy(V1)
    new["paths"]["/v1/universes/{name}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/Missing"
    }
    new_file = _write(tmp_path, "v2.json", new)
    with pytest.raises(CrosscheckError) as err:
        Contracts().get_breaking_changes(_write(tmp_path, "v1.json", V1), new_file)
    message = str(err.value)
    assert "$ref '#/components/schemas/Missing'" in message and new_file in message, message
    assert "GET /v1/universes/{name} 200 response body $" in message, message
    assert "Universe" not in message  # the document itself is not printed


def test_paths_given_as_a_list_names_the_file_and_the_section(tmp_path):
    new = copy.deepcopy(V1)
    new["paths"] = [{"/v1/search": {}}]
    new_file = _write(tmp_path, "v2.json", new)
    with pytest.raises(CrosscheckError, match=r"'paths' in .*v2\.json is a list, expected a mapping"):
        Contracts().get_breaking_changes(_write(tmp_path, "v1.json", V1), new_file)


def test_a_renamed_path_parameter_is_the_same_path_and_its_rules_are_listed(tmp_path):
    new = copy.deepcopy(V1)
    item = new["paths"].pop("/v1/universes/{name}")
    item["parameters"][0]["name"] = "universe"
    item["parameters"][0]["schema"] = {"type": "integer"}
    new["paths"]["/v1/universes/{universe}"] = item
    old_file, new_file = _write(tmp_path, "v1.json", V1), _write(tmp_path, "v2.json", new)
    assert Contracts().get_breaking_changes(old_file, new_file) == [
        "GET /v1/universes/{name} path parameter 'name': type narrowed from ['string'] to ['integer']",
        "PUT /v1/universes/{name} path parameter 'name': type narrowed from ['string'] to ['integer']",
    ]
    assert Contracts().get_compatibility_rules(old_file, new_file, "ALL") == ["request-parameter-type-changed"]
    with pytest.raises(CrosscheckError, match="Level must be ERR, WARN or ALL"):
        Contracts().get_compatibility_rules(old_file, new_file, "INFO")


def _with_external_universe(tmp_path, name, required):
    """A copy of V1 whose Universe schema lives in ``schemas/<name>.yaml``, itself pointing to a third file."""
    (tmp_path / "schemas").mkdir(exist_ok=True)
    universe = copy.deepcopy(V1["components"]["schemas"]["Universe"])
    universe["required"] = required
    universe["properties"]["symbols"] = {"$ref": "common.json#/Symbols"}
    (tmp_path / "schemas" / f"{name}.yaml").write_text(json.dumps({"Universe": universe}))
    (tmp_path / "schemas" / "common.json").write_text(json.dumps({"Symbols": {"type": "array", "items": {}}}))
    spec = copy.deepcopy(V1)
    spec["components"]["schemas"]["Universe"] = {"$ref": f"schemas/{name}.yaml#/Universe"}
    return _write(tmp_path, f"{name}.json", spec)


def test_references_to_other_files_are_followed_relative_to_the_file_holding_them(tmp_path):
    old = _with_external_universe(tmp_path, "v1", ["name", "symbols"])
    new = _with_external_universe(tmp_path, "v2", ["name"])
    assert Contracts().get_breaking_changes(old, new) == [
        "GET /v1/universes/{name} 200 response body $.symbols: no longer required (may be missing from the response)"
    ]


def test_a_reference_to_a_missing_file_names_the_reference_and_the_file(tmp_path):
    spec = copy.deepcopy(V1)
    spec["components"]["schemas"]["Universe"] = {"$ref": "schemas/gone.yaml#/Universe"}
    new_file = _write(tmp_path, "v2.json", spec)
    with pytest.raises(CrosscheckError) as err:
        Contracts().get_breaking_changes(_write(tmp_path, "v1.json", V1), new_file)
    message = str(err.value)
    assert "$ref 'schemas/gone.yaml#/Universe' in v2.json points to" in message and "gone.yaml" in message, message
    assert "cannot be read" in message, message
