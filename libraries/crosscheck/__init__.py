"""crosscheck: Robot Framework keyword libraries for integration checkpoints.

Each library is imported lazily, so ``Library    crosscheck.Stack`` does not pay
for the Docker SDK or qdrant-client.
"""

from importlib import import_module

__version__ = "0.1.0"

_LIBRARIES = {
    "Stack": "crosscheck.stack.library",
    "Messaging": "crosscheck.messaging",
    "Postgres": "crosscheck.postgres",
    "Vectors": "crosscheck.vectors",
    "Sandbox": "crosscheck.sandbox",
    "Contracts": "crosscheck.contracts",
    "Metrics": "crosscheck.metrics",
}


def __getattr__(name):
    if name in _LIBRARIES:
        return getattr(import_module(_LIBRARIES[name]), name)
    raise AttributeError(f"module 'crosscheck' has no attribute {name!r}")


__all__ = list(_LIBRARIES)
