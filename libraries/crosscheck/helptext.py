"""Help of crosscheck's commands as a terminal shows it: docstrings and help strings are written
with ``code`` marks for the keyword pages; ``--help`` prints them as 'code'."""

from __future__ import annotations

import argparse
import re

_MARKS = re.compile(r"``([^`]+)``|`([^`]+)`")


def plain(text: str) -> str:
    """``text`` with reStructuredText and Markdown code marks as plain quotes."""
    return _MARKS.sub(lambda m: f"'{m.group(1) or m.group(2)}'", text)


class PlainHelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, printing descriptions and help without code marks."""

    def _format_text(self, text: str) -> str:
        return super()._format_text(plain(text))

    def _expand_help(self, action: argparse.Action) -> str:
        return plain(super()._expand_help(action))


class PlainArgumentParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose help (and its sub-commands' help) is printed without code marks."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", PlainHelpFormatter)
        super().__init__(*args, **kwargs)
