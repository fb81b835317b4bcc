"""Resources a repository claims for itself, read from its configuration files and its code.

Pure: imports nothing from Robot Framework. A claim is a (kind, value) a repository takes for
its own: a port it listens on, an environment variable it reads, a Redis key prefix, a channel
it publishes on, a database schema. Two repositories claiming one value share a resource.

Which keys are claims is a convention, given as glob patterns on the key's last part
(``port``, ``*_port``, ...). Only a URL under a *listen*/*bind* key is a port claim: a URL
that points to a service (``redis_url``) is where a repository connects, not what it owns.
"""

from __future__ import annotations

import ast
import configparser
import fnmatch
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crosscheck.repos.repository import Repository

DEFAULT_KEYS: dict[str, tuple[str, ...]] = {
    "port": ("port", "*_port"),
    "listen": ("*listen*", "*bind*"),
    "key prefix": ("*key_prefix*", "*redis_prefix*"),
    "channel": ("publishes", "*publish_channels*", "*publishes_to*"),
    "schema": ("db_schema", "*_db_schema", "schema_name", "*_schema_name"),
    "env prefix": ("env_prefix", "*_env_prefix"),
}
# A port under a section (or with a stem) naming a service a repository connects to is the
# service's port, not one the repository listens on: ``[redis] port = 6379``, ``postgres_port``.
CONNECT_SECTIONS = (
    "redis*",
    "postgres*",
    "pg",
    "database*",
    "db",
    "mysql*",
    "mariadb*",
    "mongo*",
    "kafka*",
    "amqp*",
    "rabbit*",
    "broker*",
    "smtp*",
    "mail*",
    "cache*",
    "memcache*",
    "elastic*",
    "qdrant*",
    "upstream*",
    "*client*",
    "remote*",
    "proxy*",
    "*_service",
    "*_server",
)
CONFIG_GLOBS = ("*.toml", "*.yaml", "*.yml", "*.json", "*.ini", "*.cfg", ".env", ".env.*", "config/**/*")
NOT_CONFIG = {"pyproject.toml", "setup.cfg", "tox.ini", "package.json", "package-lock.json", ".importlinter"}
# environment variables every process has: reading them is no claim
COMMON_ENV = {"PATH", "HOME", "USER", "LANG", "TZ", "PWD", "SHELL", "TMPDIR", "TEMP", "TMP", "HOSTNAME", "TERM"}


@dataclass(frozen=True)
class Claim:
    repo: str
    kind: str
    value: str
    key: str
    file: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class Claims:
    claims: list[Claim] = field(default_factory=list)
    files: dict[str, list[str]] = field(default_factory=dict)  # repo -> files read

    def add(self, claim: Claim) -> None:
        if claim not in self.claims:
            self.claims.append(claim)


def config_files(repo: Repository, globs: tuple[str, ...] = CONFIG_GLOBS) -> list[Path]:
    found: set[Path] = set()
    for pattern in globs:
        for path in repo.path.glob(pattern):
            if (
                path.is_file()
                and path.name not in NOT_CONFIG
                and not any(p.startswith(".") for p in _parts(repo, path))
            ):
                found.add(path)
    return sorted(found)


def _parts(repo: Repository, path: Path) -> tuple[str, ...]:
    parts = path.relative_to(repo.path).parts
    return parts[:-1]  # hidden folders (.git, .venv) are skipped; hidden files such as .env are read


def _flatten(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict):
                out += _flatten(value, path)
            else:
                out.append((path, value))
    return out


def _read(path: Path) -> list[tuple[str, Any]]:
    text = path.read_text(encoding="utf-8", errors="replace")
    name = path.name
    try:
        if name.endswith(".toml"):
            return _flatten(tomllib.loads(text))
        if name.endswith(".json"):
            return _flatten(json.loads(text))
        if name.endswith((".yaml", ".yml")):
            import yaml

            data = yaml.safe_load(text)
            return _flatten(data) if isinstance(data, dict) else []
        if name == ".env" or name.startswith(".env.") or name.endswith(".env"):
            return [(k, v) for k, v in _dotenv(text)]
        if name.endswith((".ini", ".cfg")):
            parser = configparser.ConfigParser(interpolation=None)
            parser.read_string(text)
            return [(f"{s}.{k}", v) for s in parser.sections() for k, v in parser.items(s, raw=True)]
    except (ValueError, configparser.Error, tomllib.TOMLDecodeError, UnicodeError):
        return []
    except Exception as exc:  # noqa: BLE001 - yaml's errors; an unreadable file is skipped, not fatal
        if type(exc).__module__.startswith("yaml"):
            return []
        raise
    return []


def _dotenv(text: str) -> list[tuple[str, str]]:
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.removeprefix("export ").split("=", 1)
        out.append((key.strip(), value.strip().strip("'\"")))
    return out


def _line(lines: list[str], key: str, value: Any) -> int:
    last = key.rsplit(".", 1)[-1]
    pattern = re.compile(rf"^\s*[\"']?{re.escape(last)}[\"']?\s*[=:]", re.IGNORECASE)
    candidates = [n for n, line in enumerate(lines, 1) if pattern.search(line)]
    text = str(value[0] if isinstance(value, list) and value else value)
    for number in candidates:
        if text in lines[number - 1]:
            return number
    return candidates[0] if candidates else 1


