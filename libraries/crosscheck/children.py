"""Child processes the library starts: tied to its life, and the end of their log for a message."""

from __future__ import annotations

import ctypes
import signal
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """A ``preexec_fn`` (Linux; it runs in the child between fork and exec): the kernel sends the
    child SIGTERM when its parent dies, so nothing outlives the test run that started it."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def tail(path: Path, lines: int) -> str:
    """The last ``lines`` lines of the log at ``path``, or "" when it cannot be read."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
