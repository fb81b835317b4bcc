"""Helpers of the Repos tests: small repository sets written into tmp_path (pyproject, packages, config files)."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write_repo(
    base: Path,
    folder: str,
    package: str,
    files: dict[str, str] | None = None,
    dependencies: list[str] | None = None,
    src: bool = False,
    distribution: str | None = None,
    requirements_txt: bool = False,
) -> Path:
    """A repository ``base/folder`` with ``package`` (flat, or under src/), its dependencies and ``files``.

    ``files`` maps paths relative to the repository to their text; ``{pkg}`` in a path is the package's folder.
    """
    repo = base / folder
    pkg = (repo / "src" / package) if src else (repo / package)
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text(f'"""{package}."""\n')
    deps = list(dependencies or [])
    dist = distribution or package.replace("_", "-")
    if requirements_txt:
        (repo / "requirements.txt").write_text("".join(f"{d}\n" for d in deps))
        project = f'[project]\nname = "{dist}"\nversion = "0.1.0"\n'
    else:
        listed = "".join(f'    "{d}",\n' for d in deps)
        project = f'[project]\nname = "{dist}"\nversion = "0.1.0"\ndependencies = [\n{listed}]\n'
    layout = f'\n[tool.setuptools.packages.find]\nwhere = ["{"src" if src else "."}"]\ninclude = ["{package}*"]\n'
    (repo / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n' + project + layout
    )
    for rel, text in (files or {}).items():
        path = repo / rel.replace("{pkg}", str(pkg.relative_to(repo)))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return repo
