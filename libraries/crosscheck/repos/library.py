"""The crosscheck.Repos library class."""

from __future__ import annotations

from crosscheck.core import CrosscheckLibrary
from crosscheck.repos.context import ReposContext
from crosscheck.repos.keywords.dependencies import DependencyKeywords
from crosscheck.repos.keywords.deployment import DeploymentKeywords
from crosscheck.repos.keywords.imports import ImportKeywords
from crosscheck.repos.keywords.repositories import RepositoryKeywords
from crosscheck.repos.keywords.resources import ResourceKeywords


class Repos(CrosscheckLibrary):
    """Repos checks that merged repositories stay separate: checkpoint 2, repository isolation.

    = Repositories =
    A repository is a folder with its packages (beside its ``pyproject.toml``, or under ``src/``)
    and its dependency declaration (``[project] dependencies`` in ``pyproject.toml``, or
    ``requirements*.txt``). `Use Repositories` takes the sub-folders of one folder; `Add
    Repository` one folder at a time. Shared repositories (a library every service may use) are
    named with ``shared=``: importing them is allowed, they must import none of the others.

    | Use Repositories    ${REPOS}    shared=example_shared
    | Repositories Should Not Import Each Other
    | Repository Dependencies Should Be Declared
    | Repositories Should Not Share Resources

    = The checklist =
    - Imports: `Repositories Should Not Import Each Other` (grimp's import graph, import-linter's
      ``independence`` and ``forbidden`` contracts).
    - Dependencies: `Repository Dependencies Should Be Declared` (deptry),
      `Repository Dependencies Should Resolve Together` (pip's resolver),
      `Repository Environment Should Be Consistent` (``pip check``).
    - Deployment: `Repository Should Install Alone` (a fresh virtual environment, ``python -I``),
      `Repository Service Should Start Alone`, `Repository Service Should Fail Clearly`.
    - Shared resources: `Repositories Should Not Share Resources` (ports, environment variables,
      Redis key prefixes, channels, database schemas).

    Every check logs what it looked at (modules, imports, contracts, files, claims) and fails
    when it found nothing to check.

    = Assertions =
    `Get Repository Packages` takes AssertionEngine's operator and expected value.

    = Cleanup =
    Nothing is written into the repositories: the import graph is built without a cache, deptry
    and pip write only to temporary folders. Fresh environments and started services are removed
    and stopped when the test (or suite) that made them ends, also after a failure.
    """

    COMPONENTS = (RepositoryKeywords, ImportKeywords, DependencyKeywords, DeploymentKeywords, ResourceKeywords)

    def __init__(self, pip_options: list[str] | None = None) -> None:
        """``pip_options`` are given to every pip run (``--no-index``, ``--find-links=...``) besides pip's own configuration."""
        super().__init__(ReposContext(pip_options))
