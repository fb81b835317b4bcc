"""A set of repositories: each folder's top-level packages and its declared dependencies.

Pure: imports nothing from Robot Framework. A repository is a folder with its packages either
beside its ``pyproject.toml`` (flat layout) or under ``src/`` (src layout), and its dependencies
in ``pyproject.toml``'s ``[project] dependencies`` or in ``requirements*.txt`` files.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from crosscheck.errors import ConfigurationError

# folders that are never a repository's own package
SKIPPED_DIRS = {"tests", "test", "docs", "doc", "build", "dist", "scripts", "examples", "benchmarks", "config"}


@dataclass(frozen=True)
class Declared:
    """One requirement a repository declares, and where."""

    requirement: Requirement
    file: Path
    line: int
    dev: bool = False

    @property
    def name(self) -> str:
        return canonicalize_name(self.requirement.name)

    @property
    def text(self) -> str:
        return str(self.requirement)

    def where(self, base: Path) -> str:
        return f"{_rel(self.file, base)}:{self.line}"


@dataclass
class Repository:
    name: str
    path: Path
    root: Path  # the folder that holds its packages: path, or path/src
    packages: list[str]
    shared: bool = False
    distribution: str | None = None  # [project] name
    version: str | None = None
    requirements: list[Declared] = field(default_factory=list)

    @property
    def dependency_file(self) -> str:
        files = sorted({_rel(d.file, self.path) for d in self.requirements})
        return ", ".join(files) or ("pyproject.toml" if (self.path / "pyproject.toml").exists() else "(none)")

    def file_of(self, module: str) -> Path:
        """The source file of ``module`` (``pkg.sub.mod`` -> root/pkg/sub/mod.py or .../mod/__init__.py)."""
        base = self.root.joinpath(*module.split("."))
        return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")

    def owns(self, module: str) -> bool:
        return module.split(".")[0] in self.packages

    def describe(self) -> str:
        kind = "shared " if self.shared else ""
        return f"{kind}repository {self.name!r} ({self.path})"


def _rel(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


def find_packages(path: Path) -> tuple[Path, list[str]]:
    """The package root of a repository (``src/`` if it has packages, else the folder) and its top-level packages."""
    for root in (path / "src", path):
        if not root.is_dir():
            continue
        found = sorted(
            child.name
            for child in root.iterdir()
            if child.is_dir()
            and (child / "__init__.py").is_file()
            and child.name.isidentifier()
            and child.name not in SKIPPED_DIRS
            and not child.name.startswith(".")
        )
        if found:
            return root, found
    return path, []


def _line_of(lines: list[str], text: str, default: int = 1) -> int:
    for number, line in enumerate(lines, 1):
        if text in line:
            return number
    return default


def read_requirements(path: Path) -> tuple[str | None, str | None, list[Declared]]:
    """``(distribution, version, requirements)`` from pyproject.toml's [project], else requirements*.txt."""
    declared: list[Declared] = []
    distribution = version = None
    pyproject = path / "pyproject.toml"
    if pyproject.is_file():
        text = pyproject.read_text()
        lines = text.splitlines()
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"{pyproject} is not valid TOML: {exc}") from None
        project = data.get("project", {})
        distribution, version = project.get("name"), project.get("version")
        groups: list[tuple[list[str], bool]] = [(project.get("dependencies", []), False)]
        groups += [(deps, True) for deps in data.get("dependency-groups", {}).values()]
        for deps, dev in groups:
            for item in deps:
                if isinstance(item, str):
                    declared.append(Declared(_requirement(item, pyproject), pyproject, _line_of(lines, item), dev))
        if "dependencies" in project:
            return distribution, version, declared
    for req_file in sorted(path.glob("requirements*.txt")):
        dev = bool(re.search(r"dev|test", req_file.stem))
        for number, raw in enumerate(req_file.read_text().splitlines(), 1):
            line = raw.split(" #", 1)[0].strip()
            if not line or line.startswith(("#", "-")):
                continue
            declared.append(Declared(_requirement(line, req_file), req_file, number, dev))
    return distribution, version, declared


