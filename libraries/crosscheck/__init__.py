"""crosscheck: Robot Framework keyword libraries for integration checkpoints.

Each library is imported lazily, so ``Library    crosscheck.Stack`` does not pay
for the Docker SDK or qdrant-client.
"""

from importlib import import_module

__version__ = "0.1.0"

_LIBRARIES = {
    "Stack": "crosscheck.stack.library",
    "Messaging": "crosscheck.messaging.library",
    "Postgres": "crosscheck.postgres.library",
    "Vectors": "crosscheck.vectors.library",
    "Sandbox": "crosscheck.sandbox.library",
    "Contracts": "crosscheck.contracts.library",
    "Metrics": "crosscheck.metrics.library",
    "Load": "crosscheck.load.library",
    "Faults": "crosscheck.faults.library",
    "Verdict": "crosscheck.verdict.library",
    "Repos": "crosscheck.repos.library",
    "Configuration": "crosscheck.configuration.library",
}


def __getattr__(name):
    if name in _LIBRARIES:
        return getattr(import_module(_LIBRARIES[name]), name)
    raise AttributeError(f"module 'crosscheck' has no attribute {name!r}")


__all__ = list(_LIBRARIES)
