"""Registering a system's configuration loader, loading the effective configuration, reading a value."""

from __future__ import annotations

import shlex
from datetime import timedelta
from pathlib import Path
from typing import Any

from robot.api.deco import keyword

from crosscheck.assertions import AssertionOperator, check
from crosscheck.configuration.context import ConfigurationContext
from crosscheck.configuration.keywords.common import as_list
from crosscheck.configuration.layers import parse_layers
from crosscheck.configuration.loader import Loader, Result
from crosscheck.configuration.report import shown_value
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.reporting import html_table, log_html


def _like(expected: Any, seen: Any) -> Any:
    """``expected`` written as text, read as the type of the value seen (``8000`` -> 8000, ``true`` -> True)."""
    if not isinstance(expected, str) or isinstance(seen, str) or seen is None:
        return expected
    if isinstance(seen, bool):
        return {"true": True, "false": False}.get(expected.strip().lower(), expected)
    for kind in (int, float):
        if isinstance(seen, kind):
            try:
                return kind(expected)
            except ValueError:
                return expected
    return expected


def _load(
    ctx: ConfigurationContext,
    name: str,
    env: str | None,
    environment: dict[str, Any] | None,
    arguments: str | list[str] | None,
    files: dict[str, str] | None,
) -> Result:
    """The loader of ``name`` run once in a temporary workspace (removed after), logged as its configuration.

    ``arguments`` written as text (``--set, port=1``) is split at commas."""
    arguments = as_list(arguments) if isinstance(arguments, str) else arguments
    loader = ctx.loader(name)
    with ctx.workspace(name) as ws:
        return ctx.load(
            loader,
            ws,
            f"Configuration of {name}",
            env=env,
            environment=environment,
            arguments=arguments,
            contents=files,
        )


