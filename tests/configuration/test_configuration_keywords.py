"""crosscheck.Configuration keywords against two real systems: ``good`` (a layered loader that does what
it documents) and ``faulty`` (the same with seeded defects). Every pass path and every failure message."""

from __future__ import annotations

import re

import psutil
import pytest
import requests
from configuration_support import PYTHON, SYSTEMS, kw, register

from crosscheck.assertions import AssertionOperator
from crosscheck.errors import ConfigurationError, CrosscheckError

OP = AssertionOperator
CANARY = re.compile(r"canary[0-9a-f]{20}")
ENV_FILES = ("config/app.development.toml", "config/app.staging.toml", "config/app.production.toml")


def snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- loading -------------------------------------------------------------------------------------


def test_load_configuration_returns_the_effective_values_and_never_touches_the_system(lib):
    before = snapshot(SYSTEMS / "good")
    config = kw(lib, "Load Configuration", "good")
    assert config["port"] == 8000 and config["cache.ttl"] == 5 and config["log_level"] == "info"
    config = kw(
        lib,
        "Load Configuration",
        "good",
        env="production",
        environment={"APP_WORKERS": "7"},
        arguments=["--set", "port=1"],
        files={"config/app.toml": "config_version = 2\nport = 3\n"},
    )
    assert (config["workers"], config["port"], config["cache.ttl"]) == (7, 1, 300)
    # arguments written as text, as a suite writes them, read the same by both keywords
    assert kw(lib, "Load Configuration", "good", arguments="--set, port=2")["port"] == 2
    assert kw(lib, "Get Configuration Value", "good", "port", arguments="--set, port=2") == 2
    assert snapshot(SYSTEMS / "good") == before


def test_a_python_function_is_a_loader_too(lib):
    kw(lib, "Use Configuration Loader", "py", python="app:effective", folder=SYSTEMS / "good", prefix="APP_")
    assert kw(lib, "Load Configuration", "py", environment={"APP_PORT": "9"})["port"] == 9
    with pytest.raises(CrosscheckError, match=r"gave no configuration: it exited with 2: .*port: expected an integer"):
        kw(lib, "Load Configuration", "py", environment={"APP_PORT": "x"})


def test_get_configuration_value_asserts_with_the_value_s_type(lib):
    assert kw(lib, "Get Configuration Value", "good", "port", OP["=="], "8000") == 8000
    kw(lib, "Get Configuration Value", "good", "debug", OP["=="], "false", env="production")
    with pytest.raises(AssertionError, match=r"port in the configuration of good \(from file\)"):
        kw(lib, "Get Configuration Value", "good", "port", OP["=="], "8001")
    with pytest.raises(CrosscheckError, match=r"the configuration of good has no key 'nope'; its keys: port, workers"):
        kw(lib, "Get Configuration Value", "good", "nope")


def test_a_loader_that_fails_or_is_missing_is_named(lib):
    with pytest.raises(CrosscheckError, match=r"configuration loader of good \(.*app.py config --env development\) "):
        kw(lib, "Load Configuration", "good", environment={"APP_PORT": "abc"})
    with pytest.raises(
        ConfigurationError, match=r"no configuration loader is called 'other' \(registered: faulty, good\)"
    ):
        kw(lib, "Load Configuration", "other")
    kw(lib, "Use Configuration Loader", "gone", command="no-such-loader-command config")
    with pytest.raises(ConfigurationError, match=r"'no-such-loader-command' is not found"):
        kw(lib, "Load Configuration", "gone")
    kw(lib, "Use Configuration Loader", "text", command=f"{PYTHON} -c print(1)")
    with pytest.raises(CrosscheckError, match=r"it printed no JSON object; it printed: 1"):
        kw(lib, "Load Configuration", "text")
    with pytest.raises(ConfigurationError, match=r"give the loader of 'x': command="):
        kw(lib, "Use Configuration Loader", "x")
    with pytest.raises(ConfigurationError, match=r"does not exist or is not a folder"):
        kw(lib, "Use Configuration Loader", "x", command="true", folder=SYSTEMS / "nowhere")


