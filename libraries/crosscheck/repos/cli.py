"""``crosscheck imports``: the import check of ``Repositories Should Not Import Each Other`` as a
command, for CI steps and pre-commit hooks; it runs the same engine without Robot Framework.

Exit codes: 0 no import crosses a repository, 1 one or more do, 3 bad input.
"""

from __future__ import annotations

import sys

from crosscheck.errors import CrosscheckError
from crosscheck.helptext import PlainArgumentParser
from crosscheck.repos import imports, repository


def main(argv: list[str]) -> int:
    parser = PlainArgumentParser(
        prog="crosscheck imports",
        description="Check that no repository of FOLDER imports another's packages (grimp's graph, "
        "import-linter's independence and forbidden contracts). Each violation names the file and line.",
    )
    parser.add_argument("folder", metavar="FOLDER", help="the folder whose sub-folders are the repositories")
    parser.add_argument("--names", default="*", help="the repositories: a glob or folder names separated by commas")
    parser.add_argument(
        "--shared", default="", help="shared repositories (folder or package names, separated by commas)"
    )
    args = parser.parse_args(argv)
    shared = {name.strip() for name in args.shared.split(",") if name.strip()}
    try:
        repos = repository.RepositorySet()
        repos.add_folder(args.folder, args.names, shared)
        if len(repos.repos) < 2:
            raise CrosscheckError(f"{args.folder} holds {len(repos.repos)} repository: there is nothing to compare.")
        report = imports.check_imports(repos)
    except CrosscheckError as exc:
        print(f"crosscheck imports: {exc}", file=sys.stderr)
        return 3
    kept = sum(1 for contract in report.contracts if contract.kept)
    print(
        f"{len(repos.repos)} repositories, {report.modules} modules, {report.internal_imports} imports between them; "
        f"{kept} of {len(report.contracts)} contracts kept"
    )
    for violation in report.violations:
        print(f"  {violation}")
    return 1 if report.violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
