"""Layered configuration for the demo's repositories: the contract is demo/README.md, "Configuration"."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

VERSION = 2
ENVIRONMENTS = ("development", "staging", "production")
REQUIRED = object()
_TYPES = dict(
    str="a string", int="an integer", float="a number", bool="true or false", list="a list of strings", url="a URL"
)
_BOOLS = dict.fromkeys(("true", "1", "yes", "on"), True) | dict.fromkeys(("false", "0", "no", "off"), False)


@dataclass(frozen=True)
class Key:
    name: str
    type: str  # one of _TYPES
    default: Any = REQUIRED
    secret: bool = False
    help: str = ""
    choices: tuple[str, ...] = ()  # allowed list items


class ConfigError(Exception):
    """A configuration that cannot be loaded; the message names the key and where its value came from."""


def first_line(exc: BaseException) -> str:
    """An error's first line, for one-line messages (its type when it has no text)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@dataclass
class Config:
    repo: str
    environment: str
    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    keys: dict[str, Key] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def log(self, logger: logging.Logger) -> None:  # the start-up line, secrets masked
        logger.info("configuration: %s", json.dumps(self.redacted(), separators=(",", ":")))

    def redacted(self) -> dict:
        return {
            "config_version": VERSION,
            "environment": self.environment,
            "values": {k: redact(self.keys[k], v) for k, v in self.values.items()},
            "sources": self.sources,
        }


def redact(key: Key, value: Any) -> Any:
    if key.secret and value:
        return "***"
    if key.type == "url" and value and urlsplit(value).password:
        parts = urlsplit(value)
        return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)).geturl()
    return value


def convert(key: Key, raw: Any, where: str) -> Any:
    """``raw`` (a TOML value, or text from the environment) as ``key``'s type."""
    text = isinstance(raw, str) and key.type not in ("str", "url")
    try:
        if key.type == "bool" and text:
            value: Any = _BOOLS[raw.strip().lower()]
        elif key.type in ("int", "float") and text:
            value = int(raw) if key.type == "int" else float(raw)
        elif key.type == "list" and text:
            value = json.loads(raw) if raw.strip().startswith("[") else [s.strip() for s in raw.split(",") if s.strip()]
        else:
            value = float(raw) if key.type == "float" and type(raw) is int else raw
        expected = {"str": str, "url": str, "int": int, "float": float, "bool": bool, "list": list}[key.type]
        ok = type(value) is expected and (key.type != "list" or all(isinstance(s, str) for s in value))
        if ok and key.type == "url":
            ok = bool(urlsplit(value).scheme and urlsplit(value).netloc)
    except (ValueError, KeyError):
        ok = False
    if not ok:
        raise ConfigError(f"{key.name}: expected {_TYPES[key.type]}, got {raw!r} ({where})")
    unknown = [s for s in value if s not in key.choices] if key.choices else []
    if unknown:
        raise ConfigError(f"{key.name}: unknown value {unknown[0]!r}, known: {', '.join(key.choices)} ({where})")
    return value


def migrate(data: dict, path: Path, prog: str) -> dict:
    """A file's table as version 2: version 1 had ``[redis] host/port/db/password`` for ``redis_url``."""
    version = data.get("config_version")
    if version not in (1, 2):
        raise ConfigError(f"config_version {version} in {path} is not supported: {prog} reads versions 1 and 2")
    data = {**data, "config_version": VERSION}
    if version == 1 and "redis" in data:
        redis = data.pop("redis")
        auth = f":{redis['password']}@" if redis.get("password") else ""
        host, port, db = redis.get("host", "127.0.0.1"), redis.get("port", 6379), redis.get("db", 0)
        data["redis_url"] = f"redis://{auth}{host}:{port}/{db}"
    return data


def read_toml(path: Path, prog: str) -> dict:
    try:
        return migrate(tomllib.loads(path.read_text(encoding="utf-8")), path, prog)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None


def dump_toml(data: dict) -> str:
    return "".join(f"{k} = {json.dumps(v)}\n" for k, v in data.items())  # JSON scalars and lists are TOML too


