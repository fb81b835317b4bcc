"""State shared by the Stack keyword components.

Stack creates nothing in any service (it starts and restarts servers it owns, which
stop with the run), so ``cleanup`` never holds an action of its own.
"""

from __future__ import annotations

from crosscheck.core import Cleanup


class StackContext:
    cleanup: Cleanup  # given by CrosscheckLibrary
