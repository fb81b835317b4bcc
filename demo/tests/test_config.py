"""The repositories' layered configuration, through the real commands (``demo-R config``)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parent.parent
REPOS = ("producer", "consumer", "gateway")
PG = "postgresql://demo:hunter2@db.example:5432/demo"


def run(repo: str, *argv: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "CONSUMER_", "PRODUCER_"))}
    return subprocess.run(
        [sys.executable, "-m", f"demo_{repo}.cli", *argv],
        env={**clean, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
    )


def effective(repo: str, *argv: str, **kwargs) -> dict:
    out = run(repo, "config", *argv, **kwargs)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A working directory with a copy of the gateway's config/ folder."""
    shutil.copytree(DEMO / "gateway" / "config", tmp_path / "config")
    return tmp_path


def test_each_layer_wins_over_the_one_below(workdir: Path):
    base = {"GATEWAY_POSTGRES_URL": PG}
    got = effective("gateway", env=base, cwd=workdir)
    assert got["values"]["pool_overflow"] == 10 and got["sources"]["pool_overflow"] == "file"
    assert got["sources"]["key_pepper"] == "defaults" and got["environment"] == "development"
    assert got["sources"]["debug"] == "environment-file" and got["values"]["debug"] is True
    base_file = workdir / "config" / "gateway.toml"
    base_file.write_text(base_file.read_text().replace("pool_timeout = 30.0", "pool_timeout = 7.0"))
    got = effective("gateway", "--env", "production", env=base, cwd=workdir)
    assert got["values"]["pool_timeout"] == 7.0 and got["sources"]["pool_timeout"] == "file"
    assert (got["values"]["pool_size"], got["sources"]["pool_size"]) == (40, "environment-file")
    (workdir / ".env").write_text('# local\n\nGATEWAY_POOL_SIZE="41"\nCONSUMER_NAME=elsewhere\n')
    got = effective("gateway", "--env", "production", env=base, cwd=workdir)
    assert (got["values"]["pool_size"], got["sources"]["pool_size"]) == (41, "dotenv")
    got = effective("gateway", "--env", "production", env={**base, "GATEWAY_POOL_SIZE": "42"}, cwd=workdir)
    assert (got["values"]["pool_size"], got["sources"]["pool_size"]) == (42, "environment")
    got = effective(
        "gateway", "--env", "production", "--set", "pool_size=43", env={**base, "GATEWAY_POOL_SIZE": "42"}, cwd=workdir
    )
    assert (got["values"]["pool_size"], got["sources"]["pool_size"]) == (43, "command-line")
    got = effective("gateway", env={**base, "GATEWAY_ENV": "staging"}, cwd=workdir)
    assert got["environment"] == "staging" and got["values"]["debug"] is False


def test_a_variable_of_another_prefix_has_no_effect():
    got = effective("consumer", env={"CONSUMER_POSTGRES_URL": PG, "GATEWAY_PORT": "1", "GATEWAY_HEALTH_PORT": "2"})
    assert got["values"]["health_port"] == 8101 and got["sources"]["health_port"] == "file"
    got = effective("producer", env={"GATEWAY_REDIS_URL": "redis://elsewhere:1/0", "CONSUMER_DEBUG": "false"})
    assert got["values"]["redis_url"] == "redis://127.0.0.1:6379/0" and got["values"]["debug"] is True


@pytest.mark.parametrize("command", [["config"], ["serve"]])
def test_a_missing_required_key_exits_2_naming_it(command):
    out = run("gateway", *command)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr == (
        "demo-gateway: configuration error: postgres_url: required but not set "
        "(set GATEWAY_POSTGRES_URL or postgres_url in gateway.toml)\n"
    )


@pytest.mark.parametrize("repo, command", [("gateway", "serve"), ("consumer", "run"), ("gateway", "config")])
def test_a_wrong_type_exits_2_naming_key_and_source(repo, command):
    var = "GATEWAY_PORT" if repo == "gateway" else "CONSUMER_HEALTH_PORT"
    out = run(repo, command, env={f"{repo.upper()}_POSTGRES_URL": PG, var: "abc"})
    key = var.removeprefix(f"{repo.upper()}_").lower()
    assert out.returncode == 2
    assert out.stderr == (
        f"demo-{repo}: configuration error: {key}: expected an integer, got 'abc' (from environment variable {var})\n"
    )
    out = run(repo, "config", "--set", "debug=maybe", env={f"{repo.upper()}_POSTGRES_URL": PG})
    assert out.returncode == 2 and "debug: expected true or false, got 'maybe' (from --set debug)" in out.stderr


