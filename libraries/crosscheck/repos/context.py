"""State shared by the Repos keyword components: the repository set and the fresh environments made.

Every environment a keyword creates (a temporary folder with a virtual environment) and every
service process it starts is removed through ``cleanup`` in the scope that created it, also
after a failure. Nothing is written into the repositories themselves.
"""

from __future__ import annotations

from datetime import timedelta

from crosscheck.core import Cleanup
from crosscheck.repos.deployment import Environment, create_environment
from crosscheck.repos.repository import RepositorySet


class ReposContext:
    cleanup: Cleanup  # given by CrosscheckLibrary

    def __init__(self, pip_options: list[str] | None = None) -> None:
        self.repos = RepositorySet()
        self.pip_options = list(pip_options or [])
        self.environments: dict[str, Environment] = {}

    def reset(self) -> None:
        self.repos = RepositorySet()

    def environment(self, repo_name: str, timeout: timedelta, editable: bool = False) -> Environment:
        """The fresh environment of a repository, made once per scope and removed when the scope ends."""
        repo = self.repos.get(repo_name)
        env = self.environments.get(repo.name)
        if env is not None and env.folder.exists():
            return env
        env = create_environment(repo, self.repos, self.pip_options, timeout.total_seconds(), editable)
        self.environments[repo.name] = env

        def remove() -> None:
            self.environments.pop(repo.name, None)
            env.remove()

        self.cleanup.add(f"fresh environment of repository {repo.name!r} at {env.folder}", remove)
        return env

    def close(self) -> None:
        for env in list(self.environments.values()):
            env.remove()
        self.environments.clear()
