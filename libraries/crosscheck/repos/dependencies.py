"""Declared dependencies: deptry per repository, pip's resolver over the whole set, ``pip check``.

Pure: imports nothing from Robot Framework. deptry runs as ``python -m deptry`` with its JSON
report (``--json-output``); every repository of the set is mapped from its distribution name to
its packages (``--package-module-name-map``), so a repository that imports ``demo_shared`` must
declare ``demo-shared``. pip resolves with ``install --dry-run --ignore-installed --report``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from crosscheck.errors import ConfigurationError
from crosscheck.repos.repository import Declared, Repository, RepositorySet

DEPTRY_CODES = {
    "DEP001": "missing",
    "DEP002": "unused",
    "DEP003": "transitive",
    "DEP004": "misplaced dev",
    "DEP005": "standard library",
}
DEFAULT_RULES = ("DEP001", "DEP002", "DEP003", "DEP004")


@dataclass
class Issue:
    repo: str
    code: str
    module: str
    message: str
    file: str
    line: int | None

    @property
    def kind(self) -> str:
        return DEPTRY_CODES.get(self.code, self.code)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.code} {self.kind}: {self.message}"


@dataclass
class DeptryResult:
    repo: Repository
    issues: list[Issue]
    modules_scanned: int
    declared: int


def _module_map(repos: RepositorySet) -> str:
    return ",".join(f"{dist}={'|'.join(r.packages)}" for dist, r in repos.by_distribution().items())


def run_deptry(repo: Repository, repos: RepositorySet, rules: tuple[str, ...] = DEFAULT_RULES) -> DeptryResult:
    with tempfile.TemporaryDirectory(prefix="crosscheck-deptry-") as tmp:
        report = Path(tmp) / "deptry.json"
        argv = [sys.executable, "-m", "deptry", ".", "--json-output", str(report), "--no-ansi"]
        argv += ["--known-first-party", ",".join(repo.packages)]
        argv += ["--package-module-name-map", _module_map(repos)]
        ignored = [code for code in DEPTRY_CODES if code not in rules]
        if ignored:
            argv += ["--ignore", ",".join(ignored)]
        req_files = sorted({d.file.name for d in repo.requirements if d.file.name.startswith("requirements")})
        if req_files:
            argv += ["--requirements-files", ",".join(f for f in req_files if "dev" not in f and "test" not in f)]
            dev = [f for f in req_files if "dev" in f or "test" in f]
            if dev:
                argv += ["--requirements-files-dev", ",".join(dev)]
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
        env["NO_COLOR"] = "1"
        proc = subprocess.run(argv, cwd=repo.path, capture_output=True, text=True, timeout=300, env=env)
        if not report.exists():
            raise ConfigurationError(
                f"deptry could not check repository {repo.name!r} ({repo.path}), exit code {proc.returncode}: "
                + (proc.stderr.strip() or proc.stdout.strip())[-600:]
            )
        data = json.loads(report.read_text())
    scanned = _scanned(proc.stderr + proc.stdout)
    issues = []
    for item in data:
        file = item["location"]["file"]
        line = item["location"].get("line")
        if line is None:
            line = _declaration_line(repo, item["module"], file)
        issues.append(
            Issue(
                repo.name,
                item["error"]["code"],
                item["module"],
                item["error"]["message"],
                f"{repo.path.name}/{file}",
                line,
            )
        )
    return DeptryResult(repo, issues, scanned, len(repo.requirements))


def _scanned(output: str) -> int:
    for line in output.splitlines():
        words = line.split()
        if len(words) >= 3 and words[0] == "Scanning" and words[1].isdigit():
            return int(words[1])
    return 0


def _declaration_line(repo: Repository, module: str, file: str) -> int | None:
    wanted = canonicalize_name(module)
    for declared in repo.requirements:
        if declared.name == wanted and declared.file.name == Path(file).name:
            return declared.line
    return None


# --- resolving together -------------------------------------------------------------------------


@dataclass
class Resolution:
    ok: bool
    offline: bool = False
    installed: dict[str, str] = field(default_factory=dict)  # name -> version pip would install
    conflicts: list[str] = field(default_factory=list)
    output: str = ""
    requirements: list[tuple[Repository, Declared]] = field(default_factory=list)


# pip could not reach an index: nothing was resolved, which is neither a pass nor a conflict
NETWORK_SIGNS = (
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "Name or service not known",
    "ConnectTimeoutError",
    "ProxyError",
)


def sibling_conflicts(repos: RepositorySet) -> list[str]:
    """A requirement on a repository of the set that its own version does not satisfy."""
    dists = repos.by_distribution()
    found = []
    for repo in repos.repos:
        for declared in repo.requirements:
            target = dists.get(declared.name)
            if target is None or target is repo or not target.version or not declared.requirement.specifier:
                continue
            if not declared.requirement.specifier.contains(target.version, prereleases=True):
                found.append(
                    f"{repo.name} ({declared.where(repo.path.parent)}) requires {declared.text!r}, "
                    f"but repository {target.name} is version {target.version}"
                )
    return found


def pinned_conflicts(pairs: list[tuple[Repository, Declared]]) -> list[str]:
    """Two repositories pinning one project to versions the other's specifier excludes (``==`` pins)."""
    found = []
    for i, (repo_a, a) in enumerate(pairs):
        for repo_b, b in pairs[i + 1 :]:
            if repo_a is repo_b or a.name != b.name:
                continue
            for pinned, other in ((a, b), (b, a)):
                pins = [s.version for s in pinned.requirement.specifier if s.operator == "==" and "*" not in s.version]
                if pins and not SpecifierSet(str(other.requirement.specifier)).contains(pins[0], prereleases=True):
                    found.append(_conflict_text(repo_a, a, repo_b, b))
                    break
    return found


