"""crosscheck.Contracts: OpenAPI and JSON Schema contracts (see ``library.py`` and docs/contracts.md).

``jsonschema_check`` (the shared JSON Schema checker) imports without Robot Framework or
openapi-core, so other libraries can use it cheaply.
"""


def __getattr__(name):
    if name == "Contracts":
        from crosscheck.contracts.library import Contracts

        return Contracts
    raise AttributeError(f"module 'crosscheck.contracts' has no attribute {name!r}")


__all__ = ["Contracts"]
