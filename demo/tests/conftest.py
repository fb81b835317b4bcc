"""Real Redis and Postgres for the demo's tests: configured ones, else crosscheck's embedded stack.

The embedded stack belongs to the pytest process: it starts on first use and stops by
itself when pytest exits. These tests start the demo themselves, with ``launch.start``,
on those servers.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def redis_url() -> str:
    from crosscheck.services import redis

    return redis.url()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    from crosscheck.services import postgres

    return postgres.url()
