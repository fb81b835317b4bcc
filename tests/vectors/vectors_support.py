"""Helpers of the crosscheck.Vectors tests: the library on a real store, called as Robot would."""

from __future__ import annotations


class Keywords:
    """Calls crosscheck.Vectors keywords by their Robot names: ``kw("Get Point Count")``."""

    def __init__(self, lib):
        self.lib = lib

    def __call__(self, name: str, *args, **kwargs):
        key = name if name in self.lib.keywords else name.lower().replace(" ", "_")
        return self.lib.run_keyword(key, list(args), kwargs)


def open_library(url):
    """A connected crosscheck.Vectors on ``url`` and its keyword caller; ``lib.close()`` undoes what it made."""
    from crosscheck.vectors import Vectors

    lib = Vectors(url)
    kw = Keywords(lib)
    kw("Connect To Vector Store")
    return lib, kw


def schema_exists(raw, name: str) -> bool:
    with raw.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (name,))
        return cur.fetchone() is not None
