"""The embedded stack: real Redis and Postgres (with pgvector) on 127.0.0.1,
the demo system under test, and the Docker engine, found or started on demand.

Libraries ask for addresses here; nothing else needs configuring::

    from crosscheck import stack
    stack.redis_url()      # CROSSCHECK_REDIS_URL, or the embedded server
    stack.postgres_url()   # CROSSCHECK_POSTGRES_URL, or the embedded server
    stack.api_url()        # CROSSCHECK_API_URL, or the embedded demo API
    stack.qdrant_url()     # CROSSCHECK_QDRANT_URL, or None (qdrant-client local mode)
    stack.docker_url()     # DOCKER_HOST, or the default socket
"""

from crosscheck.stack.api import (  # noqa: F401
    api_url,
    docker_url,
    down,
    ensure,
    postgres_url,
    qdrant_url,
    redis_url,
    restart,
    status,
    up,
)

__all__ = ["api_url", "docker_url", "down", "ensure", "postgres_url", "qdrant_url", "redis_url", "restart",
           "status", "up"]
