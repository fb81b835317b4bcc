"""One cleanup mechanism for every library: a stack of undo actions per scope.

A keyword that creates something (a key, a row, a schema, a container, a collection,
a fault) registers how to undo it with :meth:`Cleanup.add` right after creating it.
Scopes follow Robot's execution: the run, each suite, each test. When a scope ends,
its actions run newest first, every one of them even if an earlier one failed.

The rule for a cleanup that fails: **it fails the test it belongs to** (or, at suite
and run level, is logged as an error, since Robot has no test left to fail). Something
the run created and could not remove is left behind in the user's service; that is a
defect the reviewer must see in report.html, not a warning in log.html.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from robot.api import logger


@dataclass
class Scope:
    kind: str  # "run", "suite" or "test"
    name: str
    actions: list[tuple[str, Callable[[], object]]] = field(default_factory=list)


class Cleanup:
    """The undo stack of one library instance."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.scopes: list[Scope] = [Scope("run", "run")]
        self.lock = threading.Lock()

    @property
    def current(self) -> Scope:
        return self.scopes[-1]

    def add(self, what: str, action: Callable[[], object]) -> None:
        """Undo ``action`` when the current test (or suite, or run) ends; ``what`` names it in errors."""
        with self.lock:
            self.current.actions.append((what, action))

    def push(self, kind: str, name: str) -> None:
        with self.lock:
            self.scopes.append(Scope(kind, name))

    def pop(self) -> tuple[Scope, list[str]]:
        """Leave the innermost scope (never the run's before :meth:`close`), undoing what it created."""
        with self.lock:
            scope = self.scopes.pop() if len(self.scopes) > 1 else self.scopes[0]
            actions, scope.actions = scope.actions, []
            if not self.scopes:
                self.scopes.append(scope)
        return scope, self._undo(actions)

    def close(self) -> list[str]:
        """Undo everything still registered, innermost scope first (the run ends)."""
        errors: list[str] = []
        while len(self.scopes) > 1:
            errors += self.pop()[1]
        errors += self.pop()[1]
        return errors

    @staticmethod
    def _undo(actions: list[tuple[str, Callable[[], object]]]) -> list[str]:
        errors = []
        for what, action in reversed(actions):
            try:
                action()
            except Exception as exc:  # noqa: BLE001 - every undo runs; failures are reported together
                errors.append(f"{what}: {exc}")
        return errors


class CleanupListener:
    """Robot listener (API 3) that drives a :class:`Cleanup`; the library base registers it."""

    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self, cleanup: Cleanup, on_close: Callable[[], object] | None = None) -> None:
        self.cleanup = cleanup
        self.on_close = on_close

    def start_suite(self, data, result) -> None:
        self.cleanup.push("suite", data.full_name)

    def start_test(self, data, result) -> None:
        self.cleanup.push("test", f"{data.parent.full_name}.{data.name}")

    def end_test(self, data, result) -> None:
        _, errors = self.cleanup.pop()
        if errors:
            message = f"{self.cleanup.owner} cleanup failed: " + "; ".join(errors)
            if result.passed or result.skipped:
                result.status, result.message = "FAIL", message
            else:
                result.message = f"{result.message}\n\nAlso: {message}"

    def end_suite(self, data, result) -> None:
        _, errors = self.cleanup.pop()
        if errors:
            logger.error(f"{self.cleanup.owner} cleanup of suite {data.full_name!r} failed: " + "; ".join(errors))

    def close(self) -> None:
        errors = self.cleanup.close()
        if self.on_close is not None:
            try:
                self.on_close()
            except Exception as exc:  # noqa: BLE001
                errors.append(f"closing: {exc}")
        if errors:
            logger.error(f"{self.cleanup.owner} cleanup at the end of the run failed: " + "; ".join(errors))
