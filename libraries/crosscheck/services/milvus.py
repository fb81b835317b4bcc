"""Milvus: a server by its URI (``milvus://host:19530``), or Milvus Lite in process on a local file.

Milvus Lite and pymilvus come with the optional extra ``milvus``
(``pip install 'robotframework-crosscheck[milvus]'``); without it the vector library skips
what needs them, naming the extra. The client comes from :func:`client`.
"""

from __future__ import annotations

from typing import Any

from crosscheck.config import mask_url, scrub
from crosscheck.errors import ServiceUnavailable

EXTRA = "milvus"
PACKAGES = "pymilvus and milvus-lite"


def missing() -> str | None:
    """None when pymilvus (and Milvus Lite) load here, else the skip reason naming the extra."""
    try:
        import milvus_lite  # noqa: F401
        import pymilvus  # noqa: F401
    except ImportError as exc:
        return (
            f"Milvus needs the optional extra '{EXTRA}' ({PACKAGES}: "
            f"pip install 'robotframework-crosscheck[{EXTRA}]'): {exc}"
        )
    return None


def client(uri: str, timeout: float = 10.0) -> Any:
    """A MilvusClient for ``uri``: a Milvus Lite file path (``/tmp/x.db``) or a server ``http://host:19530``."""
    from pymilvus import MilvusClient

    try:
        return MilvusClient(uri=uri, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - pymilvus raises its own and grpc's types
        text = scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, uri)
        raise ServiceUnavailable(
            f"Milvus at {mask_url(uri)} is unreachable ({text}): start it, or use a Milvus Lite file "
            "(milvus-lite:///path/to/file.db)"
        ) from None