def read_dotenv(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.strip().removeprefix("export ").partition("=")
        if sep and not line.strip().startswith("#"):
            value = value.strip()
            if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            found[name.strip()] = value
    return found


def load(
    repo: str,
    keys: list[Key],
    package_dir: Path,
    environment: str | None = None,
    config_dir: str | None = None,
    env_file: str | None = None,
    sets: list[str] = (),
) -> Config:
    """The effective configuration of repository ``repo`` (``package_dir`` is its package's folder)."""
    prog, prefix, by_name = f"demo-{repo}", repo.upper() + "_", {k.name: k for k in keys}
    environment = environment or os.environ.get(prefix + "ENV") or "development"
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"environment {environment!r} is not one of {', '.join(ENVIRONMENTS)}")
    cfg = Config(repo, environment, keys=by_name)
    raw: dict[str, tuple[Any, str, str]] = {k.name: (k.default, "defaults", "defaults") for k in keys}
    named, local = config_dir or os.environ.get(prefix + "CONFIG_DIR"), Path("config")
    directory = Path(named) if named else local if (local / f"{repo}.toml").is_file() else package_dir.parent / "config"
    for name, source in ((f"{repo}.toml", "file"), (f"{repo}.{environment}.toml", "environment-file")):
        path = directory.resolve() / name
        if path.is_file():
            for key, value in read_toml(path, prog).items():
                if key not in by_name and key != "config_version":
                    raise ConfigError(f"unknown key {key!r} in {path}")
                raw[key] = (value, source, f"from {path}")
            raw.pop("config_version", None)
    dotenv = Path(env_file or ".env")
    if env_file or dotenv.is_file():
        for var, value in read_dotenv(dotenv).items():
            key = var.removeprefix(prefix).lower()
            if var.startswith(prefix) and key not in ("env", "config_dir"):
                if key not in by_name:
                    raise ConfigError(f"unknown key {var!r} in {dotenv.resolve()}")
                raw[key] = (value, "dotenv", f"from {var} in {dotenv.resolve()}")
    for key in by_name:
        if (var := prefix + key.upper()) in os.environ:
            raw[key] = (os.environ[var], "environment", f"from environment variable {var}")
    for item in sets:
        key, sep, value = item.partition("=")
        if not sep or key.strip() not in by_name:
            raise ConfigError(f"--set {item!r}: expected key=value with a key of {prog} ({', '.join(by_name)})")
        raw[key.strip()] = (value, "command-line", f"from --set {key.strip()}")
    for key, (value, source, where) in raw.items():
        if value is REQUIRED:
            raise ConfigError(f"{key}: required but not set (set {prefix}{key.upper()} or {key} in {repo}.toml)")
        cfg.values[key], cfg.sources[key] = convert(by_name[key], value, where), source
    return cfg


def main(repo: str, keys: list[Key], package_dir: Path, add_commands, errors: tuple = (), argv=None, prog=None) -> None:
    """A repository's command line: ``config`` plus what ``add_commands(subparsers, parent)`` adds, each
    command's function called as ``func(cfg, args)``."""
    prog = prog or f"demo-{repo}"
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--env", choices=ENVIRONMENTS, help=f"environment (default {repo.upper()}_ENV or development)")
    common.add_argument("--config-dir", help=f"folder of {repo}.toml (default {repo.upper()}_CONFIG_DIR)")
    common.add_argument("--env-file", help="a .env file to read instead of ./.env")
    common.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a key")
    parser = argparse.ArgumentParser(prog=prog)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("config", parents=[common], help="print the effective configuration as JSON")
    p.add_argument("--migrate", metavar="FILE", help="print FILE rewritten as a version 2 file instead")
    p.set_defaults(func=lambda cfg, args: print(json.dumps(cfg.redacted(), indent=2)))
    add_commands(sub, common)
    args = parser.parse_args(argv)
    try:
        if getattr(args, "migrate", None):
            print(dump_toml(read_toml(Path(args.migrate), prog)), end="")
            return
        cfg = load(repo, keys, package_dir, args.env, args.config_dir, args.env_file, args.set)
    except (ConfigError, OSError) as exc:
        print(f"{prog}: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger(f"demo_{repo}").setLevel(logging.DEBUG if cfg.values.get("debug") else logging.INFO)
    from demo_shared import faults

    faults.use(cfg.values.get("faults", []))
    try:
        args.func(cfg, args)
    except (ValueError, RuntimeError, *errors) as exc:
        parser.exit(2, f"{prog} {args.command}: error: {first_line(exc)}\n")
