"""Message contracts shared by the repositories: seed 001's channels, their JSON Schemas, publishing
(see demo/README.md, "Messages")."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jsonschema
import redis

SCHEMAS_DIR = Path(__file__).with_name("schemas")  # <channel>.json, JSON Schema 2020-12
CHANNELS = [
    "tickstock.universe.updated",
    "tickstock.cache.sync_complete",
    "tickstock.etf.correlation_update",
    "tickstock.cache.ipo_assignment",
    "tickstock.cache.delisting_cleanup",
]
CONSUMER_GROUP = "tickstock-app"
STREAM_MAXLEN = 100_000  # streams are trimmed (approximately) to this many entries
SEQ_KEY = "demo:seq:{channel}"

_PUBLISH = """
local seq = redis.call('INCR', KEYS[1])
local message = string.gsub(ARGV[2], '"__SEQ__"', tostring(seq), 1)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'payload', message)
redis.call('PUBLISH', ARGV[1], message)
return {seq, message}
"""


def stream_name(channel: str) -> str:
    return f"stream:{channel}"


def validators() -> dict[str, jsonschema.Draft202012Validator]:
    """A validator per channel, from ``schemas/<channel>.json``."""
    validator, checker = jsonschema.Draft202012Validator, jsonschema.Draft202012Validator.FORMAT_CHECKER
    schemas = {channel: json.loads((SCHEMAS_DIR / f"{channel}.json").read_bytes()) for channel in CHANNELS}
    return {channel: validator(schema, format_checker=checker) for channel, schema in schemas.items()}


def problems(validator: jsonschema.Draft202012Validator, message: object) -> str | None:
    """What is wrong with ``message``, one clause per error (``count: 'two' is not of type ...``), or None."""
    errors = sorted(validator.iter_errors(message), key=lambda e: list(e.path))
    return "; ".join(f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}" for e in errors) or None


class Publisher:
    """Numbers, timestamps and publishes messages on the channels this publisher claims."""

    def __init__(self, client: redis.Redis, source: str, channels: list[str] | None = None):
        self.client, self.source = client, source
        self.channels = CHANNELS if channels is None else channels
        self._script = client.register_script(_PUBLISH)

    def publish(self, channel: str, fields: dict) -> dict:
        """Publish ``fields`` plus ``seq``, ``sent_at`` and ``source``; return the message."""
        if channel not in self.channels:
            raise ValueError(
                f"{self.source} does not publish on {channel!r}; it publishes on: {', '.join(self.channels)}"
            )
        body = {"seq": "__SEQ__", "sent_at": time.time(), "source": self.source}
        body.update({k: v for k, v in fields.items() if k not in body})
        template = json.dumps(body, separators=(",", ":"))
        seq, message = self._script(
            keys=[SEQ_KEY.format(channel=channel), stream_name(channel)], args=[channel, template, STREAM_MAXLEN]
        )
        return json.loads(message)
