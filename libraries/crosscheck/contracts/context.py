"""State shared by the Contracts keyword components: loaded documents and schemas.

Contracts creates nothing in any service: it reads responses, streams and the catalog,
so ``cleanup`` never holds an action of its own.
"""

from __future__ import annotations

from crosscheck.contracts.jsonschema_check import SchemaRegistry
from crosscheck.contracts.openapi import OpenAPIDocument, load
from crosscheck.core import Cleanup
from crosscheck.errors import ConfigurationError


class ContractsContext:
    cleanup: Cleanup  # given by CrosscheckLibrary

    def __init__(self) -> None:
        self.documents: dict[str, OpenAPIDocument] = {}
        self.active: str | None = None
        self.messages = SchemaRegistry()

    def add_document(self, source, alias: str | None) -> str:
        document = load(source)
        name = alias or document.title
        self.documents[name] = document
        self.active = name
        return name

    def document(self, name_or_source=None) -> OpenAPIDocument:
        if name_or_source is None:
            if self.active is None:
                raise ConfigurationError(
                    "No OpenAPI document loaded: use 'Load OpenAPI Document' first, or pass the document's file or URL."
                )
            return self.documents[self.active]
        if isinstance(name_or_source, dict):
            return load(name_or_source)
        if name_or_source in self.documents:
            return self.documents[name_or_source]
        return load(name_or_source)
