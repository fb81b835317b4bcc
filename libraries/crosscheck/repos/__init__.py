"""crosscheck.Repos: isolation of merged repositories (see ``library.py`` and docs/repos.md).

``repository`` (discovery), ``imports`` (grimp and import-linter), ``dependencies`` (deptry and
pip), ``deployment`` (fresh environments, services started alone) and ``resources`` (claims in
configuration and code) import without Robot Framework.
"""


def __getattr__(name):
    if name == "Repos":
        from crosscheck.repos.library import Repos

        return Repos
    raise AttributeError(f"module 'crosscheck.repos' has no attribute {name!r}")


__all__ = ["Repos"]
