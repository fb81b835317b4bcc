"""State shared by the Sandbox keyword components: the engine, the limits, the pool, the last result.

Everything the library creates in the engine is registered with ``cleanup`` (the
library's one :class:`~crosscheck.core.Cleanup`): a container in flight is removed
when the test (or suite) that started it ends, a warm pool when the suite that
started it ends, and whatever is left of this run when the run ends (:meth:`close`).
"""

from __future__ import annotations

import threading

from crosscheck import namespace
from crosscheck.core import Cleanup
from crosscheck.errors import CrosscheckError, ServiceUnavailable
from crosscheck.sandbox import image as image_mod
from crosscheck.sandbox import runner
from crosscheck.sandbox.policy import Limits
from crosscheck.sandbox.pool import WarmPool
from crosscheck.sandbox.result import Result
from crosscheck.services import docker as docker_service


class Context:
    cleanup: Cleanup  # given by CrosscheckLibrary

    def __init__(self, limits: Limits, image: str | None, risk_threshold: int) -> None:
        self.limits = limits
        self.image = image or image_mod.image_name()
        self.risk_threshold = risk_threshold
        self._client = None
        self.pool: WarmPool | None = None
        self.last: Result | None = None
        self.active: set[str] = set()
        self.lock = threading.Lock()
        self.reaped_at_start = 0

    @property
    def client(self):
        """The engine client; connects (or skips), removes leftovers of crashed runs and builds the image once."""
        if self._client is None:
            try:
                client = docker_service.connect()
            except ServiceUnavailable as exc:
                raise docker_service.SERVICE.skip(f"Sandbox needs a Docker engine: {exc}") from None
            self.reaped_at_start = runner.reap(client)
            image_mod.ensure(client, self.image)
            self._client = client
        return self._client

    # --- containers in flight -------------------------------------------------------
    def track(self, cid: str) -> None:
        """A fresh container exists: it is removed when the current test (or suite) ends, if still there."""
        with self.lock:
            self.active.add(cid)
        self.cleanup.add(f"sandbox container {cid[:12]}", lambda: self._remove_if_active(cid))

    def untrack(self, cid: str) -> None:
        with self.lock:
            self.active.discard(cid)

    def _remove_if_active(self, cid: str) -> None:
        with self.lock:
            if cid not in self.active:
                return
        if self._client is not None:
            runner.remove_quietly(self._client.api, cid)
        self.untrack(cid)

    # --- the warm pool ----------------------------------------------------------------
    def start_pool(self, size: int = 2) -> WarmPool:
        """Replace the running pool (if any) with ``size`` fresh containers, stopped when the suite ends."""
        self.stop_pool()
        pool = WarmPool(self.client, self.limits, self.image, size, namespace.new("pool"))
        try:
            pool.start()
        except Exception:
            pool.close()
            raise
        self.pool = pool
        self._add_to_suite(f"sandbox warm pool {pool.owner}", lambda: self.stop_pool(pool))
        return pool

    def stop_pool(self, pool: WarmPool | None = None) -> None:
        """Stop ``pool`` (default: the running one) and remove its containers; a stopped pool is left alone."""
        pool = pool or self.pool
        if pool is None:
            return
        if pool is self.pool:
            self.pool = None
        pool.close()

    def _add_to_suite(self, what: str, action) -> None:
        """Register ``action`` with the innermost suite's scope (the run's outside Robot), not the test's.

        A pool outlives the test that started it and is stopped when its suite ends.
        """
        cleanup = self.cleanup
        with cleanup.lock:
            scope = next((s for s in reversed(cleanup.scopes) if s.kind != "test"), cleanup.scopes[0])
            scope.actions.append((what, action))

    # --- results ----------------------------------------------------------------------
    def result(self, result: Result | None) -> Result:
        result = result or self.last
        if result is None:
            raise CrosscheckError("No sandbox result yet: run 'Execute Python' first or pass result=.")
        return result

    def close(self) -> None:
        """The run ends (after every scope was undone): remove whatever of this run is left, close the client."""
        if self._client is None:
            return
        client, self._client = self._client, None
        try:
            runner.reap(client, current_run=True)
        finally:
            client.close()
