"""crosscheck.Verdict: resource monitors, leak detection, unhandled exceptions in logs, the Go/No-Go verdict.

See ``library.py``. ``trend`` and ``logs`` are pure engines: they import nothing from Robot Framework.
"""


def __getattr__(name):
    if name == "Verdict":
        from crosscheck.verdict.library import Verdict

        return Verdict
    raise AttributeError(f"module 'crosscheck.verdict' has no attribute {name!r}")


__all__ = ["Verdict"]
