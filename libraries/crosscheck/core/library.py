"""The base class of every crosscheck library (the model: SeleniumLibrary and Browser)."""

from __future__ import annotations

import difflib
import inspect
import re
import typing
from typing import Any, ClassVar

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

    def run_keyword(self, name: str, args: list, kwargs: dict | None = None) -> Any:
        """Runs the keyword, first refusing a misspelled named argument (see :func:`_misspelled`)."""
        problem = _misspelled(self.keywords.get(name), name, args)
        if problem:
            raise ValueError(problem)
        return super().run_keyword(name, args, kwargs)

    def get_keyword_tags(self, name: str) -> list[str]:
        """The keyword's own tags plus its component's (see :class:`Component`)."""
        own = list(super().get_keyword_tags(name))
        return own + [tag for tag in self._tags.get(name, []) if tag not in own]


def _is_operator(hint) -> bool:
    return hint is AssertionOperator or set(typing.get_args(hint)) == {AssertionOperator, type(None)}


_NAMED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")


def _misspelled(method, name: str, args: list) -> str | None:
    """A message when a positional argument reads ``name=value`` with a name close to one of the
    keyword's arguments: Robot takes ``latancy=50 ms`` as a value for the next argument in line;
    this names it as the misspelled argument it is."""
    if method is None or not args:
        return None
    params = [p for p in inspect.signature(method).parameters.values() if p.name != "self"]
    names = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    positional = [p.name for p in params if p.kind == p.POSITIONAL_OR_KEYWORD]
    for index, value in enumerate(args):
        match = _NAMED.match(value) if isinstance(value, str) else None
        if not match or match.group(1) in names:
            continue
        close = difflib.get_close_matches(match.group(1), names, n=1, cutoff=0.75)
        if close:
            slot = positional[index] if index < len(positional) else "the extra arguments"
            keyword_name = name if " " in name else name.replace("_", " ").title()
            return (
                f"Keyword '{keyword_name}' got unexpected named argument '{match.group(1)}': did you mean "
                f"'{close[0]}'? (Robot would have passed '{value}' as '{slot}')"
            )
    return None
