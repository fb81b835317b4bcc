"""The HTTP API under test: ``CROSSCHECK_API_URL``, else the system under test the stack starts.

Also the one way crosscheck sends many HTTP requests at once (:class:`Burst`), used by the
rate-limit contract, pool tests and every other keyword that needs concurrent requests.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx

from crosscheck import config
from crosscheck.errors import ServiceUnavailable
from crosscheck.services.base import PROBE_TIMEOUT, Service


class ApiService(Service):
    name, title, env, embedded = "api", "API", "CROSSCHECK_API_URL", True

    def url(self) -> str:
        configured = self.configured()
        if configured:
            return configured.rstrip("/")
        from crosscheck.stack.api import embedded_url, wants_system_under_test

        if not wants_system_under_test():
            raise self.skip(
                "no API to test: set CROSSCHECK_API_URL (the embedded system under test only runs on "
                "the embedded Redis and Postgres, and CROSSCHECK_REDIS_URL / CROSSCHECK_POSTGRES_URL "
                "are set)"
            )
        return embedded_url("api").rstrip("/")

    def client(self, url: str | None = None, timeout: float = 10.0, **extra) -> httpx.Client:
        """An httpx client with ``url`` (default: the API under test) as its base URL."""
        return httpx.Client(base_url=url or self.url(), timeout=timeout, **extra)

    def version(self, url: str) -> str:
        try:
            resp = httpx.get(url.rstrip("/") + "/health", timeout=PROBE_TIMEOUT)
        except httpx.HTTPError as exc:
            raise self.unreachable(url, exc) from None
        if resp.status_code >= 400:
            raise ServiceUnavailable(
                f"{self.describe(url)} answers but is not healthy: HTTP {resp.status_code} "
                f"on /health ({config.scrub(resp.text.strip()[:200], url)}); see its logs"
            )
        version = resp.headers.get("x-api-version") or ""
        return f"HTTP {resp.status_code} on /health{' ' + version if version else ''}"

    def doctor(self) -> list[str]:
        found = super().doctor()
        if not self.configured():
            from crosscheck.stack.sut import problem

            missing = problem()
            if missing:
                found.append(f"api: {missing}")
        return found


class Burst:
    """``count`` HTTP requests sent at once, each from its own thread with its own session.

    ``start()`` returns at once (the requests run in the background); ``wait()`` joins them.
    ``outcomes`` holds, as they come, a ``requests.Response`` or the exception a request
    raised; ``statuses`` the status codes, or ``"<Exception>: <text>"`` for requests that
    failed. ``where`` is the URL with any password masked.
    """

    def __init__(
        self,
        method: str,
        url: str,
        count: int,
        headers: dict | None = None,
        json_body: Any = None,
        timeout: float = 30.0,
    ) -> None:
        self.method, self.url, self.count = method.upper(), url, count
        self.headers, self.json_body, self.timeout = headers or {}, json_body, timeout
        self.where = config.mask_url(url)
        self.outcomes: list[Any] = []
        self.threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def _send(self) -> None:
        import requests

        try:
            with requests.Session() as session:
                outcome: Any = session.request(
                    self.method, self.url, headers=self.headers, json=self.json_body, timeout=self.timeout
                )
        except requests.RequestException as exc:
            outcome = exc
        with self._lock:
            self.outcomes.append(outcome)

    def start(self) -> Burst:
        self.threads = [threading.Thread(target=self._send, daemon=True) for _ in range(self.count)]
        for thread in self.threads:
            thread.start()
        return self

    def wait(self, timeout: float | None = None) -> int:
        """Join the requests for up to ``timeout`` s in all (default: the request timeout plus 5 s);
        returns how many are still running."""
        import time

        deadline = time.monotonic() + (self.timeout + 5 if timeout is None else timeout)
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return sum(thread.is_alive() for thread in self.threads)

    @property
    def statuses(self) -> list[Any]:
        with self._lock:
            outcomes = list(self.outcomes)
        return [o.status_code if hasattr(o, "status_code") else f"{type(o).__name__}: {o}" for o in outcomes]


SERVICE = ApiService()
url = SERVICE.url
client = SERVICE.client
