"""The base class of every crosscheck library (the model: SeleniumLibrary and Browser)."""

from __future__ import annotations

import typing
from typing import ClassVar

from robotlibcore import DynamicCore

from crosscheck import __version__
from crosscheck.assertions import AssertionOperator, Operator, to_operator
from crosscheck.core.cleanup import Cleanup, CleanupListener
from crosscheck.core.component import Component


class CrosscheckLibrary(DynamicCore):
    """A ``DynamicCore`` library made of keyword components that share one context.

    A subclass (``<lib>/library.py``) lists its components in ``COMPONENTS``, builds its
    context, and calls ``super().__init__(ctx)``. The context gets ``ctx.cleanup``, the
    library's one :class:`Cleanup`, registered as a listener here and nowhere else.
    """

    ROBOT_LIBRARY_SCOPE = "GLOBAL"
    ROBOT_LIBRARY_VERSION = __version__
    ROBOT_LIBRARY_DOC_FORMAT = "ROBOT"
    COMPONENTS: ClassVar[tuple[type[Component], ...]] = ()
    # an unknown assertion operator is refused with the list of known ones (see Operator)
    ROBOT_LIBRARY_CONVERTERS: ClassVar[dict] = {Operator: to_operator}

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.cleanup = Cleanup(f"crosscheck.{type(self).__name__}")
        ctx.cleanup = self.cleanup
        self.ROBOT_LIBRARY_LISTENER = CleanupListener(self.cleanup, getattr(ctx, "close", None))
        components = [component(ctx) for component in self.COMPONENTS]
        super().__init__(components)
        self._tags: dict[str, list[str]] = {}
        for component in components:
            for name in dir(type(component)):
                method = getattr(type(component), name, None)
                robot_name = getattr(method, "robot_name", None)
                if robot_name is None and not hasattr(method, "robot_tags"):
                    continue
                tags = [component.tag()]
                if name.startswith("get_"):
                    tags.append("Getter")
                self._tags[robot_name or name] = tags

    def get_keyword_types(self, name: str):
        """The keyword's argument types, with ``AssertionOperator | None`` given to Robot as
        :class:`Operator`, whose converter names the valid operators when a value is none of them."""
        types = super().get_keyword_types(name)
        if not isinstance(types, dict):
            return types
        return {arg: Operator if _is_operator(hint) else hint for arg, hint in types.items()}

    def get_keyword_tags(self, name: str) -> list[str]:
        """The keyword's own tags plus its component's (see :class:`Component`)."""
        own = list(super().get_keyword_tags(name))
        return own + [tag for tag in self._tags.get(name, []) if tag not in own]


def _is_operator(hint) -> bool:
    return hint is AssertionOperator or set(typing.get_args(hint)) == {AssertionOperator, type(None)}