def _conflict_text(repo_a: Repository, a: Declared, repo_b: Repository, b: Declared) -> str:
    return (
        f"{repo_a.name} requires {a.text!r} ({a.where(repo_a.path.parent)}) and "
        f"{repo_b.name} requires {b.text!r} ({b.where(repo_b.path.parent)})"
    )


def resolve_together(repos: RepositorySet, index_options: list[str], timeout: float = 300) -> Resolution:
    """All runtime requirements of the set, but those on the set's own repositories, resolved by pip at once."""
    dists = repos.by_distribution()
    pairs = [(r, d) for r in repos.repos for d in r.requirements if not d.dev and d.name not in dists]
    conflicts = sibling_conflicts(repos)
    if not pairs:
        return Resolution(not conflicts, conflicts=conflicts, requirements=pairs)
    argv = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet", "--report", "-"]
    argv += ["--disable-pip-version-check", "--no-input", *index_options]
    argv += sorted({d.text for _, d in pairs})
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Resolution(False, offline=True, output=f"pip did not finish within {timeout:g} s", requirements=pairs)
    if proc.returncode == 0:
        report = json.loads(proc.stdout)
        installed = {i["metadata"]["name"]: i["metadata"]["version"] for i in report.get("install", [])}
        return Resolution(not conflicts, installed=installed, conflicts=conflicts, requirements=pairs)
    text = proc.stderr + proc.stdout
    if "ResolutionImpossible" in text or "conflict is caused by" in text:
        conflicts += pinned_conflicts(pairs) or _conflicts_from_pip(text, pairs)
        return Resolution(False, conflicts=conflicts, output=text, requirements=pairs)
    pinned = pinned_conflicts(pairs)
    if pinned:
        return Resolution(False, conflicts=conflicts + pinned, output=text, requirements=pairs)
    offline = any(sign in text for sign in NETWORK_SIGNS) or (
        "--no-index" in index_options and "No matching distribution found" in text
    )
    return Resolution(False, offline=offline, conflicts=conflicts, output=text, requirements=pairs)


def _conflicts_from_pip(text: str, pairs: list[tuple[Repository, Declared]]) -> list[str]:
    """pip names the requirements it could not satisfy together ("The user requested X"); map them to repositories."""
    requested = [
        line.split("The user requested", 1)[1].strip() for line in text.splitlines() if "user requested" in line
    ]
    owners = [f"{r.name} requires {d.text!r} ({d.where(r.path.parent)})" for r, d in pairs if d.text in requested]
    return ["; ".join(owners)] if owners else []


# --- pip check ------------------------------------------------------------------------------------


def pip_check(python: str, timeout: float = 120) -> tuple[bool, list[str], int]:
    """``(consistent, problems, installed count)`` of the environment of ``python``."""
    argv = [sys.executable, "-m", "pip", "--python", python, "check", "--disable-pip-version-check"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    listing = subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "list", "--format", "json", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    count = len(json.loads(listing.stdout)) if listing.returncode == 0 else 0
    problems = [line for line in proc.stdout.splitlines() if line.strip() and "No broken requirements" not in line]
    if proc.returncode != 0 and not problems:
        problems = [proc.stderr.strip() or f"pip check exited with {proc.returncode}"]
    return proc.returncode == 0, problems, count
