"""Fixtures of the Configuration tests: two real systems under test with layered loaders.

``systems/good`` loads its configuration as it documents; ``systems/faulty`` is the same program
with seeded defects (see its docstring). Both run as real processes, on copies of their folders.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

from crosscheck.configuration.library import Configuration

SYSTEMS = Path(__file__).resolve().parent / "systems"
PYTHON = sys.executable
LAYERS = (
    "defaults, file:config/app.toml, file:config/app.{env}.toml, dotenv:.env, environment, argument:--set {key}={value}"
)


def kw(lib, keyword, *args, **kwargs):
    return lib.run_keyword(keyword.lower().replace(" ", "_"), list(args), kwargs)


def register(lib: Configuration, name: str, system: str | None = None, **options) -> None:
    settings = {
        "command": f"{PYTHON} app.py config",
        "folder": SYSTEMS / (system or name),
        "prefix": "APP_",
        "env": "development",
        "env_argument": "--env {env}",
        "layers": LAYERS,
        "start": f"{PYTHON} app.py serve --port {{port}}",
        "health_url": "http://127.0.0.1:{port}/health",
    }
    settings.update(options)
    kw(lib, "Use Configuration Loader", name, **settings)


@pytest.fixture
def workspace_root(tmp_path, monkeypatch) -> Path:
    """Where the library's temporary copies go during the test (to see that none is left)."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


@pytest.fixture
def lib(workspace_root):
    """A Configuration library with ``good`` and ``faulty`` registered, inside a test scope."""
    before = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    library = Configuration()
    library.cleanup.push("test", "a test")
    register(library, "good")
    register(library, "faulty")
    yield library
    assert library.cleanup.close() == []
    assert {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"} == before, (
        "a keyword changed crosscheck's own environment"
    )
    assert list(workspace_root.iterdir()) == [], "a temporary copy was left behind"
