"""A keyword component: one concern of a library, sharing the library's typed context."""

from __future__ import annotations

from typing import Generic, TypeVar

C = TypeVar("C")


class Component(Generic[C]):
    """Base of every keyword class (``keywords/<concern>.py``).

    A component holds no state of its own: what keywords share lives in the
    library's context (``context.py``), which every component of that library gets.
    Its keywords are tagged with ``TAG`` (default: the module's name, ``streams`` for
    ``keywords/streams.py``), and getters (``Get ...``) also with ``Getter``, as
    Browser tags its keywords, so a keyword page can be filtered by concern.
    """

    TAG: str | None = None

    @classmethod
    def tag(cls) -> str:
        return cls.TAG or cls.__module__.rsplit(".", 1)[-1]

    def __init__(self, ctx: C) -> None:
        self.ctx = ctx