class LoaderKeywords(Component[ConfigurationContext]):
    @keyword
    def use_configuration_loader(
        self,
        name: str,
        command: str | None = None,
        folder: Path | None = None,
        prefix: str = "",
        layers: str | list[str] = "defaults, environment",
        env: str | None = None,
        env_argument: str | None = None,
        env_variable: str | None = None,
        config_dir: str = "config",
        config_dir_variable: str | None = None,
        python: str | None = None,
        values_key: str | None = None,
        start: str | None = None,
        health_url: str | None = None,
        timeout: timedelta = timedelta(seconds=30),
        environment: dict | None = None,
    ) -> None:
        """Registers how system ``name`` loads its configuration, for every other keyword of this library.

        ``command`` prints the effective configuration as JSON: an object (flat or nested), or
        ``{"values": {...}, "sources": {...}}`` (``sources`` maps a key to the layer its value came
        from; ``values_key`` names another member holding the values). Instead of a command,
        ``python=module:function`` names a function that returns the configuration as a dict; it
        runs in a process of its own, called with the arguments as a list.

        ``folder`` is the system's folder: each load runs in a temporary copy of it (``.git``,
        ``.venv`` and caches left out), never in the folder itself, and the copy is removed after.
        The loader gets crosscheck's environment without any variable starting with ``prefix``,
        plus what the keyword sets.

        ``layers`` lists where the system documents that a value can come from, lowest precedence
        first (see `Layers`): ``defaults``, ``file:<path>``, ``dotenv:<path>``, ``environment``,
        ``argument:<template>``; ``name=<layer>`` names one. ``env`` is the environment name used
        when a keyword gives none; it fills ``{env}`` in paths and reaches the loader through
        ``env_argument`` (``--env {env}``) and/or ``env_variable`` (``GATEWAY_ENV``).
        ``config_dir_variable`` is set to the copy's ``config_dir`` folder for loaders that find
        their files through a variable.

        ``start`` is the command that starts the system as a service (``{port}`` is a free port),
        ``health_url`` the address that answers once it is ready (``http://127.0.0.1:{port}/health``):
        `Start Service With Configuration` and `Canary Secrets Should Not Leak` use them.
        ``environment`` holds variables every run sets (the addresses of the services the system
        needs: ``GATEWAY_POSTGRES_URL=${url}``); checks of a key set at the ``environment`` layer
        override them, and `Missing Key Should Be Refused` takes its key's variable out.

        | Use Configuration Loader    app    command=${PYTHON} app.py config    folder=${SYSTEM}
        | ...    prefix=APP_    env=development    env_argument=--env {env}
        | ...    layers=defaults, file:config/app.toml, file:config/app.{env}.toml, dotenv:.env, environment, argument:--set {key}={value}
        | ...    start=${PYTHON} app.py serve --port {port}    health_url=http://127.0.0.1:{port}/health
        """
        if not (command or python):
            raise ConfigurationError(
                f"give the loader of {name!r}: command=<command that prints JSON> or python=module:function."
            )
        if command and python:
            raise ConfigurationError(f"give the loader of {name!r} as command= or python=, not both.")
        if python and ":" not in python:
            raise ConfigurationError(f"python={python!r} is not module:function.")
        if folder is not None and not Path(folder).is_dir():
            raise ConfigurationError(f"the folder of {name!r}, {folder}, does not exist or is not a folder.")
        parsed = parse_layers(layers)
        loader = Loader(
            name=name,
            command=shlex.split(command) if command else [],
            layers=parsed,
            folder=Path(folder).resolve() if folder is not None else None,
            prefix=prefix,
            env=env,
            env_argument=env_argument,
            env_variable=env_variable,
            config_dir=config_dir,
            config_dir_variable=config_dir_variable,
            values_key=values_key,
            start=start,
            health_url=health_url,
            timeout=timeout.total_seconds(),
            python_callable=python,
            variables={str(k): str(v) for k, v in (environment or {}).items()},
        )
        self.ctx.loaders[name] = loader
        rows = [[i, layer.name, layer.spec] for i, layer in enumerate(parsed, 1)]
        how = f"python {python}" if python else command
        log_html(html_table(rows, ["precedence", "layer", "where"], f"Configuration loader {name}: {how}"))

    @keyword
    def load_configuration(
        self,
        name: str,
        env: str | None = None,
        environment: dict[str, Any] | None = None,
        arguments: list[str] | None = None,
        files: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Runs the loader of ``name`` and returns the effective configuration (the values, as printed).

        ``env`` is the environment name (the registered one when omitted); ``environment`` sets
        variables, ``arguments`` adds command-line arguments and ``files`` gives files of the copy
        a content (``path: text``, paths relative to the system's folder). The log shows the
        command, the working directory, the variables set (secrets masked) and every key with its
        value and source. Fails with what the loader said when it exits non-zero or prints no JSON.

        | ${config} =    Load Configuration    app
        | Should Be Equal As Integers    ${config}[port]    8000
        | ${config} =    Load Configuration    app    environment=${{ {"APP_PORT": "9000"} }}
        """
        return _load(self.ctx, name, env, environment, arguments, files).values or {}

    @keyword
    def get_configuration_value(
        self,
        name: str,
        key: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        env: str | None = None,
        environment: dict[str, Any] | None = None,
        arguments: list[str] | None = None,
        files: dict[str, str] | None = None,
    ) -> Any:
        """Returns the effective value of ``key`` (dots for nested keys: ``database.pool_size``).

        Loads as `Load Configuration` does. With an operator, checks the value with
        AssertionEngine; an expected value written as text is read as the value's type
        (``8000`` is the integer 8000, ``true`` is True). Fails when the loader has no such key,
        listing the keys it has.

        | Get Configuration Value    app    port    ==    8000
        | Get Configuration Value    app    port    ==    9000    environment=${{ {"APP_PORT": "9000"} }}
        | Get Configuration Value    app    debug    ==    false    env=production
        """
        result = _load(self.ctx, name, env, environment, arguments, files)
        found, value = result.value(key)
        if not found:
            keys = ", ".join(result.flat()) or "none"
            raise CrosscheckError(f"the configuration of {name} has no key {key!r}; its keys: {keys}.")
        source = result.source(key)
        what = f"{key} in the configuration of {name}" + (f" (from {source})" if source else "")
        shown = shown_value(key, value)
        if shown == "***" and assertion_operator is not None:
            what += " (a secret: values not shown)"
            message = f"{what} is not as expected"
            return check(
                value, assertion_operator, assertion_expected, what, convert=lambda e: _like(e, value), message=message
            )
        return check(value, assertion_operator, assertion_expected, what, convert=lambda e: _like(e, value))
