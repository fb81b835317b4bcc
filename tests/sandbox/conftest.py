"""Shared fixtures of the Sandbox tests: a real Docker engine with the sandbox image.

``docker_client`` (tests/conftest.py) skips without an engine, or fails where
``CROSSCHECK_REQUIRE_DOCKER=1``; the client used here comes from crosscheck.services.docker.
"""

from __future__ import annotations

import pytest

from crosscheck.sandbox import image, runner
from crosscheck.services import docker as docker_service


@pytest.fixture(scope="module")
def engine(docker_client):
    """A client with the sandbox image present; nothing of this run is left in the engine afterwards."""
    client = docker_service.connect()
    image.ensure(client)
    yield client
    runner.reap(client, current_run=True)
    assert runner.ours(client) == []
    client.close()
