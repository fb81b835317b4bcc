"""crosscheck.Load: staged load on Locust, per-stage figures, resource use (see ``library.py`` and docs/load.md).

Locust runs only in child processes (``runner``); ``stages``, ``statistics`` and ``result``
import without Robot Framework.
"""


def __getattr__(name):
    if name == "Load":
        from crosscheck.load.library import Load

        return Load
    raise AttributeError(f"module 'crosscheck.load' has no attribute {name!r}")


__all__ = ["Load"]