def test_secrets_set_in_variables_are_masked_in_the_log(lib, caplog):
    from robot.api import logger

    seen = []
    original = logger.write
    logger.write = lambda msg, *args, **kwargs: seen.append(str(msg))  # type: ignore[assignment]
    try:
        kw(lib, "Load Configuration", "good", environment={"APP_API_TOKEN": "s3cr3t-value"})
    finally:
        logger.write = original  # type: ignore[assignment]
    assert seen and not any("s3cr3t-value" in m for m in seen)
    assert any("APP_API_TOKEN=***" in m for m in seen)


# --- precedence ----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["port", "debug", "log_level", "cache.ttl", "database_url"])
def test_precedence_holds_for_every_layer_of_the_good_system(lib, key):
    kw(lib, "Configuration Precedence Should Be", "good", key)


def test_precedence_with_an_order_and_values_given(lib):
    kw(lib, "Configuration Precedence Should Be", "good", "port", "file < environment < command-line", values="1, 2, 3")
    with pytest.raises(ConfigurationError, match=r"values= gives 1 values for 2 layers \(file, environment\)"):
        kw(lib, "Configuration Precedence Should Be", "good", "port", "file < environment", values="1")
    with pytest.raises(ConfigurationError, match=r"configuration 'good' has no layer 'vault': its layers are defaults"):
        kw(lib, "Configuration Precedence Should Be", "good", "port", "file < vault")
    with pytest.raises(ConfigurationError, match=r"defaults is the lowest layer"):
        kw(lib, "Configuration Precedence Should Be", "good", "port", "file < defaults")


def test_an_environment_variable_that_does_not_win_is_named_with_what_won(lib):
    with pytest.raises(CrosscheckError) as failure:
        kw(lib, "Configuration Precedence Should Be", "faulty", "port")
    assert str(failure.value) == (
        "precedence of port in faulty is not defaults < file < environment-file < dotenv < environment < command-line: "
        "environment (APP_PORT=8004) did not win over dotenv: the loader ended with port=8003 (source: dotenv)"
    )


def test_a_loader_failing_in_a_row_is_named(lib):
    with pytest.raises(
        CrosscheckError, match=r"with environment set \(APP_PORT=x\) the loader failed: it exited with 2"
    ):
        kw(lib, "Configuration Precedence Should Be", "good", "port", "file < environment", values="1, x")


# --- validation ----------------------------------------------------------------------------------


def test_loader_should_refuse(lib):
    said = kw(lib, "Loader Should Refuse", "good", "port.*integer", environment={"APP_PORT": "abc"})
    assert said == "app: configuration error: port: expected an integer, got 'abc' (from environment variable APP_PORT)"
    kw(lib, "Loader Should Refuse", "good", "unknown key", files={"config/app.toml": "colour = 1\n"})
    with pytest.raises(CrosscheckError, match=r"good loaded the configuration anyway \(exit 0\); it printed: port=1, "):
        kw(lib, "Loader Should Refuse", "good", "port", environment={"APP_PORT": "1"})
    with pytest.raises(
        CrosscheckError, match=r"refused the configuration \(exit 2\), but its message does not match 'timeout'"
    ):
        kw(lib, "Loader Should Refuse", "good", "timeout", environment={"APP_PORT": "abc"})


def test_missing_key_should_be_refused(lib):
    assert "database_url: required" in kw(lib, "Missing Key Should Be Refused", "good", "database_url")
    with pytest.raises(CrosscheckError) as failure:
        kw(lib, "Missing Key Should Be Refused", "faulty", "database_url")
    assert str(failure.value) == (
        "faulty loaded a configuration without database_url anyway (exit 0) and ended with "
        "database_url=sqlite:///app.db (source: defaults)"
    )


def test_wrong_type_should_be_refused(lib):
    kw(lib, "Wrong Type Should Be Refused", "good", "port", "abc")
    kw(lib, "Wrong Type Should Be Refused", "good", "debug", "perhaps", layer="file")
    with pytest.raises(CrosscheckError) as failure:
        kw(lib, "Wrong Type Should Be Refused", "faulty", "port", "abc")
    assert str(failure.value) == (
        "faulty refused port=abc (exit 2), but its message does not name port: "
        "app: configuration error: expected an integer, got 'abc'"
    )
    with pytest.raises(
        CrosscheckError, match=r"faulty loaded debug=perhaps set at environment \(APP_DEBUG=perhaps\) anyway"
    ):
        kw(lib, "Wrong Type Should Be Refused", "faulty", "debug", "perhaps")
    with pytest.raises(ConfigurationError, match=r"nothing can be set at the defaults layer"):
        kw(lib, "Wrong Type Should Be Refused", "good", "port", "abc", layer="defaults")