def _requirement(text: str, file: Path) -> Requirement:
    try:
        return Requirement(text)
    except InvalidRequirement as exc:
        raise ConfigurationError(f"{file}: {text!r} is not a valid requirement ({exc})") from None


def load(path: str | Path, name: str | None = None, shared: bool = False) -> Repository:
    folder = Path(path).expanduser().resolve()
    label = name or folder.name
    if not folder.is_dir():
        raise ConfigurationError(f"Repository {label!r}: {folder} is not a folder.")
    root, packages = find_packages(folder)
    if not packages:
        raise ConfigurationError(
            f"Repository {label!r} at {folder} has no package: no folder with an __init__.py beside its "
            "pyproject.toml nor under src/. Give the repository's own folder, or add its package."
        )
    distribution, version, requirements = read_requirements(folder)
    return Repository(label, folder, root, packages, shared, distribution, version, requirements)


@dataclass
class RepositorySet:
    repos: list[Repository] = field(default_factory=list)

    def add(self, repo: Repository) -> None:
        for other in self.repos:
            if other.name == repo.name:
                raise ConfigurationError(
                    f"Two repositories are named {repo.name!r} ({other.path} and {repo.path}): give one a name=."
                )
            if other.path == repo.path:
                raise ConfigurationError(f"{repo.path} is already in the set as repository {other.name!r}.")
            both = sorted(set(other.packages) & set(repo.packages))
            if both:
                raise ConfigurationError(
                    f"Package {both[0]!r} is claimed by two repositories: {other.name!r} ({other.root / both[0]}) "
                    f"and {repo.name!r} ({repo.root / both[0]}). A package name must belong to one repository."
                )
        self.repos.append(repo)

    def add_folder(self, folder: str | Path, names: str = "*", shared: Collection[str] = ()) -> None:
        """Adds the repositories in the sub-folders of ``folder`` whose names match ``names`` (see
        :func:`discover`); those named in ``shared`` by folder or package name are marked shared."""
        marked = set(shared)
        for path in discover(folder, names):
            repo = load(path)
            repo.shared = repo.name in marked or bool(marked & set(repo.packages))
            self.add(repo)

    def get(self, name: str) -> Repository:
        for repo in self.repos:
            if repo.name == name or name in repo.packages or repo.path == Path(name).expanduser().resolve():
                return repo
        raise ConfigurationError(f"No repository {name!r} in the set; it has {', '.join(self.names) or 'none'}.")

    def require(self, minimum: int = 1) -> list[Repository]:
        if len(self.repos) < minimum:
            raise ConfigurationError(
                f"This check needs at least {minimum} repositories; the set has {len(self.repos)}. "
                "Add them first with 'Use Repositories' or 'Add Repository'."
            )
        return self.repos

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.repos]

    @property
    def packages(self) -> list[str]:
        return [p for r in self.repos for p in r.packages]

    def owner(self, module: str) -> Repository | None:
        top = module.split(".")[0]
        return next((r for r in self.repos if top in r.packages), None)

    def by_distribution(self) -> dict[str, Repository]:
        """Canonical distribution name -> repository (a repository without [project] name uses its folder name)."""
        return {canonicalize_name(r.distribution or r.name): r for r in self.repos}


def discover(folder: str | Path, pattern: str = "*") -> list[Path]:
    """Sub-folders of ``folder`` whose name matches ``pattern`` (a glob, or names separated by commas)."""
    base = Path(folder).expanduser().resolve()
    if not base.is_dir():
        raise ConfigurationError(f"{base} is not a folder of repositories.")
    names = [p.strip() for p in pattern.split(",") if p.strip()] or ["*"]
    found = sorted(
        child
        for child in base.iterdir()
        if child.is_dir() and not child.name.startswith(".") and any(fnmatch.fnmatch(child.name, n) for n in names)
    )
    missing = [n for n in names if not any(ch in n for ch in "*?[") and not (base / n).is_dir()]
    if missing:
        raise ConfigurationError(f"No repository folder {', '.join(map(repr, missing))} in {base}.")
    return found
