"""State shared by the keyword components: the engine, the limits, the pool, the last result."""

from __future__ import annotations

import threading

from robot.api import SkipExecution

from crosscheck.errors import CrosscheckError, ServiceUnavailable
from crosscheck.sandbox import image as image_mod
from crosscheck.sandbox import runner
from crosscheck.sandbox.policy import Limits
from crosscheck.sandbox.result import Result


class Context:
    def __init__(self, limits: Limits, image: str | None, risk_threshold: int) -> None:
        self.limits = limits
        self.image = image or image_mod.image_name()
        self.risk_threshold = risk_threshold
        self._client = None
        self.pool = None
        self.pool_suite: str | None = None
        self.last: Result | None = None
        self.active: set[str] = set()
        self.lock = threading.Lock()
        self.reaped_at_start = 0

    @property
    def client(self):
        """The engine client; connects, removes leftovers of crashed runs and builds the image once."""
        if self._client is None:
            try:
                client = runner.connect()
            except ServiceUnavailable as exc:
                raise SkipExecution(f"Sandbox needs a Docker engine: {exc}") from None
            self.reaped_at_start = runner.reap(client)
            image_mod.ensure(client, self.image)
            self._client = client
        return self._client

    def track(self, cid: str) -> None:
        with self.lock:
            self.active.add(cid)

    def untrack(self, cid: str) -> None:
        with self.lock:
            self.active.discard(cid)

    def result(self, result: Result | None) -> Result:
        result = result or self.last
        if result is None:
            raise CrosscheckError("No sandbox result yet: run 'Execute Python' first or pass result=.")
        return result

    def stop_pool(self) -> None:
        if self.pool is not None:
            pool, self.pool, self.pool_suite = self.pool, None, None
            pool.close()

    def cleanup_runs(self) -> None:
        """Remove containers of runs still in flight (a keyword interrupted by a failure)."""
        if self._client is None:
            return
        with self.lock:
            active = list(self.active)
        for cid in active:
            runner.remove_quietly(self._client.api, cid)
            self.untrack(cid)

    def cleanup(self, current_run: bool) -> int:
        """Stop the pool, kill what is in flight; with ``current_run`` remove all of ours."""
        self.stop_pool()
        if self._client is None:
            return 0
        with self.lock:
            active = list(self.active)
        for cid in active:
            runner.remove_quietly(self._client.api, cid)
            self.untrack(cid)
        return runner.reap(self._client, current_run=current_run)
