"""Running a system's configuration loader on a temporary copy of its folder.

A :class:`Loader` is what `Use Configuration Loader` registered: the command (or Python callable)
that prints the effective configuration as JSON, the system's folder, the variable prefix and the
layers. :meth:`Loader.prepare` copies the folder into a workspace, writes the settings of a run
into the copy (files, .env) and builds the command line and the environment; :func:`execute`
runs it. Nothing outside the workspace is written, and crosscheck's own environment is never
changed: the loader gets a copy of it, without any variable of the system's prefix.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import crosscheck
from crosscheck.config import mask_text
from crosscheck.configuration import files
from crosscheck.configuration.canaries import is_secret, mask
from crosscheck.configuration.layers import Layer, variable
from crosscheck.configuration.precedence import text
from crosscheck.errors import ConfigurationError, CrosscheckError

IGNORED = (".git", ".hg", ".venv", "venv", "node_modules", "__pycache__", "*.pyc", ".mypy_cache", ".pytest_cache")


@dataclass
class Setting:
    """``key`` set to ``value`` at ``layer`` (``remove``: taken out of that layer instead)."""

    layer: Layer
    key: str
    value: Any = None
    remove: bool = False
    secret: str | None = None  # a secret inside the value (a canary), masked wherever it is shown


@dataclass
class Invocation:
    loader: Loader
    cwd: Path
    argv: list[str]
    env: dict[str, str]
    variables: dict[str, str]  # what was set on top of the inherited environment
    written: list[str] = field(default_factory=list)  # "config/app.toml:3 port = 7101"
    secrets: list[str] = field(default_factory=list)  # values set for secret keys, masked in every log
    where: dict[tuple[str, str], str] = field(default_factory=dict)  # (layer, key) -> how it was set

    def shown_variables(self) -> dict[str, str]:
        return {k: ("***" if is_secret(k) else mask(mask_text(v), self.secrets)) for k, v in self.variables.items()}

    def shown_command(self) -> str:
        return mask(mask_text(shlex.join(self.argv)), self.secrets)


@dataclass
class Result:
    invocation: Invocation
    rc: int | None
    stdout: str
    stderr: str
    values: dict[str, Any] | None = None
    sources: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None  # why no configuration could be read

    @property
    def loaded(self) -> bool:
        return self.values is not None

    def value(self, key: str) -> tuple[bool, Any]:
        return files.lookup(self.values or {}, key)

    def source(self, key: str) -> str | None:
        found, source = files.lookup(self.sources, key)
        return str(source) if found else None

    def flat(self) -> dict[str, Any]:
        return files.flatten(self.values or {})

    def secrets(self) -> list[str]:
        """Values of secret keys, as loaded and as set: masked wherever output is shown."""
        loaded = [v for k, v in self.flat().items() if is_secret(k) and isinstance(v, str) and v != "***"]
        return self.invocation.secrets + loaded

    def shown(self, text_: str, limit: int = 3000) -> str:
        shown = mask(mask_text(text_), self.secrets()).strip()
        return shown if len(shown) <= limit else shown[:limit] + f"\n... ({len(shown) - limit} more characters)"

    def message(self) -> str:
        """What the loader said (stderr, else stdout), masked, for a failure message."""
        said = self.stderr.strip() or self.stdout.strip()
        return self.shown(said, 600) or "(nothing)"


@dataclass
class Loader:
    name: str
    command: list[str]
    layers: list[Layer]
    folder: Path | None = None
    prefix: str = ""
    env: str | None = None
    env_argument: str | None = None
    env_variable: str | None = None
    config_dir: str = "config"
    config_dir_variable: str | None = None
    values_key: str | None = None
    start: str | None = None
    health_url: str | None = None
    timeout: float = 30.0
    python_callable: str | None = None
    variables: dict[str, str] = field(default_factory=dict)  # set in every run (addresses it needs)

    def layer(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.name == name or layer.spec == name or str(layer) == name:
                return layer
        known = ", ".join(layer.name for layer in self.layers)
        raise ConfigurationError(f"configuration {self.name!r} has no layer {name!r}: its layers are {known}.")

    def variable(self, key: str) -> str:
        return variable(self.prefix, key)

    def copy(self, into: Path) -> Path:
        """A copy of the system's folder (an empty folder when none was given) under ``into``."""
        into.mkdir(parents=True, exist_ok=True)
        target = Path(tempfile.mkdtemp(prefix=f"{self.name}-", dir=into))
        if self.folder is not None:
            shutil.copytree(
                self.folder, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*IGNORED), symlinks=True
            )
        return target

    def base_environment(self) -> dict[str, str]:
        drop = {self.env_variable, self.config_dir_variable}
        env = {k: v for k, v in os.environ.items() if not (self.prefix and k.startswith(self.prefix)) and k not in drop}
        if self.python_callable:
            root = str(Path(crosscheck.__file__).resolve().parents[1])
            env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        return env

    def prepare(
        self,
        workspace: Path,
        env: str | None = None,
        settings: list[Setting] = (),  # type: ignore[assignment]
        environment: dict[str, Any] | None = None,
        arguments: list[str] | None = None,
        contents: dict[str, str] | None = None,
        command: list[str] | None = None,
    ) -> Invocation:
        """A copy with ``settings`` and ``contents`` (path -> text) written, and the command to run there."""
        cwd = self.copy(workspace)
        env = env or self.env
        argv = list(command or self.command)
        variables: dict[str, str] = dict(self.variables)
        if self.python_callable:
            argv = [sys.executable, "-m", "crosscheck.configuration.call", self.python_callable, str(cwd)]
        if env:
            if self.env_argument:
                argv += [part.replace("{env}", env) for part in shlex.split(self.env_argument)]
            if self.env_variable:
                variables[self.env_variable] = env
        if self.config_dir_variable:
            variables[self.config_dir_variable] = str(cwd / self.config_dir)
        inv = Invocation(self, cwd, argv, {}, variables)
        for path, content in (contents or {}).items():
            target = self.inside(cwd, path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
            inv.written.append(f"{path} (given content, {len(content.splitlines())} lines)")
        for setting in settings:
            self.apply(inv, setting, env)
        for name, value in (environment or {}).items():
            variables[str(name)] = text(value)
        argv += [str(a) for a in arguments or []]
        inv.env = {**self.base_environment(), **variables}
        return inv

    @staticmethod
    def inside(cwd: Path, path: str) -> Path:
        target = (cwd / path).resolve()
        if not target.is_relative_to(cwd.resolve()):
            raise ConfigurationError(f"{path} is outside the system's folder: give a path relative to it.")
        return target

    def apply(self, inv: Invocation, setting: Setting, env: str | None) -> None:
        layer, key, value = setting.layer, setting.key, setting.value
        secret = is_secret(key) or setting.secret is not None
        shown = "***" if secret else text(value)
        if secret and value is not None:
            inv.secrets += [text(value)] + ([setting.secret] if setting.secret else [])
        name = self.variable(key)
        if layer.kind == "defaults":
            if not setting.remove:
                raise ConfigurationError(f"nothing can be set at the defaults layer of {self.name!r}.")
        elif layer.kind in ("file", "dotenv"):
            rel = layer.path(env)
            path = self.inside(inv.cwd, rel)
            as_variable = name if layer.kind == "dotenv" or files.format_of(path) == "dotenv" else None
            if setting.remove:
                if files.remove_key(path, key, as_variable):
                    inv.written.append(f"{rel}: {as_variable or key} removed")
                return
            line = files.write_key(path, key, value, as_variable)
            where = f"{rel}:{line}" if line else rel
            how = f"{where} {as_variable}={shown}" if as_variable else f"{where} {key} = {shown}"
            inv.written.append(how)
            inv.where[(layer.name, key)] = how
        elif layer.kind == "environment":
            if setting.remove:
                inv.variables.pop(name, None)
                return
            inv.variables[name] = text(value)
            inv.where[(layer.name, key)] = f"{name}={shown}"
        elif layer.kind == "argument":
            if setting.remove:
                return
            args = layer.arguments(key, text(value))
            inv.argv += args
            inv.where[(layer.name, key)] = mask(shlex.join(args), inv.secrets)


def parse_output(stdout: str, values_key: str | None = None) -> tuple[dict, dict, dict]:
    """``(values, sources, meta)`` from the loader's printed JSON.

    A ``{"values": {...}, "sources": {...}}`` envelope (or the object under ``values_key``) gives
    the values, the sources and the rest as metadata; any other object is the configuration itself.
    The JSON may follow other lines of output: the last line that starts an object is tried.
    """
    data = _json_object(stdout)
    key = values_key or "values"
    if isinstance(data.get(key), dict) and (values_key or isinstance(data.get("sources"), dict)):
        values = data[key]
        sources = data.get("sources") if isinstance(data.get("sources"), dict) else {}
        meta = {k: v for k, v in data.items() if k not in (key, "sources")}
        return values, sources or {}, meta
    return data, {}, {}


def _json_object(stdout: str) -> dict:
    text_ = stdout.strip()
    candidates = [text_] + [
        "\n".join(text_.splitlines()[i:]) for i, line in enumerate(text_.splitlines()) if line.lstrip().startswith("{")
    ]
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(data, dict):
            return data
    raise ValueError("it printed no JSON object")


def execute(inv: Invocation, timeout: float | None = None) -> Result:
    loader = inv.loader
    try:
        proc = subprocess.run(
            inv.argv,
            cwd=inv.cwd,
            env=inv.env,
            capture_output=True,
            text=True,
            timeout=timeout or loader.timeout,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise ConfigurationError(
            f"the configuration loader of {loader.name!r} cannot be run: {inv.argv[0]!r} is not found "
            "(install the system, or give the full path in command=)."
        ) from None
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout or ""
        result = Result(inv, None, out, "")
        result.problem = f"it did not finish within {timeout or loader.timeout:g} s"
        return result
    result = Result(inv, proc.returncode, proc.stdout, proc.stderr)
    if proc.returncode == 0:
        try:
            result.values, result.sources, result.meta = parse_output(proc.stdout, loader.values_key)
        except ValueError as exc:
            result.problem = f"{exc}; it printed: {result.shown(proc.stdout, 400) or '(nothing)'}"
    else:
        result.problem = f"it exited with {proc.returncode}: {result.message()}"
    return result


class Service:
    """A system started with a configuration: its process, its output file and its address."""

    def __init__(self, inv: Invocation, port: int, output: Path) -> None:
        self.inv = inv
        self.port = port
        self.output = output
        self.proc: subprocess.Popen | None = None

    def fill(self, text_: str) -> str:
        return text_.replace("{port}", str(self.port))

    @property
    def url(self) -> str:
        health = self.inv.loader.health_url
        if health:
            from urllib.parse import urlsplit

            parts = urlsplit(self.fill(health))
            return f"{parts.scheme}://{parts.netloc}"
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_timeout: float) -> None:
        loader = self.inv.loader
        with open(self.output, "ab") as out:
            self.proc = subprocess.Popen(
                [self.fill(a) for a in self.inv.argv],
                cwd=self.inv.cwd,
                env={k: self.fill(v) for k, v in self.inv.env.items()},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if not loader.health_url:
            time.sleep(min(1.0, ready_timeout))
            if self.proc.poll() is not None:
                raise CrosscheckError(self.ended())
            return
        import requests

        url = self.fill(loader.health_url)
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise CrosscheckError(self.ended())
            with contextlib.suppress(requests.RequestException):
                if requests.get(url, timeout=2).status_code < 500:
                    return
            time.sleep(0.1)
        raise CrosscheckError(
            f"{loader.name} did not answer {url} within {ready_timeout:g} s after it was started; "
            f"its output ends with: {self.tail()}"
        )

    def ended(self) -> str:
        rc = self.proc.returncode if self.proc else None
        return f"{self.inv.loader.name} exited with {rc} while starting; its output ends with: {self.tail()}"

    def read_output(self) -> str:
        try:
            return self.output.read_text(errors="replace")
        except OSError:
            return ""

    def tail(self, lines: int = 10) -> str:
        shown = mask(mask_text("\n".join(self.read_output().splitlines()[-lines:])), self.inv.secrets)
        return shown or "(nothing)"

    def stop(self, timeout: float = 5.0) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
