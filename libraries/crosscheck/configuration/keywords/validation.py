"""Validation: the loader refuses a configuration that is missing a key, has a wrong type or an unknown version."""

from __future__ import annotations

import re
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from crosscheck.configuration.context import ConfigurationContext
from crosscheck.configuration.keywords.common import names_key
from crosscheck.configuration.layers import Layer
from crosscheck.configuration.loader import Loader, Result, Setting
from crosscheck.configuration.report import shown_value
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError


def _accepted(result: Result, what: str, key: str | None = None) -> str:
    name = result.invocation.loader.name
    if key is not None:
        found, value = result.value(key)
        ended = f"ended with {key}={shown_value(key, value)}" if found else f"ended without {key}"
        source = result.source(key)
        return f"{name} loaded {what} anyway (exit 0) and {ended}" + (f" (source: {source})" if source else "")
    shown = ", ".join(f"{k}={shown_value(k, v)}" for k, v in list(result.flat().items())[:12])
    return f"{name} loaded {what} anyway (exit 0); it printed: {shown or result.shown(result.stdout, 300)}"


class ValidationKeywords(Component[ConfigurationContext]):
    def _refusal(self, loader: Loader, result: Result, what: str, key: str | None) -> str:
        if result.rc == 0:
            raise CrosscheckError(_accepted(result, what, key))
        if result.rc is None:
            raise CrosscheckError(f"{loader.name} neither loaded nor refused {what}: {result.problem}")
        said = result.stderr + "\n" + result.stdout
        logger.info(f"{loader.name} refused {what} (exit {result.rc}): {result.message()}")
        return said

    @keyword
    def loader_should_refuse(
        self,
        name: str,
        message_pattern: str | None = None,
        env: str | None = None,
        environment: dict[str, Any] | None = None,
        files: dict[str, str] | None = None,
        arguments: list[str] | None = None,
    ) -> str:
        """Fails unless the loader exits non-zero with the given settings, saying something that matches ``message_pattern``.

        ``message_pattern`` is a regular expression searched (case-insensitive) in what the loader
        printed on stderr and stdout. Fails when the loader loads anyway (showing what it printed)
        or when its message does not match. Returns the message, secrets masked.

        | Loader Should Refuse    app    port.*integer    environment=${{ {"APP_PORT": "abc"} }}
        | Loader Should Refuse    app    timeout    files=${{ {"config/app.toml": "timeout = 'soon'"} }}
        """
        loader = self.ctx.loader(name)
        with self.ctx.workspace(name) as ws:
            result = self.ctx.run(
                loader, ws, f"{name} with a configuration it should refuse", env, None, environment, arguments, files
            )
            said = self._refusal(loader, result, "the configuration", None)
        if message_pattern and not re.search(message_pattern, said, re.I | re.M):
            raise CrosscheckError(
                f"{name} refused the configuration (exit {result.rc}), but its message does not match "
                f"{message_pattern!r}: {result.message()}"
            )
        return result.message()

    @keyword
    def missing_key_should_be_refused(self, name: str, key: str, env: str | None = None) -> str:
        """Fails unless the loader refuses to load without ``key``, naming it.

        ``key`` is taken out of every file and .env layer of the copy, and its variable out of the
        environment (also when the registration's ``environment`` sets it). Fails when the loader loads anyway (showing the value
        it ended with and its source) or refuses without naming the key (or its variable).

        | Missing Key Should Be Refused    app    database_url
        """
        loader = self.ctx.loader(name)
        settings = [
            Setting(layer, key, remove=True)
            for layer in loader.layers
            if layer.kind in ("file", "dotenv", "environment")
        ]
        with self.ctx.workspace(name) as ws:
            result = self.ctx.run(loader, ws, f"{name} without {key}", env, settings)
            said = self._refusal(loader, result, f"a configuration without {key}", key)
        if not names_key(said, key, loader.variable(key)):
            raise CrosscheckError(
                f"{name} refused a configuration without {key} (exit {result.rc}), but its message does not "
                f"name {key}: {result.message()}"
            )
        return result.message()

    @keyword
    def wrong_type_should_be_refused(
        self, name: str, key: str, value: str, layer: str | None = None, env: str | None = None
    ) -> str:
        """Fails unless the loader refuses ``key`` set to ``value`` (of the wrong type), naming the key.

        The value is set at ``layer`` (``environment`` when the system has that layer, else its
        highest one). Fails when the loader loads anyway (showing what it ended with) or refuses
        without naming the key or its variable.

        | Wrong Type Should Be Refused    app    port    abc
        | Wrong Type Should Be Refused    app    debug    perhaps    layer=file
        """
        loader = self.ctx.loader(name)
        target = self._layer(loader, layer)
        with self.ctx.workspace(name) as ws:
            result = self.ctx.run(
                loader, ws, f"{name} with {key}={value} at {target.name}", env, [Setting(target, key, value)]
            )
            how = result.invocation.where.get((target.name, key), target.spec)
            said = self._refusal(loader, result, f"{key}={value} set at {target.name} ({how})", key)
        if not names_key(said, key, loader.variable(key)):
            raise CrosscheckError(
                f"{name} refused {key}={value} (exit {result.rc}), but its message does not name {key}: {result.message()}"
            )
        return result.message()

    @keyword
    def unknown_configuration_version_should_be_refused(
        self,
        name: str,
        file: str,
        version_key: str = "config_version",
        version: str = "999",
        env: str | None = None,
    ) -> str:
        """Fails unless the loader refuses ``file`` with ``version_key`` set to an unknown ``version``, naming the version.

        ``file`` is a path relative to the system's folder; a copy of it gets the version (as a
        number when it reads as one). Fails when the loader loads anyway or refuses without
        saying the version.

        | Unknown Configuration Version Should Be Refused    app    config/app.toml
        | Unknown Configuration Version Should Be Refused    app    config/app.toml    version_key=config_version    version=999
        """
        loader = self.ctx.loader(name)
        number: Any = int(version) if str(version).isdigit() else version
        setting = Setting(Layer("version", "file", file), version_key, number)
        with self.ctx.workspace(name) as ws:
            result = self.ctx.run(loader, ws, f"{name} with {file} at {version_key} = {version}", env, [setting])
            said = self._refusal(loader, result, f"{file} with {version_key} = {version} (an unknown version)", None)
        if not re.search(rf"(?<![\w.]){re.escape(str(version))}(?![\w.])", said):
            raise CrosscheckError(
                f"{name} refused {file} with {version_key} = {version} (exit {result.rc}), but its message does "
                f"not say the version {version}: {result.message()}"
            )
        return result.message()

    @staticmethod
    def _layer(loader: Loader, name: str | None) -> Layer:
        if name:
            layer = loader.layer(name)
            if layer.kind == "defaults":
                raise ConfigurationError("nothing can be set at the defaults layer: choose another layer=.")
            return layer
        settable = [layer for layer in loader.layers if layer.kind != "defaults"]
        if not settable:
            raise ConfigurationError(f"{loader.name} has no layer that sets a value: register one in layers=.")
        return next((layer for layer in settable if layer.kind == "environment"), settable[-1])
