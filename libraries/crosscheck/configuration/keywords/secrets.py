"""Secrets: a service started with a test configuration, and canary secrets that must not leak."""

from __future__ import annotations

import glob
import shlex
from datetime import timedelta
from typing import Any

import requests
from robot.api import logger
from robot.api.deco import keyword

from crosscheck.configuration.canaries import Canaries, Finding, canary_value, secret_keys
from crosscheck.configuration.context import ConfigurationContext, remove
from crosscheck.configuration.keywords.common import as_list
from crosscheck.configuration.layers import Layer
from crosscheck.configuration.loader import Loader, Service, Setting, execute
from crosscheck.configuration.report import describe
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.ports import free_port
from crosscheck.reporting import html_table, log_html

DEFAULT_URLS = "/health, /metrics, /crosscheck-no-such-page"
DEFAULT_LOGS = "**/*.log"


class SecretKeywords(Component[ConfigurationContext]):
    def _service(self, loader: Loader, port: int, ready: float, **prepare: Any) -> Service:
        if not loader.start:
            raise ConfigurationError(
                f"{loader.name} has no start command: give start= (and health_url=) to Use Configuration Loader."
            )
        ws = self.ctx.new_workspace(loader.name)  # removed at the end of the test, after the service stopped
        inv = loader.prepare(ws, command=shlex.split(loader.start), **prepare)
        logger.info(f"starting {loader.name}: {describe(inv).replace('{port}', str(port))}")
        service = self.ctx.start(inv, port, ready)
        return service

    @keyword
    def start_service_with_configuration(
        self,
        name: str,
        env: str | None = None,
        environment: dict[str, Any] | None = None,
        files: dict[str, str] | None = None,
        arguments: list[str] | None = None,
        ready_timeout: timedelta = timedelta(seconds=30),
    ) -> str:
        """Starts system ``name`` with its registered ``start`` command on a copy of its folder, and returns its URL.

        Settings are given as in `Load Configuration`; ``{port}`` in the start command, the health
        URL and the values of ``environment`` is a free port. Returns once ``health_url`` answers
        (any status below 500); fails with the end of the service's output when it exits or does
        not answer in ``ready_timeout``. The service is stopped, and its copy removed, when the test
        ends. `Get Service Output` returns what it printed.

        | ${url} =    Start Service With Configuration    app    env=production
        | ${health} =    GET    ${url}/health
        """
        loader = self.ctx.loader(name)
        port = free_port()
        service = self._service(
            loader,
            port,
            ready_timeout.total_seconds(),
            env=env,
            environment={k: str(v).replace("{port}", str(port)) for k, v in (environment or {}).items()},
            arguments=arguments,
            contents=files,
        )
        self.ctx.services[name] = service
        logger.info(f"{name} answers at {service.url} (pid {service.proc.pid if service.proc else '?'})")
        return service.url

    @keyword
    def get_service_output(self, name: str) -> str:
        """Returns what the service ``name`` started by `Start Service With Configuration` printed so far (secrets masked).

        | ${output} =    Get Service Output    app
        | Should Contain    ${output}    listening
        """
        if name not in self.ctx.services:
            raise ConfigurationError(
                f"{name} was not started in this test: use Start Service With Configuration first."
            )
        service = self.ctx.services[name]
        return service.tail(10**6)

    @keyword
    def canary_secrets_should_not_leak(
        self,
        name: str,
        secrets: str | list[str] | None = None,
        layers: str | list[str] | None = None,
        urls: str | list[str] | None = DEFAULT_URLS,
        log_files: str | list[str] | None = DEFAULT_LOGS,
        env: str | None = None,
        ready_timeout: timedelta = timedelta(seconds=30),
    ) -> None:
        """Fails if a canary secret set for a secret key shows up where the system writes.

        ``secrets`` names the secret keys; by default they are the keys named like
        ``*password*``, ``*secret*``, ``*token*``, ``*pepper*``, ``*api_key*``, and keys whose value
        is a URL with a password (there the canary is the URL's password). Each gets a unique
        random canary, set at ``layers`` (``environment`` by default, else the highest layer).

        Then the canaries are looked for, as they are, URL-, base64- and hex-encoded, in:
        the loader's output; and, when the system has a ``start`` command, the started
        service's output, the responses (body and headers) to ``urls`` (paths on its address, or
        full URLs; an error-provoking path is among the defaults) and the files matching
        ``log_files`` in its folder. The service is stopped before the keyword returns.

        Each place a canary was found is reported with the key, the line and a snippet in which
        the canary is replaced by ``<canary of KEY>``: no canary value reaches the log. Fails
        when no secret key is found, since nothing would then be checked.

        | Canary Secrets Should Not Leak    app
        | Canary Secrets Should Not Leak    app    secrets=api_token, database_url    urls=/health, /metrics
        """
        loader = self.ctx.loader(name)
        with self.ctx.workspace(name) as ws:
            base = self.ctx.load(loader, ws, f"{name} before the canaries are set", env=env)
            flat = base.flat()
            keys = as_list(secrets) or secret_keys(flat)
            if not keys:
                raise CrosscheckError(
                    f"no secret key found in the configuration of {name} (none named like a password, secret, "
                    f"token, pepper or API key, no URL with a password): name them with secrets=, or nothing is checked."
                )
            canaries = Canaries(keys)
            targets = self._layers(loader, layers)
            settings = [
                Setting(layer, key, canary_value(flat.get(key), canaries.by_key[key]), secret=canaries.by_key[key])
                for layer in targets
                for key in keys
            ]
            places: list[list[Any]] = []
            findings: list[Finding] = []

            def look(text: str, where: str) -> None:
                found = canaries.scan(text, where)
                findings.extend(found)
                places.append([where, len(text.splitlines()), len(found)])

            inv = loader.prepare(ws, env, settings)
            result = execute(inv)
            logger.info(f"loader with canaries: {canaries.redact(describe(inv))} -> exit {result.rc}")
            if not result.loaded:
                raise CrosscheckError(
                    f"{name} did not load with canary secrets set at {', '.join(layer.name for layer in targets)}: "
                    f"{canaries.redact(result.problem or '')}"
                )
            look(result.stdout + "\n" + result.stderr, "loader output")
            if loader.start:
                self._service_places(
                    loader, settings, env, as_list(urls), as_list(log_files), ready_timeout, look, canaries
                )
            else:
                logger.info(f"{name} has no start command: only the loader's output was searched")
        log_html(
            html_table(
                places, ["place", "lines", "canaries found"], f"Places searched for the canaries of {', '.join(keys)}"
            )
        )
        if findings:
            rows = [[f.where, f.line or "", f.key, f.form, f.snippet] for f in findings]
            log_html(html_table(rows, ["place", "line", "secret", "found", "snippet"], "Canary secrets found"))
            listed = "; ".join(
                f"{f.key} in {f.where}" + (f" line {f.line}" if f.line else "") + f" ({f.form}): {f.snippet}"
                for f in findings[:10]
            )
            more = f" (and {len(findings) - 10} more)" if len(findings) > 10 else ""
            raise CrosscheckError(
                f"canary secrets of {name} leaked in {len(findings)} place{'s' if len(findings) != 1 else ''}: {listed}{more}"
            )
        logger.info(f"no canary of {', '.join(keys)} found in {len(places)} places")

    def _service_places(self, loader, settings, env, urls, log_files, ready_timeout, look, canaries) -> None:
        port = free_port()
        service = self._service(loader, port, ready_timeout.total_seconds(), env=env, settings=settings)
        try:
            for url in urls:
                full = url if "://" in url else service.url + "/" + url.lstrip("/")
                try:
                    response = requests.get(service.fill(full), timeout=10)
                except requests.RequestException as exc:
                    look("", f"GET {url} (no answer: {type(exc).__name__})")
                    continue
                look(response.text, f"GET {url} ({response.status_code})")
                look("\n".join(f"{k}: {v}" for k, v in response.headers.items()), f"GET {url} headers")
        finally:
            service.stop()
        look(service.read_output(), f"{loader.name}'s output")
        for pattern in log_files:
            for path in sorted(glob.glob(pattern, root_dir=service.inv.cwd, recursive=True)):
                full_path = service.inv.cwd / path
                if full_path.is_file():
                    look(full_path.read_text(errors="replace"), path)
        remove(service.inv.cwd)

    @staticmethod
    def _layers(loader: Loader, layers: str | list[str] | None) -> list[Layer]:
        if layers:
            chosen = [loader.layer(n) for n in as_list(layers)]
            if any(layer.kind == "defaults" for layer in chosen):
                raise ConfigurationError("a canary cannot be set at the defaults layer: choose layers that set values.")
            return chosen
        settable = [layer for layer in loader.layers if layer.kind != "defaults"]
        if not settable:
            raise ConfigurationError(f"{loader.name} has no layer that sets a value: register one in layers=.")
        return [next((layer for layer in settable if layer.kind == "environment"), settable[-1])]
