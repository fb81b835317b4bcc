"""crosscheck.Vectors: vector database checks on pgvector and Qdrant (see ``library.py`` and docs/vectors.md)."""

from __future__ import annotations

__all__ = ["Vectors"]


def __getattr__(name: str):
    if name == "Vectors":
        from crosscheck.vectors.library import Vectors

        return Vectors
    raise AttributeError(f"module 'crosscheck.vectors' has no attribute {name!r}")
