"""Fixtures of the Repos tests (repositories are written by ``repos_support.write_repo``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from repos_support import write_repo


@pytest.fixture
def repos(tmp_path):
    """``repos(folder, package, files=..., dependencies=...)`` writes a repository under tmp_path/repos."""
    base = tmp_path / "repos"
    base.mkdir(exist_ok=True)

    def make(folder: str, package: str, **kwargs) -> Path:
        return write_repo(base, folder, package, **kwargs)

    make.base = base  # type: ignore[attr-defined]
    return make
