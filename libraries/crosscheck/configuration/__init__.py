"""crosscheck.Configuration: a system's configuration checked through its own loader (see ``library.py``
and docs/configuration.md).

``layers`` (the layer grammar), ``files`` (reading and writing configuration files), ``precedence``,
``canaries`` and ``rules`` import without Robot Framework.
"""


def __getattr__(name):
    if name == "Configuration":
        from crosscheck.configuration.library import Configuration

        return Configuration
    raise AttributeError(f"module 'crosscheck.configuration' has no attribute {name!r}")


__all__ = ["Configuration"]
