"""Imports between repositories: one grimp graph, import-linter's contracts."""

from __future__ import annotations

from robot.api import logger
from robot.api.deco import keyword

from crosscheck.core import Component
from crosscheck.errors import CrosscheckError
from crosscheck.reporting import html_table, log_html
from crosscheck.repos import imports
from crosscheck.repos.context import ReposContext


class ImportKeywords(Component[ReposContext]):
    @keyword
    def repositories_should_not_import_each_other(self) -> None:
        """Fails if a repository imports another one's package, directly or through other modules.

        One import graph is built with grimp over every repository's packages (caching off: nothing
        is written into the repositories), and import-linter's contracts are checked on it: an
        ``independence`` contract over the packages of the repositories that are not shared, and a
        ``forbidden`` contract per shared repository (it imports none of the others). Importing a
        shared package is allowed. Each violation names the importing file and line, the importing
        module, the imported module and the line of code; the log has a table of the contracts.

        | Repositories Should Not Import Each Other
        """
        repos = self.ctx.repos.require(2)
        report = imports.check_imports(self.ctx.repos)
        contracts = imports.contracts_for(self.ctx.repos)
        if not contracts:
            raise CrosscheckError(
                f"Nothing to check: the set's {len(repos)} repositories leave no two packages to keep apart "
                "(every repository is shared, or one repository holds every package)."
            )
        rows = [
            [c.name, c.type, ", ".join(c.modules), "kept" if c.kept else "BROKEN", len(c.violations), c.seconds * 1000]
            for c in report.contracts
        ]
        log_html(
            html_table(
                rows,
                ["contract", "type", "modules", "result", "violations", "ms"],
                f"import-linter contracts on {report.modules} modules and {report.internal_imports} imports "
                f"of {len(repos)} repositories (graph built in {report.graph_seconds * 1000:.0f} ms)",
            )
        )
        external = report.external
        logger.info(
            f"{report.modules} modules, {report.internal_imports} imports, {len(report.contracts)} contracts; "
            f"{len(external)} packages from outside the set imported: {', '.join(sorted(external)) or 'none'}"
        )
        if report.modules == 0:
            raise CrosscheckError("No module found in the repositories' packages: nothing was checked.")
        violations = report.violations
        if violations:
            broken = [c.name for c in report.contracts if not c.kept]
            raise CrosscheckError(
                f"{len(violations)} import(s) across repositories (contract {', '.join(map(repr, broken))} broken):\n"
                + "\n".join(f"  {v}" for v in violations)
            )
