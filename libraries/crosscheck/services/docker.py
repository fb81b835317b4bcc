"""The Docker engine: ``DOCKER_HOST``, else the default socket; absent, a skip that says so."""

from __future__ import annotations

from crosscheck import config
from crosscheck.services.base import PROBE_TIMEOUT, Service

DEFAULT_SOCKET = config.DEFAULT_DOCKER_SOCKET


class DockerService(Service):
    name, title, env, embedded = "docker", "Docker engine", "DOCKER_HOST", False
    require_env = "CROSSCHECK_REQUIRE_DOCKER"

    def url(self) -> str:
        return self.configured() or DEFAULT_SOCKET

    def connect(self, url: str | None = None, pool_size: int = 64, timeout: float = 60):
        """A client that answered a ping, with room for many concurrent attach streams."""
        import docker

        url = url or self.url()
        try:
            client = docker.DockerClient(base_url=url, max_pool_size=pool_size, timeout=int(timeout))
            client.ping()
        except Exception as exc:  # noqa: BLE001 - the SDK raises many kinds
            raise self.unreachable(url, exc) from None
        return client

    def connect_or_skip(self, url: str | None = None, **options):
        """:meth:`connect`, or a skip saying no engine answers (a failure under ``CROSSCHECK_REQUIRE_DOCKER=1``)."""
        from crosscheck.errors import ServiceUnavailable

        try:
            return self.connect(url, **options)
        except ServiceUnavailable as exc:
            raise self.skip(f"needs a Docker engine: {exc}") from None

    def unreachable(self, url, exc):
        found = super().unreachable(url, exc)
        found.args = (f"{found.args[0]} (start dockerd: apt-get install docker.io; dockerd &)",)
        return found

    def version(self, url: str) -> str:
        client = self.connect(url, pool_size=2, timeout=PROBE_TIMEOUT)
        try:
            return client.version()["Version"]
        finally:
            client.close()

    def doctor(self) -> list[str]:
        try:
            self.version(self.url())
        except Exception as exc:  # noqa: BLE001
            return [f"docker: {exc}"]
        return []


SERVICE = DockerService()
url = SERVICE.url
connect = SERVICE.connect
