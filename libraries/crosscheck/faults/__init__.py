"""crosscheck.Faults: faults between a system and its services, recovery times (see ``library.py`` and docs/faults.md).

``proxy`` is the fault proxy server (asyncio, Toxiproxy's model and HTTP API), run as a
process of its own; ``toxics``, ``recovery`` and ``report`` import without Robot Framework.
"""


def __getattr__(name):
    if name == "Faults":
        from crosscheck.faults.library import Faults

        return Faults
    raise AttributeError(f"module 'crosscheck.faults' has no attribute {name!r}")


__all__ = ["Faults"]
