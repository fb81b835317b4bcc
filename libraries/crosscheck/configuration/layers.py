"""The layer grammar: where a system documents that a configuration value can come from.

    defaults                      nothing set: the loader's own defaults
    file:<path>                   a key written into a copy of that file (TOML, JSON, YAML, INI, .env
                                  by extension; created when absent; nested keys with dots)
    dotenv:<path>                 ``<PREFIX><KEY>=value`` written into a copy of that .env file
    environment                   the variable ``<PREFIX><KEY>`` in the loader's environment
    argument:<template>           command-line arguments, ``{key}`` and ``{value}`` filled in
                                  (``argument:--set {key}={value}``)

A layer may be named: ``shared=file:config/shared.toml``. Unnamed layers are called ``defaults``,
``file`` (``environment-file`` when the path holds ``{env}``), ``dotenv``, ``environment`` and
``command-line``, the names the loader is likely to report as a value's source. ``{env}`` in a
path is the environment name a keyword runs with.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass

from crosscheck.errors import ConfigurationError

KINDS = ("defaults", "file", "dotenv", "environment", "argument")
_NAMED = re.compile(r"^\s*([A-Za-z][\w.-]*)\s*=\s*((?:defaults|environment)\s*$|(?:file|dotenv|argument):.*)$", re.S)
GRAMMAR = "defaults, file:<path>, dotenv:<path>, environment, argument:<template with {key} and {value}>"


@dataclass(frozen=True)
class Layer:
    name: str
    kind: str
    target: str = ""  # the path of a file or dotenv layer, the template of an argument layer

    def __str__(self) -> str:
        return self.spec if self.name == self.default_name() else f"{self.name}={self.spec}"

    @property
    def spec(self) -> str:
        return f"{self.kind}:{self.target}" if self.target else self.kind

    def default_name(self) -> str:
        if self.kind == "file":
            return "environment-file" if "{env}" in self.target else "file"
        return {"argument": "command-line"}.get(self.kind, self.kind)

    def path(self, env: str | None) -> str:
        """The file path of a file or dotenv layer with ``{env}`` filled in."""
        if "{env}" in self.target and not env:
            raise ConfigurationError(
                f"layer {self.name} ({self.spec}) needs an environment name: give env= "
                "to the keyword or to Use Configuration Loader."
            )
        return self.target.replace("{env}", env or "")

    def arguments(self, key: str, value: str) -> list[str]:
        """The command-line arguments of an argument layer for ``key`` set to ``value``."""
        return [part.replace("{key}", key).replace("{value}", value) for part in shlex.split(self.target)]


def parse_layer(text: str) -> Layer:
    text = text.strip()
    name = None
    named = _NAMED.match(text)
    if named:
        name, text = named.group(1), named.group(2).strip()
    kind, _, target = text.partition(":")
    kind = kind.strip().lower()
    if kind not in KINDS:
        raise ConfigurationError(f"'{text}' is not a configuration layer: write one of {GRAMMAR}.")
    if kind in ("defaults", "environment") and target:
        raise ConfigurationError(f"layer '{text}' takes nothing after '{kind}': write '{kind}'.")
    if kind in ("file", "dotenv", "argument") and not target.strip():
        raise ConfigurationError(f"layer '{text}' needs a {'template' if kind == 'argument' else 'path'}: {GRAMMAR}.")
    if kind == "argument" and "{value}" not in target:
        raise ConfigurationError(
            f"layer '{text}' needs {{value}} in its template, e.g. argument:--set {{key}}={{value}}."
        )
    layer = Layer("", kind, target.strip())
    return Layer(name or layer.default_name(), kind, layer.target)


def parse_layers(layers: str | Iterable[str]) -> list[Layer]:
    """Layers from ``a, b, c`` or a list, lowest precedence first; names are unique."""
    items = [p for p in (layers.split(",") if isinstance(layers, str) else layers) if str(p).strip()]
    parsed = [parse_layer(str(item)) for item in items]
    seen: dict[str, Layer] = {}
    for layer in parsed:
        if layer.name in seen:
            raise ConfigurationError(
                f"two layers are called {layer.name!r} ({seen[layer.name].spec} and {layer.spec}): "
                f"name one of them, e.g. other-{layer.name}={layer.spec}."
            )
        seen[layer.name] = layer
    return parsed


def parse_order(order: str | Iterable[str]) -> list[str]:
    """``defaults < file < environment`` (or a list) -> layer names, lowest first."""
    if isinstance(order, str):
        parts = re.split(r"\s*<\s*|\s*,\s*", order.strip())
    else:
        parts = [str(p) for p in order]
    return [p.strip() for p in parts if p.strip()]


def variable(prefix: str, key: str) -> str:
    """The environment variable of ``key``: ``GATEWAY_`` + ``database.url`` -> ``GATEWAY_DATABASE__URL``."""
    return prefix + key.upper().replace(".", "__").replace("-", "_")
