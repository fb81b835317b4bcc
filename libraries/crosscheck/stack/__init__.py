"""crosscheck.Stack: the services under test, their health, pre-flight checks (see ``library.py``).

The embedded stack's Python API is :mod:`crosscheck.stack.api`; service addresses come
from :mod:`crosscheck.services`.
"""


def __getattr__(name):
    if name == "Stack":
        from crosscheck.stack.library import Stack

        return Stack
    raise AttributeError(f"module 'crosscheck.stack' has no attribute {name!r}")


__all__ = ["Stack"]
