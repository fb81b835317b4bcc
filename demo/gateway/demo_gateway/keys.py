"""API keys and rate limits (seed 004); see demo/README.md, "API keys and rate limits"."""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import secrets
import threading
import time
from dataclasses import dataclass

import redis

log = logging.getLogger("demo_gateway.keys")
PROBE_INTERVAL = 0.5  # seconds between pings to Redis while it is unavailable
PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
KEY_PREFIX = "ccd_"


@dataclass(frozen=True)
class ApiKey:
    id: int
    name: str
    prefix: str
    limit: int
    window_seconds: int


def parse_rate(rate: str) -> tuple[int, int]:
    """``"60/minute"`` → ``(60, 60)``: requests per window, window in seconds."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d*)\s*(second|minute|hour|day)s?\s*", rate or "")
    if not m or int(m.group(1)) < 1:
        raise ValueError(f"rate {rate!r} is not like 60/minute (per second, minute, hour or day)")
    return int(m.group(1)), int(m.group(2) or 1) * PERIODS[m.group(3)]


def hash_key(key: str, pepper: str = "") -> str:
    if pepper:
        return hmac.new(pepper.encode("utf-8"), key.encode("utf-8"), hashlib.sha256).hexdigest()
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(conn, rate: str = "60/minute", name: str = "default", pepper: str = "") -> tuple[str, ApiKey]:
    """Store a new key (hashed) and return ``(key, record)``; the key is shown only here."""
    limit, window = parse_rate(rate)
    key = KEY_PREFIX + secrets.token_hex(20)
    with conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO api_keys (name, key_prefix, key_hash, rate_limit, window_seconds)"
            " VALUES (%s, %s, %s, %s, %s) RETURNING id",
            (name, key[:12], hash_key(key, pepper), limit, window),
        )
        return key, ApiKey(cur.fetchone()[0], name, key[:12], limit, window)


def revoke_key(conn, key_prefix: str) -> int:
    """Revoke the keys starting with ``key_prefix``; return how many."""
    with conn, conn.cursor() as cur:
        sql = "UPDATE api_keys SET revoked_at = now() WHERE key_prefix = %s AND revoked_at IS NULL"
        cur.execute(sql, (key_prefix[:12],))
        return cur.rowcount


def lookup(conn, key: str, pepper: str = "") -> ApiKey | None:
    """The active key record for ``key``, or None."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT id, name, key_prefix, rate_limit, window_seconds FROM api_keys"
            " WHERE key_hash = %s AND revoked_at IS NULL",
            (hash_key(key, pepper),),
        )
        row = cur.fetchone()
    return ApiKey(*row) if row else None


# INCR the window's counter; the first request of a window sets its expiry.
_FIXED_WINDOW = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


class RateLimiter:
    """A fixed window per key, counted in Redis, or in this process while Redis fails."""

    def __init__(self, client: redis.Redis, probe_interval: float = PROBE_INTERVAL, key_prefix: str = "demo:gateway:"):
        self._client, self._key_prefix, self._probe_interval = client, key_prefix, probe_interval
        self._script = client.register_script(_FIXED_WINDOW)
        self._local: dict[tuple[int, int, int], int] = {}  # (key id, window seconds, window number) -> count
        self._lock = threading.Lock()
        self._down_since: float | None = None  # monotonic time Redis was found unavailable
        self._closed = threading.Event()

    @property
    def redis_available(self) -> bool:
        """False from the first connection error until Redis answers a ping again."""
        return self._down_since is None

    def hit(self, key: ApiKey, now: float) -> tuple[bool, int, int]:
        """Count one request; return ``(allowed, remaining, seconds until the window resets)``."""
        window = int(now // key.window_seconds)
        count = None
        if self._down_since is None:
            try:
                redis_key = f"{self._key_prefix}ratelimit:{key.id}:{window}"
                count = self._script(keys=[redis_key], args=[key.window_seconds + 1])
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                self._went_down(exc)
        if count is None:
            count = self._count_here(key, window)
        reset = max(1, math.ceil((window + 1) * key.window_seconds - now))
        return count <= key.limit, max(key.limit - count, 0), reset

    def _count_here(self, key: ApiKey, window: int) -> int:
        with self._lock:
            slot = (key.id, key.window_seconds, window)
            count = self._local[slot] = self._local.get(slot, 0) + 1
            if count == 1:  # a window began: forget the ones that ended
                current = time.time()
                for old in [s for s in self._local if (s[2] + 1) * s[1] <= current]:
                    del self._local[old]
            return count

    def _went_down(self, exc: Exception) -> None:
        with self._lock:
            if self._down_since is not None or self._closed.is_set():
                return
            self._down_since = time.monotonic()
        what = f"{type(exc).__name__}: {exc}"
        log.warning("Redis unavailable (%s): counting rate limits in this process until it answers again", what)
        threading.Thread(target=self._probe, name="rate-limit-probe", daemon=True).start()

    def recheck(self) -> bool:
        """Ping Redis now if it was unavailable; True when it answers (and counting moves back to Redis)."""
        if self._down_since is None:
            return True
        try:
            self._client.ping()
        except redis.RedisError:
            return False
        with self._lock:
            if self._down_since is None:
                return True
            down_for, self._down_since = time.monotonic() - self._down_since, None
            self._local.clear()
        log.warning("Redis answers again after %.1f s: counting rate limits in Redis", down_for)
        return True

    def _probe(self) -> None:
        while not self._closed.wait(self._probe_interval) and not self.recheck():
            pass

    def close(self) -> None:
        """Stop pinging Redis (if it was unavailable)."""
        self._closed.set()
