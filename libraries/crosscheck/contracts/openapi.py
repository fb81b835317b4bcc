"""OpenAPI 3 documents: load (file, URL or dict) and check HTTP responses with openapi-core.

openapi-core finds the operation for the request, the documented response for
the status code, and validates content type, required headers and the body
schema. Its errors are turned into :class:`Mismatch` rows (JSON path, expected,
actual) so a failure lists every difference at once.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import yaml

from crosscheck.config import mask_url
from crosscheck.contracts.jsonschema_check import Mismatch, from_errors, short
from crosscheck.errors import ConfigurationError, ServiceUnavailable

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass
class OpenAPIDocument:
    """A loaded OpenAPI document and its openapi-core validator."""

    spec: dict
    source: str
    _api: Any = field(default=None, repr=False)

    @property
    def title(self) -> str:
        info = self.spec.get("info", {})
        return f"{info.get('title', 'API')} {info.get('version', '')}".strip()

    @property
    def api(self):
        if self._api is None:
            from openapi_core import OpenAPI

            spec = copy.deepcopy(self.spec)
            # match any host: keep only the path part of each server URL
            servers = spec.get("servers") or [{"url": "/"}]
            spec["servers"] = [{"url": urlsplit(s.get("url", "/")).path or "/"} for s in servers]
            try:
                self._api = OpenAPI.from_dict(spec)
            except Exception as exc:  # openapi-spec-validator's errors carry the reason
                raise ConfigurationError(
                    f"OpenAPI document {self.source} is not valid: {str(exc).splitlines()[0]}"
                ) from None
        return self._api

    def operations(self) -> list[str]:
        """Every operation as ``METHOD /path``, in document order."""
        return [
            f"{method.upper()} {path}"
            for path, item in self.spec.get("paths", {}).items()
            for method in item
            if method in HTTP_METHODS
        ]


def load(source: str | Path | dict, timeout: float = 10.0) -> OpenAPIDocument:
    """An OpenAPI document from a dict, a ``.json``/``.yaml`` file or an http(s) URL."""
    if isinstance(source, dict):
        return OpenAPIDocument(copy.deepcopy(source), "(inline)")
    text_source = str(source)
    if text_source.startswith(("http://", "https://")):
        shown = mask_url(text_source)
        try:
            response = requests.get(text_source, timeout=timeout)
        except requests.RequestException as exc:
            raise ServiceUnavailable(
                f"Cannot fetch OpenAPI document from {shown}: {type(exc).__name__}. "
                "Check that the API is running and the URL is right."
            ) from None
        if response.status_code != 200:
            raise ConfigurationError(
                f"Fetching OpenAPI document from {shown} returned HTTP {response.status_code}, expected 200."
            )
        text = response.text
        name = shown
    else:
        path = Path(text_source)
        if not path.is_file():
            raise ConfigurationError(f"OpenAPI document '{path}' does not exist.")
        text = path.read_text(encoding="utf-8")
        name = str(path)
    try:
        spec = json.loads(text)
    except json.JSONDecodeError:
        try:
            spec = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigurationError(f"OpenAPI document {name} is neither JSON nor YAML: {exc}") from None
    if not isinstance(spec, dict) or "openapi" not in spec or not str(spec["openapi"]).startswith("3"):
        raise ConfigurationError(f"{name} is not an OpenAPI 3 document (no 'openapi: 3.x' field).")
    return OpenAPIDocument(spec, name)


def _error_mismatches(error: Exception) -> list[Mismatch]:
    """Mismatch rows for one openapi-core validation error."""
    from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
    from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound, ServerNotFound
    from openapi_core.templating.responses.exceptions import ResponseNotFound
    from openapi_core.validation.response.exceptions import MissingRequiredHeader

    cause = error.__cause__ or error.__context__
    name = type(error).__name__
    if isinstance(error, ResponseNotFound) or isinstance(cause, ResponseNotFound):
        missing: ResponseNotFound = cause if isinstance(cause, ResponseNotFound) else error  # type: ignore[assignment]
        return [
            Mismatch(
                "status",
                f"one of the documented statuses {sorted(missing.availableresponses)}",
                str(missing.http_status),
            )
        ]
    if isinstance(cause, MediaTypeNotFound) or isinstance(error, MediaTypeNotFound):
        media: MediaTypeNotFound = cause if isinstance(cause, MediaTypeNotFound) else error  # type: ignore[assignment]
        return [Mismatch("header Content-Type", f"one of {sorted(media.availableMimetypes)}", repr(media.mimetype))]
    if isinstance(error, MissingRequiredHeader):
        return [Mismatch(f"header {error.name}", "required header", "(missing)")]
    if isinstance(error, (PathNotFound, OperationNotFound, ServerNotFound)) or isinstance(
        cause, (PathNotFound, OperationNotFound, ServerNotFound)
    ):
        return [Mismatch("operation", "an operation documented in the OpenAPI document", str(cause or error))]
    schema_errors = getattr(cause, "schema_errors", None)
    if schema_errors:
        where = "$" if "Data" in name else f"header {getattr(error, 'name', '?')}"
        return from_errors(schema_errors, prefix=where if where == "$" else where + " $")
    if "Data" in name and cause is not None and "deserial" in type(cause).__name__.lower():
        return [Mismatch("$", "a body the content type can deserialize", str(cause))]
    return [Mismatch("response", "valid per OpenAPI", f"{name}: {cause or error}")]


def response_mismatches(document: OpenAPIDocument, response: requests.Response) -> list[Mismatch]:
    """Every difference between ``response`` and what ``document`` says for its request."""
    from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

    request = RequestsOpenAPIRequest(response.request)
    wrapped = RequestsOpenAPIResponse(response)
    out: list[Mismatch] = []
    for error in document.api.iter_response_errors(request, wrapped):
        out.extend(_error_mismatches(error))
    return out


def describe(response: requests.Response) -> str:
    """``GET /v1/universes/x -> 200`` (no query string, no host: no secrets)."""
    request = response.request
    path = urlsplit(str(request.url)).path if request is not None else "?"
    method = str(request.method) if request is not None else "?"
    return f"{method} {path} -> {response.status_code}"


def body_of(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def as_response(response: Any) -> requests.Response:
    """``response`` if it is a ``requests.Response`` with its request (as RequestsLibrary returns it)."""
    if not isinstance(response, requests.Response):
        raise ConfigurationError(
            f"Expected a response from RequestsLibrary (requests.Response), got {type(response).__name__}."
        )
    if response.request is None:
        raise ConfigurationError("The response has no request attached; send it with RequestsLibrary or requests.")
    return response


__all__ = ["OpenAPIDocument", "load", "response_mismatches", "describe", "body_of", "short", "as_response"]
