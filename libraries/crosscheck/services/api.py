"""The HTTP API under test: ``CROSSCHECK_API_URL``, else the system under test the stack starts."""

from __future__ import annotations

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


SERVICE = ApiService()
url = SERVICE.url
client = SERVICE.client
