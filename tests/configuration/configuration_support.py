"""Helpers of the Configuration tests: two real systems under test with layered loaders.

``systems/good`` loads its configuration as it documents; ``systems/faulty`` is the same program
with seeded defects (see its docstring). Both run as real processes, on copies of their folders.
"""

from __future__ import annotations

import sys
from pathlib import Path

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
