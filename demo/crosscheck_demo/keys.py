"""API keys (seed 004): created by ``crosscheck-demo create-key``, stored as SHA-256,
limited per key in Redis with a fixed window that is exact under concurrency."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from dataclasses import dataclass

import psycopg2
import redis

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


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(conn, rate: str = "60/minute", name: str = "default") -> tuple[str, ApiKey]:
    """Store a new key (hashed) and return ``(key, record)``; the key is shown only here."""
    limit, window = parse_rate(rate)
    key = KEY_PREFIX + secrets.token_hex(20)
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO api_keys (name, key_prefix, key_hash, rate_limit, window_seconds)"
            " VALUES (%s, %s, %s, %s, %s) RETURNING id",
            (name, key[:12], hash_key(key), limit, window),
        )
        key_id = cur.fetchone()[0]
    conn.commit()
    return key, ApiKey(key_id, name, key[:12], limit, window)


def revoke_key(conn, key_prefix: str) -> int:
    """Revoke the keys starting with ``key_prefix``; return how many."""
    with conn.cursor() as cur:
        cur.execute(
            "UPDATE api_keys SET revoked_at = now() WHERE key_prefix = %s AND revoked_at IS NULL", (key_prefix[:12],)
        )
        count = cur.rowcount
    conn.commit()
    return count


def lookup(conn, key: str) -> ApiKey | None:
    """The active key record for ``key``, or None."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT id, name, key_prefix, rate_limit, window_seconds FROM api_keys"
            " WHERE key_hash = %s AND revoked_at IS NULL",
            (hash_key(key),),
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
    """Fixed window per key: at most ``limit`` requests per ``window_seconds``."""

    def __init__(self, client: redis.Redis):
        self._script = client.register_script(_FIXED_WINDOW)

    def hit(self, key: ApiKey, now: float) -> tuple[bool, int, int]:
        """Count one request; return ``(allowed, remaining, seconds until the window resets)``."""
        window = int(now // key.window_seconds)
        count = self._script(keys=[f"demo:ratelimit:{key.id}:{window}"], args=[key.window_seconds + 1])
        reset = max(1, math.ceil((window + 1) * key.window_seconds - now))
        return count <= key.limit, max(key.limit - count, 0), reset


def connect(postgres_url: str):
    return psycopg2.connect(postgres_url, application_name="crosscheck-demo-cli", connect_timeout=5)
