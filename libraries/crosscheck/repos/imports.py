"""Imports between repositories: one grimp graph over every repository's packages, import-linter contracts.

Pure: imports nothing from Robot Framework. The graph is built once (``grimp.build_graph`` with the
repositories' package roots first on ``sys.path``, caching off so nothing is written into a
repository), and import-linter's own contract classes are checked against it:

- an ``independence`` contract over the top-level packages of the repositories that are not shared;
- a ``forbidden`` contract per shared repository: its packages import no package of the others.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grimp
from importlinter import configuration
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.independence import IndependenceContract
from importlinter.domain.contract import Contract, InvalidContractOptions

from crosscheck.errors import ConfigurationError
from crosscheck.repos.repository import RepositorySet


@dataclass
class Link:
    importer: str
    imported: str
    file: str  # path of the importing file, relative to its repository's parent folder
    line: int | None
    code: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        code = f": {self.code}" if self.code else ""
        return f"{where} ({self.importer}) imports {self.imported}{code}"


@dataclass
class Violation:
    contract: str
    importer_repo: str
    imported_repo: str
    chain: list[Link]

    def __str__(self) -> str:
        first = self.chain[0]
        head = f"{self.importer_repo} -> {self.imported_repo}: {first}"
        if len(self.chain) > 1:
            head += "".join(f"\n      then {link}" for link in self.chain[1:])
        return head


@dataclass
class ContractResult:
    name: str
    type: str
    modules: list[str]
    kept: bool
    violations: list[Violation] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class ImportReport:
    modules: int
    imports: int
    internal_imports: int
    graph_seconds: float
    contracts: list[ContractResult]
    external: list[str]  # top-level packages from outside the set that the repositories import

    @property
    def violations(self) -> list[Violation]:
        return [v for c in self.contracts for v in c.violations]


@contextlib.contextmanager
def package_roots(repos: RepositorySet) -> Iterator[None]:
    """The repositories' package roots first on ``sys.path``; modules of the same names imported
    before are hidden meanwhile, so that ``find_spec`` finds the repository's own files."""
    roots = [str(r.root) for r in repos.repos]
    names = set(repos.packages)
    hidden = {m: sys.modules.pop(m) for m in list(sys.modules) if m.split(".")[0] in names}
    saved = list(sys.path)
    sys.path[:0] = roots
    importlib.invalidate_caches()
    try:
        yield
    finally:
        sys.path[:] = saved
        for name in [m for m in sys.modules if m.split(".")[0] in names]:
            sys.modules.pop(name, None)
        sys.modules.update(hidden)
        importlib.invalidate_caches()


def build_graph(repos: RepositorySet, cache_dir: str | None = None) -> grimp.ImportGraph:
    with package_roots(repos):
        for repo in repos.repos:
            for package in repo.packages:
                spec = importlib.util.find_spec(package)
                origin = Path(spec.origin).resolve() if spec and spec.origin else None
                if origin is None or repo.root not in origin.parents:
                    raise ConfigurationError(
                        f"Package {package!r} of repository {repo.name!r} resolves to {origin or 'nothing'}, "
                        f"not to {repo.root / package}: a module of that name shadows it."
                    )
        return grimp.build_graph(*repos.packages, include_external_packages=True, cache_dir=cache_dir)


def contracts_for(repos: RepositorySet) -> list[dict[str, Any]]:
    """The contract options import-linter reads from a configuration file, generated from the set."""
    own = [p for r in repos.repos if not r.shared for p in r.packages]
    contracts: list[dict[str, Any]] = []
    if len(own) >= 2:
        contracts.append(
            {
                "name": "Repositories are independent",
                "type": "independence",
                "modules": own,
            }
        )
    for repo in repos.repos:
        if repo.shared and own:
            contracts.append(
                {
                    "name": f"Shared {repo.name} imports no repository that uses it",
                    "type": "forbidden",
                    "source_modules": list(repo.packages),
                    "forbidden_modules": own,
                }
            )
    return contracts


configuration.configure()  # import-linter's settings (timer, printer) its contracts use

CONTRACT_TYPES: dict[str, type[Contract]] = {"independence": IndependenceContract, "forbidden": ForbiddenContract}


def _link(graph: grimp.ImportGraph, repos: RepositorySet, importer: str, imported: str) -> Link:
    details = graph.get_import_details(importer=importer, imported=imported)
    repo = repos.owner(importer)
    file = importer
    if repo is not None:
        file = f"{repo.path.name}/{repo.file_of(importer).relative_to(repo.path).as_posix()}"
    if details:
        first = min(details, key=lambda d: d["line_number"])
        return Link(importer, imported, file, first["line_number"], first["line_contents"].strip())
    return Link(importer, imported, file, None, "")


def _violations(contract: str, check_metadata: dict, graph: grimp.ImportGraph, repos: RepositorySet) -> list[Violation]:
    found = []
    for group in check_metadata.get("invalid_chains", []):
        for detailed in group["chains"]:
            # independence: {"chain": [...], "extra_firsts": ...}; forbidden: a list of links
            links = detailed["chain"] if isinstance(detailed, dict) else detailed
            chain = [_link(graph, repos, link["importer"], link["imported"]) for link in links]
            importer_repo = repos.owner(chain[0].importer)
            imported_repo = repos.owner(chain[-1].imported)
            found.append(
                Violation(
                    contract,
                    importer_repo.name if importer_repo else chain[0].importer,
                    imported_repo.name if imported_repo else chain[-1].imported,
                    chain,
                )
            )
    found.sort(key=lambda v: (v.chain[0].file, v.chain[0].line or 0))
    return found


def check_contracts(
    graph: grimp.ImportGraph, repos: RepositorySet, contracts: list[dict[str, Any]]
) -> list[ContractResult]:
    session = {"root_packages": repos.packages, "include_external_packages": True}
    results = []
    for options in contracts:
        cls = CONTRACT_TYPES[options["type"]]
        try:
            contract = cls(
                name=options["name"],
                session_options=session,
                contract_options={k: v for k, v in options.items() if k not in ("name", "type")},
            )
        except InvalidContractOptions as exc:
            raise ConfigurationError(f"Contract {options['name']!r} is invalid: {exc.errors}") from None
        started = time.perf_counter()
        check = contract.check(graph, verbose=False)
        seconds = time.perf_counter() - started
        modules = list(options.get("modules") or options.get("source_modules") or [])
        results.append(
            ContractResult(
                options["name"],
                options["type"],
                modules,
                check.kept,
                _violations(options["name"], check.metadata, graph, repos),
                seconds,
            )
        )
    return results


def check_imports(repos: RepositorySet, cache_dir: str | None = None) -> ImportReport:
    started = time.perf_counter()
    graph = build_graph(repos, cache_dir)
    graph_seconds = time.perf_counter() - started
    internal = [m for m in graph.modules if repos.owner(m) is not None]
    external_names = sorted(m for m in graph.modules if repos.owner(m) is None and "." not in m)
    contracts = check_contracts(graph, repos, contracts_for(repos))
    internal_imports = graph.count_imports() - sum(
        len(graph.find_modules_that_directly_import(m)) for m in external_names
    )
    return ImportReport(
        len(internal), graph.count_imports(), internal_imports, graph_seconds, contracts, external_names
    )
