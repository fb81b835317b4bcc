"""Unhandled exceptions in log files: Python tracebacks and ERROR / CRITICAL lines, in what was appended.

Pure: standard library only. :func:`scan` reads text; :class:`LogWatch` remembers where each
file ended, so a check reads only what was written after that mark.

What counts:

- a Python traceback (``Traceback (most recent call last):`` and its frames), reported at its
  first line with its last line (``ValueError: boom``); chained tracebacks ("During handling of
  the above exception ...") are one finding, and an ERROR line right before a traceback (the
  way ``logging.exception`` and uvicorn write it) is that traceback's heading, not a second finding;
- a line whose log level is ERROR, CRITICAL or FATAL: the first level word on the line
  decides (``2024-05-01 10:00:00 ERROR app: ...``, ``ERROR:    ...``, ``[CRITICAL] ...``), so a
  WARNING line that quotes the word ERROR is not one; ``level=error`` (logfmt) and
  ``"level": "error"`` (JSON) count too.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

TRACEBACK = "Traceback (most recent call last):"
_CHAINED = (
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
)
_LEVEL = re.compile(r"(?<![A-Za-z0-9_])(DEBUG|INFO|NOTICE|WARNING|WARN|ERROR|CRITICAL|FATAL)(?![A-Za-z0-9_])")
_STRUCTURED = re.compile(r"""(?i)(?:\blevel=|"level"\s*:\s*")(error|critical|fatal)\b""")
_BAD = ("ERROR", "CRITICAL", "FATAL")
MAX_TEXT = 300


@dataclass(frozen=True)
class Finding:
    """One unhandled exception or error line: its line number (1-based) in the file and what it says."""

    line: int
    kind: str  # "traceback" or "error"
    text: str  # the exception line of a traceback (with its heading), or the error line

    def describe(self, path: str = "") -> str:
        where = f"{path}:{self.line}" if path else f"line {self.line}"
        return f"{where}: {self.text}" + (" (traceback)" if self.kind == "traceback" else "")


def is_error_line(line: str) -> bool:
    """True when ``line``'s log level is ERROR, CRITICAL or FATAL (see the module's rules)."""
    match = _LEVEL.search(line)
    if match is not None:
        return match.group(1) in _BAD
    return _STRUCTURED.search(line) is not None


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."


def _traceback_end(lines: list[str], i: int) -> tuple[int, str]:
    """From a traceback header at ``i``: the index after it (chains included) and its last exception line."""
    n = len(lines)
    while True:
        j = i + 1
        while j < n and lines[j].startswith((" ", "\t")):  # the frames and their source lines
            j += 1
        if j < n and lines[j].strip():
            last = lines[j].strip()
            j += 1
        else:
            last = "(the traceback ends without its exception line)"
        k = j
        while k < n and not lines[k].strip():
            k += 1
        if k < n and lines[k].strip() in _CHAINED:
            k += 1
            while k < n and not lines[k].strip():
                k += 1
            if k < n and TRACEBACK in lines[k]:
                i = k
                continue
        return j, last


def scan(text: str, first_line: int = 1) -> list[Finding]:
    """The tracebacks and error lines in ``text``, numbered from ``first_line``."""
    lines = text.splitlines()
    found: list[Finding] = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if TRACEBACK in line:
            end, last = _traceback_end(lines, i)
            found.append(Finding(first_line + i, "traceback", _short(last)))
            i = end
            continue
        if is_error_line(line):
            if i + 1 < n and TRACEBACK in lines[i + 1]:
                end, last = _traceback_end(lines, i + 1)
                found.append(Finding(first_line + i, "traceback", _short(f"{line.strip()} -> {last}")))
                i = end
                continue
            found.append(Finding(first_line + i, "error", _short(line)))
        i += 1
    return found


@dataclass
class Mark:
    """Where a file ended when it was watched: its inode, byte offset and line count there."""

    inode: int
    offset: int
    lines: int


@dataclass
class Appended:
    """What was appended to a file since its mark: the text (whole lines) and the number of its first line."""

    path: Path
    text: str
    first_line: int
    end: Mark
    whole: bool = False  # read from the start: the file was not watched before it changed
    findings: list[Finding] = field(default_factory=list)


def _count_lines(path: Path, size: int) -> int:
    count = 0
    with open(path, "rb") as f:
        left = size
        while left > 0:
            chunk = f.read(min(left, 1 << 20))
            if not chunk:
                break
            count += chunk.count(b"\n")
            left -= len(chunk)
    return count


class LogWatch:
    """Marks where log files end, and reads what was appended after the marks.

    A file marked at :meth:`mark` is read from there on; one never marked is skipped when it
    was last changed before the watch began (nothing of this run is in it), and read whole
    when it changed since (the run wrote it, or it is new). A file that shrank or was
    replaced (log rotation) is read from its start.
    """

    def __init__(self, started: float | None = None) -> None:
        self.started = time.time() if started is None else started
        self.marks: dict[Path, Mark] = {}

    def mark(self, paths: Iterable[Path]) -> dict[Path, Mark]:
        """Remember where each existing file ends now; files that do not exist yet are read whole later."""
        marked = {}
        for path in paths:
            path = Path(path).resolve()
            try:
                st = path.stat()
            except FileNotFoundError:
                self.marks[path] = Mark(0, 0, 0)
                marked[path] = self.marks[path]
                continue
            lines = self._complete_lines(path, st.st_size)
            self.marks[path] = Mark(st.st_ino, lines[0], lines[1])
            marked[path] = self.marks[path]
        return marked

    @staticmethod
    def _complete_lines(path: Path, size: int) -> tuple[int, int]:
        """The offset after the last complete line below ``size``, and the number of lines before it."""
        if size == 0:
            return 0, 0
        with open(path, "rb") as f:
            back = min(size, 1 << 16)
            f.seek(size - back)
            tail = f.read(back)
        cut = tail.rfind(b"\n")
        offset = size - back + cut + 1 if cut >= 0 else (0 if back == size else size)
        return offset, _count_lines(path, offset)

    def read(self, path: Path) -> Appended:
        """What was appended to ``path`` since its mark, up to the last complete line."""
        path = Path(path).resolve()
        st = path.stat()
        mark = self.marks.get(path)
        whole = False
        if mark is None:
            if st.st_mtime < self.started:
                mark = Mark(st.st_ino, *self._complete_lines(path, st.st_size))
            else:
                mark, whole = Mark(st.st_ino, 0, 0), True
        elif mark.inode not in (0, st.st_ino) or st.st_size < mark.offset:
            mark = Mark(st.st_ino, 0, 0)
        with open(path, "rb") as f:
            f.seek(mark.offset)
            data = f.read(max(st.st_size - mark.offset, 0))
        cut = data.rfind(b"\n")
        data = data[: cut + 1] if cut >= 0 else b""
        end = Mark(st.st_ino, mark.offset + len(data), mark.lines + data.count(b"\n"))
        return Appended(path, data.decode("utf-8", errors="replace"), mark.lines + 1, end, whole)

    def check(self, path: Path) -> Appended:
        """:meth:`read` and :func:`scan` the appended text; the findings are in ``findings``."""
        appended = self.read(path)
        appended.findings = scan(appended.text, appended.first_line)
        return appended

    def advance(self, appended: Appended) -> None:
        """Move the mark past what ``appended`` read: the next check reads only what comes after."""
        self.marks[appended.path] = appended.end
