"""Reachability and version probes that fail fast with one clear line."""

from __future__ import annotations

from urllib.parse import urlsplit

from crosscheck import config
from crosscheck.errors import ConfigurationError, ServiceUnavailable

TIMEOUT = 3.0


def _fail(name: str, url: str, exc: BaseException, fix: str) -> ServiceUnavailable:
    detail = config.scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, url)
    return ServiceUnavailable(f"{name} at {config.mask_url(url)} is unreachable ({detail}): {fix}")


def redis_version(url: str) -> str:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT)
    except ValueError as exc:
        raise ConfigurationError(f"Redis URL {config.mask_url(url)!r} is malformed ({config.scrub(exc, url)}); "
                                 "expected redis://[:password@]host:port/db") from None
    try:
        return client.info("server")["redis_version"]
    except redis.RedisError as exc:
        raise _fail("Redis", url, exc, "start it, or fix CROSSCHECK_REDIS_URL (unset it to use the embedded Redis)") from None
    finally:
        client.close()


def postgres_version(url: str) -> str:
    import psycopg2

    try:
        conn = psycopg2.connect(url, connect_timeout=int(TIMEOUT), application_name="crosscheck-probe")
    except psycopg2.ProgrammingError as exc:
        raise ConfigurationError(f"Postgres URL {config.mask_url(url)!r} is malformed ({config.scrub(exc, url)})") from None
    except psycopg2.OperationalError as exc:
        raise _fail("Postgres", url, exc, "start it, or fix CROSSCHECK_POSTGRES_URL (unset it to use the embedded Postgres)") from None
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW server_version")
            version = cur.fetchone()[0]
            cur.execute("SELECT default_version FROM pg_available_extensions WHERE name = 'vector'")
            row = cur.fetchone()
        return f"{version} (pgvector {row[0]})" if row else f"{version} (no pgvector available)"
    finally:
        conn.close()


def http_version(url: str) -> str:
    import httpx

    try:
        resp = httpx.get(url.rstrip("/") + "/health", timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        raise _fail("API", url, exc, "start it, or fix CROSSCHECK_API_URL (unset it to use the demo API)") from None
    if resp.status_code >= 400:
        raise ServiceUnavailable(f"API at {config.mask_url(url)} answers but is not healthy: HTTP {resp.status_code} "
                                 f"on /health ({config.scrub(resp.text.strip()[:200], url)}); see its logs")
    version = resp.headers.get("x-api-version") or ""
    return f"HTTP {resp.status_code} on /health{' ' + version if version else ''}"


def docker_version(url: str) -> str:
    import docker

    try:
        client = docker.DockerClient(base_url=url, timeout=int(TIMEOUT))
        try:
            return client.version()["Version"]
        finally:
            client.close()
    except Exception as exc:
        raise _fail("Docker engine", url, exc, "start dockerd (apt-get install docker.io; dockerd &) or set DOCKER_HOST") from None


def qdrant_version(url: str) -> str:
    import httpx

    try:
        resp = httpx.get(url.rstrip("/") + "/", timeout=TIMEOUT)
        return resp.json().get("version", f"HTTP {resp.status_code}")
    except Exception as exc:
        raise _fail("Qdrant", url, exc, "start it, or unset CROSSCHECK_QDRANT_URL to use qdrant-client's local mode") from None


def version(name: str, url: str) -> str:
    if name in ("redis",):
        scheme = urlsplit(url).scheme
        if scheme not in ("redis", "rediss", "unix"):
            raise ConfigurationError(f"Redis URL {config.mask_url(url)!r} must start with redis://, rediss:// or unix://")
    return {"redis": redis_version, "postgres": postgres_version, "api": http_version,
            "docker": docker_version, "qdrant": qdrant_version}[name](url)