def _match(key: str, patterns: tuple[str, ...]) -> bool:
    last = key.rsplit(".", 1)[-1].lower()
    return any(fnmatch.fnmatch(last, p.lower()) for p in patterns)


def connects_to_service(key: str, sections: tuple[str, ...] = CONNECT_SECTIONS) -> bool:
    """True when ``key`` names another service's port: a section above it, or the stem of
    ``<stem>_port``, matches ``sections`` (``redis.port``, ``database.port``, ``redis_port``)."""
    parts = key.lower().split(".")
    names = parts[:-1]
    if parts[-1].endswith("_port"):
        names.append(parts[-1][: -len("_port")])
    return any(fnmatch.fnmatch(name, pattern) for name in names for pattern in sections)


def _port(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if 0 < value < 65536 else None
    if isinstance(value, str) and value.strip().isdigit():
        return value.strip()
    return None


def _listen_port(value: Any) -> str | None:
    if not isinstance(value, str):
        return _port(value)
    text = value if "://" in value else f"tcp://{value}"
    try:
        port = urlsplit(text).port
    except ValueError:
        return None
    return str(port) if port else None


def claims_in_config(
    repo: Repository,
    keys: dict[str, tuple[str, ...]],
    claims: Claims,
    connect_sections: tuple[str, ...] = CONNECT_SECTIONS,
) -> None:
    base = repo.path.parent
    for path in config_files(repo):
        rel = path.relative_to(base).as_posix()
        claims.files.setdefault(repo.name, []).append(rel)
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        is_env = path.name == ".env" or path.name.startswith(".env.")
        for key, value in _read(path):
            if is_env:
                claims.add(Claim(repo.name, "env var", key, key, rel, _line(lines, key, value)))
            for kind, patterns in keys.items():
                if not _match(key, patterns):
                    continue
                if kind == "port" and connects_to_service(key, connect_sections):
                    continue
                values = value if isinstance(value, list) else [value]
                for item in values:
                    if kind == "port":
                        found = _port(item)
                    elif kind == "listen":
                        found = _listen_port(item)
                    else:
                        found = str(item) if isinstance(item, str) and item else None
                    if found:
                        claim_kind = "port" if kind == "listen" else kind
                        claims.add(Claim(repo.name, claim_kind, found, key, rel, _line(lines, key, item)))


ENV_CALLS = {("os", "getenv"), ("os.environ", "get"), ("environ", "get"), (None, "getenv")}


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def env_reads(tree: ast.AST) -> list[tuple[str, int]]:
    """Environment variable names read with ``os.environ[...]``, ``os.getenv(...)``, ``os.environ.get(...)``."""
    found = []
    for node in ast.walk(tree):
        name_node = None
        if isinstance(node, ast.Subscript) and _dotted(node.value) in ("os.environ", "environ"):
            name_node = node.slice
        elif isinstance(node, ast.Call) and node.args:
            func = _dotted(node.func) or ""
            owner, _, attr = func.rpartition(".")
            if (owner or None, attr) in ENV_CALLS:
                name_node = node.args[0]
        if isinstance(name_node, ast.Constant) and isinstance(name_node.value, str):
            found.append((name_node.value, getattr(node, "lineno", 1)))
    return found


def claims_in_code(repo: Repository, claims: Claims) -> int:
    """Environment variable names the repository's packages read; returns the number of files parsed."""
    base = repo.path.parent
    count = 0
    for package in repo.packages:
        for path in sorted((repo.root / package).rglob("*.py")):
            try:
                tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
            except SyntaxError:
                continue
            count += 1
            rel = path.relative_to(base).as_posix()
            for name, line in env_reads(tree):
                claims.add(Claim(repo.name, "env var", name, "(code)", rel, line))
    return count


@dataclass
class Clash:
    kind: str
    value: str
    claims: list[Claim]
    how: str = "claimed by"

    def __str__(self) -> str:
        places = "; ".join(f"{c.repo} at {c.where} ({c.key})" for c in self.claims)
        return f"{self.kind} {self.value!r} {self.how} {len({c.repo for c in self.claims})} repositories: {places}"


def clashes(claims: Claims, allow_env: set[str]) -> list[Clash]:
    groups: dict[tuple[str, str], list[Claim]] = {}
    for claim in claims.claims:
        if claim.kind == "env var" and (claim.value in allow_env or claim.value in COMMON_ENV):
            continue
        groups.setdefault((claim.kind, claim.value), []).append(claim)
    found = []
    for (kind, value), group in sorted(groups.items()):
        repos = {c.repo for c in group}
        if len(repos) > 1:
            firsts = [next(c for c in group if c.repo == r) for r in sorted(repos)]
            found.append(Clash(kind, value, firsts))
    # a key prefix inside another repository's prefix shares its keys
    prefixes = [c for c in claims.claims if c.kind == "key prefix"]
    for a in prefixes:
        for b in prefixes:
            if a.repo != b.repo and a.value != b.value and b.value.startswith(a.value):
                found.append(Clash("key prefix", b.value, [a, b], f"lies inside {a.value!r}, claimed by"))
    # an environment variable one repository reads under another's prefix is the other's setting
    env_prefixes = [c for c in claims.claims if c.kind == "env prefix"]
    for var in [c for c in claims.claims if c.kind == "env var"]:
        for prefix in env_prefixes:
            if prefix.repo != var.repo and var.value.startswith(prefix.value):
                found.append(Clash("env var", var.value, [var, prefix], f"falls under {prefix.value!r}, claimed by"))
    return found
