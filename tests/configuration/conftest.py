"""Fixtures of the Configuration tests (the systems and helpers are in ``configuration_support``)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from configuration_support import register

from crosscheck.configuration.library import Configuration


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