def test_unknown_configuration_version_should_be_refused(lib):
    said = kw(lib, "Unknown Configuration Version Should Be Refused", "good", "config/app.toml")
    assert "config_version 999 in app.toml is not supported" in said
    with pytest.raises(
        CrosscheckError, match=r"faulty loaded config/app.toml with config_version = 999 \(an unknown version\) anyway"
    ):
        kw(lib, "Unknown Configuration Version Should Be Refused", "faulty", "config/app.toml")
    kw(lib, "Use Configuration Loader", "vague", command=f"{PYTHON} -c \"import sys; sys.exit('bad version')\"")
    with pytest.raises(CrosscheckError, match=r"but its message does not say the version 7"):
        kw(lib, "Unknown Configuration Version Should Be Refused", "vague", "c.toml", version="7")


# --- isolation -----------------------------------------------------------------------------------


def test_another_system_s_variable_does_not_change_the_configuration(lib):
    kw(lib, "Variable Should Not Change Configuration", "good", "CONSUMER_PORT=9", PRODUCER_DEBUG="true")
    with pytest.raises(CrosscheckError) as failure:
        kw(lib, "Variable Should Not Change Configuration", "faulty", "CONSUMER_PORT=9")
    assert str(failure.value) == (
        "CONSUMER_PORT=9 changed the configuration of faulty (1 key): port: 8000 -> 9 (source: environment)"
    )
    with pytest.raises(ConfigurationError, match=r"'CONSUMER_PORT' is not a variable assignment: write NAME=value"):
        kw(lib, "Variable Should Not Change Configuration", "good", "CONSUMER_PORT")


# --- secrets -------------------------------------------------------------------------------------


def test_no_canary_leaks_from_the_good_system(lib):
    kw(lib, "Canary Secrets Should Not Leak", "good")
    kw(lib, "Canary Secrets Should Not Leak", "good", secrets="api_token", layers="dotenv, command-line")


def test_leaked_canaries_are_reported_by_place_without_their_value(lib):
    with pytest.raises(CrosscheckError) as failure:
        kw(lib, "Canary Secrets Should Not Leak", "faulty", layers="command-line")
    message = str(failure.value)
    assert message.startswith("canary secrets of faulty leaked in 4 places: ")
    assert "api_token in GET /metrics (200) line 2 (base64-encoded): app_info{auth=" in message
    assert (
        'database_url in GET /health (200) line 1 (as it is): s": "ok", "database": "postgresql://app:<canary of database_url>@localhost'
        in message
    )
    assert "api_token in faulty's output line 2 (as it is)" in message
    assert "database_url in faulty's output line 2 (as it is)" in message
    assert "<canary of api_token>" in message and not CANARY.search(message)


def test_no_secret_key_means_nothing_checked_and_a_failure(lib):
    kw(lib, "Use Configuration Loader", "plain", command=f'{PYTHON} -c "print(\'{{\\"port\\": 1}}\')"')
    with pytest.raises(CrosscheckError, match=r"no secret key found in the configuration of plain"):
        kw(lib, "Canary Secrets Should Not Leak", "plain")


def test_a_started_service_answers_and_is_stopped_when_its_test_ends(lib):
    lib.cleanup.push("test", "starts a service")
    url = kw(lib, "Start Service With Configuration", "good", env="production")
    assert requests.get(url + "/health", timeout=5).json() == {"status": "ok"}
    assert "app listening on" in kw(lib, "Get Service Output", "good")
    pid = lib.ctx.services["good"].proc.pid
    assert lib.cleanup.pop()[1] == []
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_a_service_that_does_not_start_is_named_with_its_output(lib):
    register(lib, "broken", "good", start=f"{PYTHON} app.py serve --port {{port}}", env="nowhere")
    with pytest.raises(CrosscheckError, match=r"good|broken exited with 2 while starting; its output ends with:"):
        kw(lib, "Start Service With Configuration", "broken", environment={"APP_PORT": "abc"})
    with pytest.raises(ConfigurationError, match=r"plain has no start command|no configuration loader"):
        kw(lib, "Start Service With Configuration", "plain")