def test_an_unknown_key_in_a_file_is_refused(workdir: Path):
    path = workdir / "config" / "gateway.staging.toml"
    path.write_text(path.read_text() + "pool_sise = 3\n")
    out = run("gateway", "config", "--env", "staging", env={"GATEWAY_POSTGRES_URL": PG}, cwd=workdir)
    assert (
        out.returncode == 2 and out.stderr == f"demo-gateway: configuration error: unknown key 'pool_sise' in {path}\n"
    )


def test_an_unknown_environment_is_refused():
    out = run("producer", "config", env={"PRODUCER_ENV": "qa"})
    assert out.returncode == 2 and "environment 'qa' is not one of development, staging, production" in out.stderr


@pytest.mark.parametrize("repo", REPOS)
def test_a_version_1_file_loads_to_the_same_values_and_migrates(repo: str, tmp_path: Path):
    env = {f"{repo.upper()}_POSTGRES_URL": PG}
    current = effective(repo, env=env)
    legacy = shutil.copytree(DEMO / repo / "config", tmp_path / "legacy")  # R.toml replaced by the v1 file
    shutil.copy(legacy / "legacy" / f"{repo}.v1.toml", legacy / f"{repo}.toml")
    assert effective(repo, "--config-dir", str(legacy), env=env)["values"] == current["values"]
    out = run(repo, "config", "--migrate", str(legacy / f"{repo}.toml"))
    assert out.returncode == 0 and tomllib.loads(out.stdout)["config_version"] == 2
    (legacy / f"{repo}.toml").write_text(out.stdout)
    assert effective(repo, "--config-dir", str(legacy), env=env)["values"] == current["values"]


def test_an_unknown_version_is_refused(workdir: Path):
    path = workdir / "config" / "gateway.toml"
    path.write_text(path.read_text().replace("config_version = 2", "config_version = 3"))
    out = run("gateway", "config", env={"GATEWAY_POSTGRES_URL": PG}, cwd=workdir)
    assert out.returncode == 2
    assert out.stderr == (
        f"demo-gateway: configuration error: config_version 3 in {path} is not supported: "
        "demo-gateway reads versions 1 and 2\n"
    )


@pytest.mark.parametrize("repo", REPOS)
def test_environments_have_the_same_keys_and_production_is_not_local(repo: str):
    files = {e: DEMO / repo / "config" / f"{repo}.{e}.toml" for e in ("development", "staging", "production")}
    tables = {e: tomllib.loads(path.read_text()) for e, path in files.items()}
    assert len({tuple(sorted(t)) for t in tables.values()}) == 1, tables
    assert all(t["config_version"] == 2 for t in tables.values())
    assert tables["production"]["debug"] is False
    text = files["production"].read_text()
    assert "localhost" not in text and "127.0.0.1" not in text


def test_secrets_are_masked_in_the_printed_config_and_the_start_up_line():
    env = {"GATEWAY_POSTGRES_URL": PG, "GATEWAY_KEY_PEPPER": "pepper-secret"}
    out = run("gateway", "config", env=env)
    assert "hunter2" not in out.stdout and "pepper-secret" not in out.stdout
    values = json.loads(out.stdout)["values"]
    assert values["key_pepper"] == "***" and values["postgres_url"] == "postgresql://demo:***@db.example:5432/demo"
    with socket.socket() as taken:  # serving on a port in use fails, after the start-up line is logged
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        out = run("gateway", "serve", "--set", f"port={taken.getsockname()[1]}", env=env)
    assert out.returncode != 0
    line = next(x for x in out.stderr.splitlines() if "configuration: " in x)
    assert json.loads(line.split("configuration: ", 1)[1])["values"]["key_pepper"] == "***"
    assert "hunter2" not in out.stderr and "pepper-secret" not in out.stderr
