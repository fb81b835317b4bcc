"""Shared fixtures: real services, from the environment or the embedded stack.

The embedded stack belongs to the pytest process: it starts on first use and
stops by itself when pytest exits, however it exits.
"""

from __future__ import annotations

import os

import pytest

from crosscheck import services


@pytest.fixture(scope="session")
def redis_url() -> str:
    return services.get("redis").url()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return services.get("postgres").url()


@pytest.fixture(scope="session")
def api_url() -> str:
    from robot.api import SkipExecution

    try:
        return services.get("api").url()
    except SkipExecution as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def docker_client():
    """A Docker SDK client for DOCKER_HOST or the default socket.

    Skips when no engine answers, except where ``CROSSCHECK_REQUIRE_DOCKER=1``
    (as in CI): there a missing engine is a failure, never a silent skip.
    """
    import docker

    try:
        client = docker.DockerClient(base_url=services.get("docker").url(), timeout=60)
        client.ping()
    except Exception as exc:
        message = f"no Docker engine at {services.get('docker').url()}: {exc}"
        if os.environ.get("CROSSCHECK_REQUIRE_DOCKER") == "1":
            pytest.fail(message + " (CROSSCHECK_REQUIRE_DOCKER=1)")
        pytest.skip(message)
    yield client
    client.close()


@pytest.fixture
def pg_conn(postgres_url):
    """A plain autocommit psycopg2 connection, for setting up and checking behind a library's back."""
    import psycopg2

    conn = psycopg2.connect(postgres_url, application_name="crosscheck-pytest")
    conn.autocommit = True
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def create_demo_key(api_url, postgres_url):
    """``create_demo_key(rate)``: a new demo API key made with the CLI; every key is deleted at the end."""
    import subprocess

    import psycopg2

    from crosscheck import namespace

    names = []

    def create(rate: str = "1000/minute") -> str:
        name = f"TEST_{namespace.new('key')}"
        out = subprocess.run(
            ["crosscheck-demo", "create-key", "--rate", rate, "--name", name, "--database-url", postgres_url],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        names.append(name)
        return out.stdout.strip().splitlines()[-1]

    yield create
    conn = psycopg2.connect(postgres_url)
    with conn, conn.cursor() as cur:
        cur.execute("DELETE FROM api_keys WHERE name = ANY(%s)", (names,))
    conn.close()
