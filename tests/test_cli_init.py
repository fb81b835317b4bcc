"""`crosscheck init` against the demo as if it were a user's own system (the session's embedded stack):
the files it writes, the suites passing as written, what it refuses and how it says so."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

PY = sys.executable


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSCHECK_")}
    env["PATH"] = f"{Path(PY).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def _init(folder: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PY, "-m", "crosscheck.cli", "init", *args],
        cwd=folder,
        env=env or _env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _with_password(url: str, password: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://postgres:{password}@{rest.split('@', 1)[1]}"


@pytest.fixture
def demo_urls(redis_url, postgres_url, api_url) -> dict[str, str]:
    return {"redis": redis_url, "postgres": postgres_url, "api": api_url}


def test_init_writes_a_checklist_that_passes_against_the_system_as_it_is(tmp_path, demo_urls):
    own = tmp_path / "my-system-checks"
    own.mkdir()
    run = _init(
        own, "--redis-url", demo_urls["redis"], "--postgres-url", demo_urls["postgres"], "--api-url", demo_urls["api"]
    )
    assert run.returncode == 0, run.stderr
    written = sorted(str(p.relative_to(own)) for p in own.rglob("*") if p.is_file())
    assert written == [
        "crosscheck.args",
        "expected/channels.yaml",
        "expected/openapi.json",
        "expected/schema.yaml",
        "suites/01_preflight.robot",
        "suites/03_api_contracts.robot",
        "suites/04_data_flow.robot",
        "suites/05_service_layer.robot",
    ]
    channels = yaml.safe_load((own / "expected/channels.yaml").read_text())
    assert "tickstock.universe.updated" in channels["SUBSCRIBED_CHANNELS"]  # the demo's consumer listens there
    schema = yaml.safe_load((own / "expected/schema.yaml").read_text())
    assert "vector" in schema["extensions"] and schema["schemas"], "not the database's schema"
    args = (own / "crosscheck.args").read_text()
    assert f"--variable CROSSCHECK_API_URL:{demo_urls['api']}" in args
    assert f"--variable OPENAPI_SOURCE:{demo_urls['api']}/openapi.json" in args
    # checkpoint tags on every suite
    for name, tag in [
        ("01_preflight", "checkpoint1"),
        ("03_api_contracts", "checkpoint3"),
        ("04_data_flow", "checkpoint4"),
    ]:
        assert f"Test Tags           {tag}" in (own / f"suites/{name}.robot").read_text()
    robot = subprocess.run(
        [PY, "-m", "robot", "--argumentfile", "crosscheck.args", "--console", "dotted", "suites/"],
        cwd=own,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert robot.returncode == 0, robot.stdout[-3000:]
    assert (own / "results" / "report.html").exists()
    assert not (own / "results" / "stack").exists(), "the run started a stack of its own, not the system's services"


def test_init_never_overwrites_a_file_and_names_it(tmp_path, redis_url):
    (tmp_path / "suites").mkdir()
    mine = tmp_path / "suites" / "01_preflight.robot"
    mine.write_text("my own suite\n")
    run = _init(tmp_path, "--redis-url", redis_url, "--channel", "orders.created")
    assert run.returncode == 2
    assert run.stderr.strip() == (
        f"crosscheck init: this file exists in {tmp_path}: suites/01_preflight.robot; nothing was written "
        "(--force overwrites them)"
    )
    assert mine.read_text() == "my own suite\n"
    assert not (tmp_path / "crosscheck.args").exists(), "it wrote some files before refusing"
    forced = _init(tmp_path, "--redis-url", redis_url, "--channel", "orders.created", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "Service Should Be Reachable    redis" in mine.read_text()
    channels = yaml.safe_load((tmp_path / "expected/channels.yaml").read_text())
    assert channels == {"CHANNELS": ["orders.created"], "SUBSCRIBED_CHANNELS": []}
    assert not (tmp_path / "suites" / "05_service_layer.robot").exists(), "a channel nobody listens to is no check"


def test_passwords_stay_out_of_the_arguments_file_unless_asked(tmp_path, postgres_url):
    secret = "pw-Init-4471"
    url = _with_password(postgres_url, secret)  # the embedded Postgres trusts loopback: any password passes
    plain = tmp_path / "plain"
    plain.mkdir()
    run = _init(plain, "--postgres-url", url)
    assert run.returncode == 0, run.stderr
    args = (plain / "crosscheck.args").read_text()
    assert secret not in args and secret not in run.stdout + run.stderr
    assert f"--variable CROSSCHECK_POSTGRES_URL:{postgres_url}" in args
    assert "export CROSSCHECK_POSTGRES_URL='postgresql://postgres:PASSWORD@" in run.stdout
    # the password given in the environment is the one used
    robot = subprocess.run(
        [PY, "-m", "robot", "--argumentfile", "crosscheck.args", "--loglevel", "TRACE", "suites/"],
        cwd=plain,
        env=_env(CROSSCHECK_POSTGRES_URL=url),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert robot.returncode == 0, robot.stdout[-3000:]
    assert secret not in (plain / "results" / "output.xml").read_text()
    asked = tmp_path / "asked"
    asked.mkdir()
    run = _init(asked, "--postgres-url", url, "--write-passwords")
    assert run.returncode == 0, run.stderr
    assert f"--variable CROSSCHECK_POSTGRES_URL:{url}" in (asked / "crosscheck.args").read_text()
    assert stat.S_IMODE((asked / "crosscheck.args").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "args, message",
    [
        (
            [],
            "crosscheck init: name the services to check: --redis-url, --postgres-url, --api-url (with --openapi), "
            "or --from-stack for the running `crosscheck up` stack",
        ),
        (
            ["--from-stack"],
            "crosscheck init: no embedded stack is running: start one with `crosscheck up`, or name the services",
        ),
        (
            ["--redis-url", "redis://:pw-9@127.0.0.1:1/0"],
            "crosscheck init: Redis at redis://:***@127.0.0.1:1/0 refused the connection",
        ),
        (
            ["--api-url", "http://127.0.0.1:1", "--openapi", "no-such.yaml"],
            "crosscheck init: cannot read the OpenAPI document no-such.yaml: No such file or directory",
        ),
        (
            ["--postgres-url", "{postgres}", "--channel", "a.b"],
            "crosscheck init: --channel needs --redis-url (or --from-stack): the Redis the channels are on",
        ),
    ],
)
def test_init_failures_say_what_to_do(tmp_path, postgres_url, args, message):
    env = _env(CROSSCHECK_STACK_NAME=f"none-{tmp_path}")
    run = _init(tmp_path, *[a.format(postgres=postgres_url) for a in args], env=env)
    assert run.returncode == 2
    assert run.stderr.startswith(message), run.stderr
    assert "pw-9" not in run.stderr and "Traceback" not in run.stderr
    assert list(tmp_path.iterdir()) == [], "a failed init wrote files"


def test_an_openapi_document_given_as_a_file_is_the_baseline(tmp_path, api_url):
    import httpx

    source = tmp_path / "spec.json"
    source.write_text(httpx.get(api_url + "/openapi.json", timeout=10).text)
    own = tmp_path / "own"
    own.mkdir()
    run = _init(own, "--api-url", api_url, "--openapi", str(source))
    assert run.returncode == 0, run.stderr
    assert f"--variable OPENAPI_SOURCE:{source}" in (own / "crosscheck.args").read_text()
    assert (own / "expected/openapi.json").exists()
