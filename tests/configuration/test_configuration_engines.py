"""The pure engines of crosscheck.Configuration: the layer grammar, files, canaries, rules, precedence values."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest

from crosscheck.configuration import files, rules
from crosscheck.configuration.canaries import Canaries, canary_value, encodings, secret_keys
from crosscheck.configuration.layers import parse_layers, parse_order, variable
from crosscheck.configuration.precedence import derive_values, same
from crosscheck.errors import ConfigurationError


def test_layers_get_the_names_a_loader_reports_as_sources():
    layers = parse_layers(
        "defaults, file:config/a.toml, file:config/a.{env}.toml, dotenv:.env, environment, argument:--set {key}={value}"
    )
    assert [layer.name for layer in layers] == [
        "defaults",
        "file",
        "environment-file",
        "dotenv",
        "environment",
        "command-line",
    ]
    assert layers[2].path("staging") == "config/a.staging.toml"
    assert layers[5].arguments("port", "1 2") == ["--set", "port=1 2"]
    named = parse_layers(["shared=file:config/shared.toml", "file:config/a.toml"])
    assert [layer.name for layer in named] == ["shared", "file"]
    assert parse_order("defaults < file <environment") == ["defaults", "file", "environment"]
    assert variable("APP_", "cache.ttl") == "APP_CACHE__TTL"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("defaults, yaml:config.yml", "is not a configuration layer: write one of defaults, file:<path>"),
        ("file:a.toml, file:b.toml", "two layers are called 'file' (file:a.toml and file:b.toml): name one of them"),
        ("argument:--port", "needs {value} in its template"),
        ("environment:X", "takes nothing after 'environment'"),
        ("file:", "needs a path"),
    ],
)
def test_a_wrong_layer_is_refused_naming_the_fix(text, message):
    with pytest.raises(ConfigurationError, match=message.replace("{", r"\{").replace("(", r"\(").replace(")", r"\)")):
        parse_layers(text)


def test_a_layer_with_env_needs_an_environment_name():
    with pytest.raises(ConfigurationError, match=r"needs an environment name: give env="):
        parse_layers("file:config/a.{env}.toml")[0].path(None)


@pytest.mark.parametrize("name", ["c.toml", "c.json", "c.yaml", "c.ini", ".env"])
def test_a_key_is_written_into_every_format_nested_and_read_back(tmp_path, name):
    path = tmp_path / "config" / name
    line = files.write_key(path, "database.pool", 5, variable="APP_DATABASE__POOL")
    files.write_key(path, "port", 8080, variable="APP_PORT")
    data = files.flatten(files.read(path))
    if name == ".env":
        assert data == {"APP_DATABASE__POOL": "5", "APP_PORT": "8080"} and line == 1
    else:
        assert same(data["database.pool"], 5) and same(data["port"], 8080)
        line = files.line_of(path, "database.pool")
        assert line is not None and "pool" in path.read_text().splitlines()[line - 1]
    assert files.remove_key(path, "port", variable="APP_PORT")
    assert "port" not in files.flatten(files.read(path)) and "APP_PORT" not in files.read(path)


def test_an_unknown_extension_or_bad_content_is_named():
    with pytest.raises(ConfigurationError, match=r"cannot tell the format of settings.conf"):
        files.format_of("settings.conf")
    with pytest.raises(ConfigurationError, match=r"x.toml is not valid TOML"):
        files.parse("port = ", "toml", "x.toml")


def test_canaries_are_found_as_they_are_and_encoded_and_never_shown():
    canaries = Canaries(["api_token"])
    canary = canaries.by_key["api_token"]
    for prefix in ("", "a", "ab", "abc"):
        encoded = base64.b64encode(f"{prefix}:{canary}:tail".encode()).decode()
        assert canaries.scan(f"header {encoded}", "x"), prefix
    assert canaries.scan(f"?t={quote(canary)}", "x")[0].form in ("as it is", "URL-encoded")
    assert canaries.scan(canary.encode().hex(), "x")[0].form == "hex-encoded"
    found = canaries.scan(f"first\nline two {canary} and postgresql://u:realpw@h/db", "service log")
    assert found[0].line == 2 and canary not in found[0].snippet and "realpw" not in found[0].snippet
    assert "<canary of api_token>" in found[0].snippet
    assert canaries.scan("nothing here", "x") == []
    assert len(encodings(canary)) >= 5


def test_secret_keys_by_name_and_by_url_password():
    flat = {"api_token": "", "db_url": "postgresql://u:pw@h/db", "cache_url": "redis://h:6379", "port": 1}
    assert secret_keys(flat) == ["api_token", "db_url"]
    assert canary_value("postgresql://u:***@h:5/db", "canaryX") == "postgresql://u:canaryX@h:5/db"


def test_unsafe_production_values_are_found_and_patterns_can_be_replaced():
    flat = {
        "debug": True,
        "server.reload": "on",
        "log_level": "DEBUG",
        "public_url": "http://localhost:8000",
        "db": "postgresql://u:changeme@db.internal/x",
        "api_token": "changeme",
        "secret_key": "",
        "bind": "10.0.0.1",
    }
    found = {(u.key, u.rule.split(" ")[0]) for u in rules.unsafe_values(flat)}
    assert {k for k, _ in found} == {"debug", "server.reload", "log_level", "public_url", "db", "api_token"}
    assert all(u.value == "***" or "changeme" not in u.value for u in rules.unsafe_values(flat))
    assert rules.unsafe_values({"url": "http://localhost"}, hosts=()) == []


def test_differences_and_missing_keys():
    assert rules.diff({"a": 1, "b": 2}, {"a": "1", "c": 3}) == [("b", 2, rules.ABSENT), ("c", rules.ABSENT, 3)]
    keys = {"dev": {"a", "b"}, "prod": {"a"}, "stage": {"a", "b"}}
    assert rules.key_differences(keys) == {"prod": (["b"], [])}


def test_values_per_layer_follow_the_type_of_the_default():
    assert derive_values(8000, ["file", "env"], "port") == [8001, 8002]
    assert derive_values(False, ["a", "b", "c"], "debug") == [True, False, True]
    assert derive_values("info", ["file"], "log.level") == ["level-from-file"]
    assert derive_values(0.5, ["a"], "ratio") == [1.0]
    with pytest.raises(ConfigurationError, match=r"give one per layer with values="):
        derive_values([1], ["a"], "hosts")
    assert same(8080, "8080") and same(True, "true") and not same(1, 2)
    assert json.loads(json.dumps(derive_values(None, ["a"], "k"))) == ["k-from-a"]
