"""Shared fixtures of the Messaging tests: a library connected to the real Redis of this run,
libraries made on demand, and a plain client for acting as the system under test."""

from __future__ import annotations

import pytest

from crosscheck.messaging import Messaging
from crosscheck.services import redis as redis_service


@pytest.fixture
def make_lib():
    """``make_lib()``: a new Messaging library; every one made is closed (its cleanup run) at the end."""
    made: list[Messaging] = []

    def make(**options) -> Messaging:
        library = Messaging(**options)
        made.append(library)
        return library

    yield make
    for library in made:
        library.close()


@pytest.fixture
def lib(make_lib, redis_url):
    library = make_lib()
    library.connect_to_redis(redis_url)
    return library


@pytest.fixture
def raw(redis_url):
    """A plain client, behind the library's back (publishing as the system under test would)."""
    client = redis_service.client(redis_url)
    yield client
    client.close()
