"""The repository set: folders of repositories, their packages, the shared ones."""

from __future__ import annotations

from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from crosscheck.assertions import AssertionOperator, check
from crosscheck.core import Component
from crosscheck.reporting import html_table, log_html
from crosscheck.repos import repository
from crosscheck.repos.context import ReposContext


def _names(value: str | list[str] | None) -> set[str]:
    if value is None:
        return set()
    items = value.split(",") if isinstance(value, str) else value
    return {item.strip() for item in items if item.strip()}


class RepositoryKeywords(Component[ReposContext]):
    @keyword
    def use_repositories(self, folder: str, names: str = "*", shared: str | list[str] | None = None) -> list[str]:
        """Makes the repositories in the sub-folders of ``folder`` the set every other keyword checks.

        ``names`` is a glob (``demo_*``) or folder names separated by commas; ``shared`` names the
        shared repositories, by folder or package name (``shared=demo_shared``). The set replaces any
        earlier one. Returns the repository names; fails for a folder with no package and for a
        package name two repositories claim.

        | Use Repositories    ${REPOS}    shared=example_shared
        """
        shared_names = _names(shared)
        self.ctx.reset()
        self.ctx.repos.add_folder(folder, names, shared_names)
        unknown = [s for s in shared_names if not any(s == r.name or s in r.packages for r in self.ctx.repos.repos)]
        if unknown:
            from crosscheck.errors import ConfigurationError

            raise ConfigurationError(
                f"shared={', '.join(unknown)} names no repository in {folder}; it has {', '.join(self.ctx.repos.names)}."
            )
        self._log()
        return self.ctx.repos.names

    @keyword
    def add_repository(self, path: str, name: str | None = None, shared: bool = False) -> str:
        """Adds the repository at ``path`` to the set (``name`` defaults to its folder's name).

        | Add Repository    ${REPOS}/example_shared    name=shared-lib    shared=True
        """
        repo = repository.load(path, name, shared)
        self.ctx.repos.add(repo)
        self._log()
        return repo.name

    @keyword
    def get_repository_packages(
        self, repo: str, assertion_operator: AssertionOperator | None = None, assertion_expected: Any = None
    ) -> list[str]:
        """Returns the top-level packages found in repository ``repo`` (flat or src layout).

        | Get Repository Packages    producer    contains    example_producer
        """
        found = self.ctx.repos.get(repo)
        return check(found.packages, assertion_operator, assertion_expected, f"packages of repository {found.name}")

    def _log(self) -> None:
        rows = [
            [
                r.name,
                "shared" if r.shared else "",
                ", ".join(r.packages),
                r.root.relative_to(r.path).as_posix() or ".",
                r.distribution or "-",
                len(r.requirements),
                r.dependency_file,
            ]
            for r in self.ctx.repos.repos
        ]
        log_html(
            html_table(
                rows,
                ["repository", "", "packages", "package root", "distribution", "requirements", "declared in"],
                f"{len(rows)} repositories",
            )
        )
        logger.info(f"{len(rows)} repositories, {len(self.ctx.repos.packages)} packages")
