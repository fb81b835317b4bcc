"""One module per service (the model: testcontainers-python).

Each module owns its environment variable, how its URL is resolved (configured, else
embedded, else a skip that says why), how a connection is opened, its version probe,
its ``crosscheck doctor`` line and the fix text of its failures. No other module opens
a connection to a service: libraries get theirs from here.

| module | service | variable |
| ``redis`` | Redis | ``CROSSCHECK_REDIS_URL`` |
| ``postgres`` | Postgres | ``CROSSCHECK_POSTGRES_URL`` |
| ``api`` | the HTTP API under test | ``CROSSCHECK_API_URL`` |
| ``qdrant`` | a Qdrant server | ``CROSSCHECK_QDRANT_URL`` |
| ``docker`` | the Docker engine | ``DOCKER_HOST`` |
| ``toxiproxy`` | a Toxiproxy server, else the embedded fault proxy | ``CROSSCHECK_TOXIPROXY_URL`` |
"""

from __future__ import annotations

import os
from importlib import import_module

# gRPC (under pymilvus, qdrant-client, chromadb) must not act at fork(): the stack, the fault
# proxy and the system under test are started as child processes, and gRPC's fork handlers,
# with its threads running, can abort such a child before it starts its own program.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

NAMES = ("redis", "postgres", "api", "qdrant", "docker", "toxiproxy")


def get(name: str):
    """The service object of ``name`` (``redis``, ``postgres``, ``api``, ``qdrant``, ``docker``, ``toxiproxy``)."""
    if name not in NAMES:
        raise KeyError(f"unknown service {name!r}; known: {', '.join(NAMES)}")
    return import_module(f"crosscheck.services.{name}").SERVICE


def all_services() -> list:
    return [get(name) for name in NAMES]