# --- environments --------------------------------------------------------------------------------


def test_environment_files_have_the_same_keys(lib):
    kw(lib, "Environment Files Should Have The Same Keys", *ENV_FILES, folder="good")
    with pytest.raises(CrosscheckError) as failure:
        kw(lib, "Environment Files Should Have The Same Keys", *ENV_FILES, folder="faulty")
    assert str(failure.value) == (
        "the environment files do not have the same keys: config/app.development.toml lacks api_token; "
        "config/app.staging.toml lacks api_token, cache.ttl; config/app.production.toml alone has api_token"
    )
    kw(lib, "Environment Files Should Have The Same Keys", *ENV_FILES, folder="faulty", ignore="api_token, cache.ttl")
    with pytest.raises(ConfigurationError, match=r"config/app.qa.toml does not exist"):
        kw(lib, "Environment Files Should Have The Same Keys", "config/app.qa.toml", ENV_FILES[0], folder="good")


def test_production_configuration_should_be_safe(lib):
    kw(lib, "Production Configuration Should Be Safe", "good")
    kw(lib, "Production Configuration Should Be Safe", "config/app.production.toml", folder="good")
    with pytest.raises(CrosscheckError) as failure:
        kw(lib, "Production Configuration Should Be Safe", "config/app.production.toml", folder="faulty")
    assert str(failure.value) == (
        "config/app.production.toml is not safe for production (2 problems): debug=true: a development switch is on "
        "(app.production.toml:1); api_token=***: a placeholder secret (a default anyone can read) (app.production.toml:5)"
    )
    with pytest.raises(CrosscheckError, match=r"the production configuration of faulty is not safe .*debug=true"):
        kw(lib, "Production Configuration Should Be Safe", "faulty")
    with pytest.raises(CrosscheckError, match=r"public_url=http://localhost:8000: an address of this machine"):
        kw(lib, "Production Configuration Should Be Safe", "good", env="development")
    kw(
        lib,
        "Production Configuration Should Be Safe",
        "good",
        env="development",
        switches="",
        hosts="",
        allow="log_level",
    )


# --- migration -----------------------------------------------------------------------------------


def test_an_old_file_loads_the_same(lib):
    kw(lib, "Old Configuration Should Load The Same", "good", "config/legacy/app.v1.toml")
    kw(
        lib,
        "Old Configuration Should Load The Same",
        "good",
        "config/legacy/app.v1.toml",
        migrate_command=f"{PYTHON} app.py migrate {{file}}",
    )


def test_an_old_file_that_no_longer_loads_or_loads_differently_is_named(lib, tmp_path):
    with pytest.raises(CrosscheckError) as failure:
        kw(lib, "Old Configuration Should Load The Same", "faulty", "config/legacy/app.v1.toml")
    assert str(failure.value) == (
        "faulty no longer loads config/legacy/app.v1.toml at config/app.toml: it exited with 2: "
        "app: configuration error: listen_port: unknown key in app.toml"
    )
    with pytest.raises(CrosscheckError, match=r"migrating config/legacy/app.v1.toml failed \(exit 2\): .*listen_port"):
        kw(
            lib,
            "Old Configuration Should Load The Same",
            "faulty",
            "config/legacy/app.v1.toml",
            migrate_command=f"{PYTHON} app.py migrate {{file}}",
        )
    old = tmp_path / "old.toml"
    old.write_text("config_version = 1\nlisten_port = 9000\nworkers = 2\n")
    with pytest.raises(CrosscheckError) as failure:
        kw(lib, "Old Configuration Should Load The Same", "good", str(old))
    assert str(failure.value) == (
        f"{old} does not load the same as config/app.toml in good: port: 8000 (current) vs 9000 (old)"
    )


def test_the_system_folders_stay_as_they_are():
    assert not (SYSTEMS / "good" / "logs").exists() and not (SYSTEMS / "faulty" / "logs").exists()
