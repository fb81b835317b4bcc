"""Configuration files by extension: read, flatten, write a key into a copy, remove a key.

TOML (``tomllib`` / ``tomli_w``), JSON, YAML (PyYAML), INI (``configparser``: ``section.key``;
a key without a section goes to ``[DEFAULT]``) and ``.env`` (``KEY=value`` lines). Nested keys are
written with dots: ``database.pool.size``. Files are only ever written inside a temporary copy.
"""

from __future__ import annotations

import configparser
import io
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
import yaml

from crosscheck.errors import ConfigurationError

FORMATS = {".toml": "toml", ".json": "json", ".yaml": "yaml", ".yml": "yaml", ".ini": "ini", ".cfg": "ini"}


def format_of(path: str | Path) -> str:
    p = Path(path)
    if p.name == ".env" or p.suffix == ".env" or p.name.startswith(".env."):
        return "dotenv"
    fmt = FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise ConfigurationError(
            f"cannot tell the format of {p.name}: name it .toml, .json, .yaml, .yml, .ini, .cfg or .env."
        )
    return fmt


def parse(text: str, fmt: str, where: str = "") -> dict[str, Any]:
    """The content of a configuration file as a (nested) dict."""
    try:
        if fmt == "toml":
            return tomllib.loads(text)
        if fmt == "json":
            data = json.loads(text or "{}")
        elif fmt == "yaml":
            data = yaml.safe_load(text) or {}
        elif fmt == "ini":
            parser = configparser.ConfigParser(interpolation=None)
            parser.optionxform = str  # type: ignore[assignment,method-assign]
            parser.read_string(text)
            data = dict(parser.defaults())
            for section in parser.sections():
                data[section] = {k: v for k, v in parser.items(section) if k not in parser.defaults()}
        else:
            data = parse_dotenv(text)
    except (ValueError, yaml.YAMLError, configparser.Error) as exc:
        raise ConfigurationError(f"{where or 'the text'} is not valid {fmt.upper()}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"{where or 'the text'} holds a {type(data).__name__}, not a table of keys.")
    return data


def parse_dotenv(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[name.strip()] = value
    return out


def dump(data: dict[str, Any], fmt: str) -> str:
    if fmt == "toml":
        return tomli_w.dumps(_toml_safe(data))
    if fmt == "json":
        return json.dumps(data, indent=2) + "\n"
    if fmt == "yaml":
        return yaml.safe_dump(data, sort_keys=False)
    if fmt == "ini":
        parser = configparser.ConfigParser(interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        for key, value in data.items():
            if isinstance(value, dict):
                parser[key] = {k: _ini(v) for k, v in value.items()}
            else:
                parser["DEFAULT"][key] = _ini(value)
        buffer = io.StringIO()
        parser.write(buffer)
        return buffer.getvalue()
    return "".join(f"{k}={_ini(v)}\n" for k, v in data.items())


def _ini(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _toml_safe(data: Any) -> Any:
    if isinstance(data, dict):
        return {str(k): _toml_safe(v) for k, v in data.items() if v is not None}
    if isinstance(data, list):
        return [_toml_safe(v) for v in data]
    return data


def read(path: Path) -> dict[str, Any]:
    return parse(path.read_text(), format_of(path), str(path)) if path.exists() else {}


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"database": {"url": x}}`` -> ``{"database.url": x}``; lists stay values."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def lookup(data: dict[str, Any], key: str) -> tuple[bool, Any]:
    """``(found, value)`` of a dotted ``key`` in nested or flat ``data``."""
    if key in data:
        return True, data[key]
    flat = flatten(data)
    if key in flat:
        return True, flat[key]
    lowered = {k.lower(): v for k, v in flat.items()}
    if key.lower() in lowered:
        return True, lowered[key.lower()]
    return False, None


def set_key(data: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


def delete_key(data: dict[str, Any], key: str) -> bool:
    if key in data:
        del data[key]
        return True
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        node = node.get(part)  # type: ignore[assignment]
        if not isinstance(node, dict):
            return False
    return node.pop(parts[-1], _MISSING) is not _MISSING


_MISSING = object()


def typed(value: Any, fmt: str) -> Any:
    """A value as it is written into a file of ``fmt``: text formats (INI, .env) take strings."""
    return _ini(value) if fmt in ("ini", "dotenv") else value


def write_key(path: Path, key: str, value: Any, variable: str | None = None) -> int | None:
    """Write ``key = value`` into ``path`` (created when absent); ``variable`` is the name in a .env file.

    Returns the line the key is on, when it can be told.
    """
    fmt = format_of(path)
    data = read(path)
    if fmt == "dotenv":
        name = variable or key
        return _write_dotenv_line(path, name, _ini(value))
    set_key(data, key, typed(value, fmt))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump(data, fmt))
    return line_of(path, key)


def _write_dotenv_line(path: Path, name: str, value: str) -> int:
    lines = path.read_text().splitlines() if path.exists() else []
    quoted = json.dumps(value) if re.search(r"[\s#'\"]", value) else value
    for i, line in enumerate(lines):
        if re.match(rf"^\s*(export\s+)?{re.escape(name)}\s*=", line):
            lines[i] = f"{name}={quoted}"
            break
    else:
        lines.append(f"{name}={quoted}")
        i = len(lines) - 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return i + 1


def remove_key(path: Path, key: str, variable: str | None = None) -> bool:
    """Remove ``key`` (or ``variable`` in a .env file) from the copy ``path``; True if it was there."""
    if not path.exists():
        return False
    fmt = format_of(path)
    if fmt == "dotenv":
        name = variable or key
        lines = path.read_text().splitlines()
        kept = [line for line in lines if not re.match(rf"^\s*(export\s+)?{re.escape(name)}\s*=", line)]
        path.write_text("\n".join(kept) + ("\n" if kept else ""))
        return len(kept) != len(lines)
    data = read(path)
    if not delete_key(data, key):
        return False
    path.write_text(dump(data, fmt))
    return True


def line_of(path: Path, key: str) -> int | None:
    """The line number of ``key``'s leaf in ``path``, after its table header when nested; None if not found."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return None
    *tables, leaf = key.split(".")
    start = 0
    if tables:
        header = re.compile(rf"^\s*\[\s*{re.escape('.'.join(tables))}\s*\]|^\s*\[\s*{re.escape(tables[-1])}\s*\]")
        start = next((i for i, line in enumerate(lines) if header.match(line)), 0)
    pattern = re.compile(rf"""^\s*["']?{re.escape(leaf)}["']?\s*[=:]""", re.I)
    for i in range(start, len(lines)):
        if pattern.match(lines[i]):
            return i + 1
    return None
