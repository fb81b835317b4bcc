"""crosscheck.Messaging: Redis pub-sub and streams (see ``library.py`` and docs/messaging.md)."""


def __getattr__(name):
    if name == "Messaging":
        from crosscheck.messaging.library import Messaging

        return Messaging
    raise AttributeError(f"module 'crosscheck.messaging' has no attribute {name!r}")


__all__ = ["Messaging"]
