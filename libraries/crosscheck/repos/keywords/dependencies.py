"""Declared dependencies: deptry per repository, pip's resolver over the set, pip check."""

from __future__ import annotations

import sys
from datetime import timedelta

from robot.api import SkipExecution, logger
from robot.api.deco import keyword

from crosscheck.core import Component
from crosscheck.errors import CrosscheckError
from crosscheck.reporting import html_table, log_html
from crosscheck.repos import dependencies
from crosscheck.repos.context import ReposContext

RULES = {"missing": "DEP001", "unused": "DEP002", "transitive": "DEP003", "misplaced dev": "DEP004"}


class DependencyKeywords(Component[ReposContext]):
    @keyword
    def repository_dependencies_should_be_declared(
        self, *repos: str, rules: str = "missing, unused, transitive, misplaced dev"
    ) -> None:
        """Fails if a repository imports what it does not declare, or declares what it does not import.

        Runs deptry on each repository given (every repository of the set when none is given):
        ``missing`` (DEP001: imported, not declared), ``unused`` (DEP002), ``transitive`` (DEP003:
        imported, installed only as another package's dependency), ``misplaced dev`` (DEP004: a
        development dependency imported by the code); ``rules`` selects some. Every repository of the
        set is mapped from its distribution name to its packages, so a repository importing
        ``example_shared`` must declare ``example-shared``. Each issue names the file and line.

        | Repository Dependencies Should Be Declared
        | Repository Dependencies Should Be Declared    producer    rules=missing
        """
        wanted = [part.strip().lower() for part in rules.split(",") if part.strip()]
        unknown = [w for w in wanted if w not in RULES and w.upper() not in RULES.values()]
        if unknown:
            raise CrosscheckError(f"Unknown rule(s) {', '.join(unknown)}: use {', '.join(RULES)}.")
        codes = tuple(RULES.get(w, w.upper()) for w in wanted)
        targets = [self.ctx.repos.get(r) for r in repos] if repos else self.ctx.repos.require(1)
        results = [dependencies.run_deptry(repo, self.ctx.repos, codes) for repo in targets]
        rows = [
            [r.repo.name, r.repo.dependency_file, r.declared, r.modules_scanned, len(r.issues)]
            + [sum(1 for i in r.issues if i.code == code) for code in codes]
            for r in results
        ]
        log_html(
            html_table(
                rows,
                ["repository", "declared in", "declared", "files scanned", "issues", *wanted],
                f"deptry on {len(results)} repositories",
            )
        )
        if not any(r.modules_scanned for r in results):
            raise CrosscheckError(
                f"deptry scanned no file in {', '.join(r.name for r in targets)}: nothing was checked."
            )
        issues = [i for r in results for i in r.issues]
        if issues:
            raise CrosscheckError(
                f"{len(issues)} dependency issue(s) in {len({i.repo for i in issues})} repositories:\n"
                + "\n".join(f"  {i}" for i in issues)
            )

    @keyword
    def repository_dependencies_should_resolve_together(
        self, *index_options: str, timeout: timedelta = timedelta(minutes=5)
    ) -> None:
        """Fails if the repositories' runtime requirements cannot be installed into one environment.

        Every repository's requirements (but those naming a repository of the set, checked against
        its version instead) are resolved together by pip's resolver (``pip install --dry-run
        --ignore-installed --report -``), with pip's own configuration; ``index_options`` are more pip
        options, e.g. ``--no-index    --find-links=/wheels`` to resolve offline. A conflict names both
        repositories and their requirement strings. When pip can reach no index that has the
        packages, the test is skipped with pip's reason: nothing resolved is not a pass.

        | Repository Dependencies Should Resolve Together
        """
        self.ctx.repos.require(1)
        options = [*self.ctx.pip_options, *index_options]
        result = dependencies.resolve_together(self.ctx.repos, options, timeout.total_seconds())
        rows = [
            [repo.name, d.text, d.where(repo.path.parent), result.installed.get(d.name, "-")]
            for repo, d in result.requirements
        ]
        log_html(
            html_table(
                rows, ["repository", "requirement", "declared at", "resolved to"], "Requirements resolved together"
            )
        )
        if result.conflicts:
            raise CrosscheckError(
                f"The repositories' requirements conflict ({len(result.conflicts)}):\n"
                + "\n".join(f"  {c}" for c in result.conflicts)
            )
        if result.offline:
            raise SkipExecution(
                "pip could not resolve the requirements: no index it can reach has them "
                f"(pip options: {' '.join(options) or 'none'}). Last pip lines: "
                + " | ".join(result.output.strip().splitlines()[-3:])
            )
        if not result.ok:
            raise CrosscheckError(
                "pip could not resolve the repositories' requirements: " + result.output.strip()[-800:]
            )
        if not result.requirements:
            logger.info("No repository declares a requirement from outside the set: nothing for pip to resolve.")
            logger.warn(f"{len(self.ctx.repos.repos)} repositories declare no requirement from outside the set.")
            return
        logger.info(f"{len(result.requirements)} requirements resolved to {len(result.installed)} distributions")

    @keyword
    def repository_environment_should_be_consistent(self, repo: str | None = None, python: str | None = None) -> None:
        """Fails if ``pip check`` finds a broken requirement in an environment.

        The environment is ``repo``'s fresh one (as `Repository Should Install Alone` makes it),
        or that of the interpreter ``python``, or this one when neither is given.

        | Repository Environment Should Be Consistent    producer
        """
        if repo is not None:
            env = self.ctx.environment(repo, timedelta(minutes=5))
            interpreter, where = str(env.python), f"the fresh environment of repository {env.repo!r}"
        else:
            interpreter = python or sys.executable
            where = f"the environment of {interpreter}"
        ok, problems, count = dependencies.pip_check(interpreter)
        logger.info(f"pip check in {where}: {count} distributions installed")
        if count == 0:
            raise CrosscheckError(f"No distribution is installed in {where}: nothing was checked.")
        if not ok:
            raise CrosscheckError(
                f"pip check found {len(problems)} broken requirement(s) in {where}:\n"
                + "\n".join(f"  {p}" for p in problems)
            )
