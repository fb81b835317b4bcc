"""crosscheck.Sandbox: untrusted Python in Docker (see ``library.py`` and docs/sandbox.md)."""


def __getattr__(name):
    if name == "Sandbox":
        from crosscheck.sandbox.library import Sandbox

        return Sandbox
    raise AttributeError(f"module 'crosscheck.sandbox' has no attribute {name!r}")


__all__ = ["Sandbox"]
