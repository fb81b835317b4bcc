"""Publishing: every message goes to its pub-sub channel and to ``stream:<channel>``.

One Lua script numbers the message (``INCR demo:seq:<channel>``), publishes it and
appends it to the stream, atomically, so the order on the channel is the order of
``seq`` even with several publishers (the API and ``crosscheck-demo produce``).
"""

from __future__ import annotations

import json
import time

import redis

STREAM_MAXLEN = 100_000  # streams are trimmed (approximately) to this many entries
SEQ_KEY = "demo:seq:{channel}"

_PUBLISH = """
local seq = redis.call('INCR', KEYS[1])
local message = string.gsub(ARGV[2], '"__SEQ__"', tostring(seq), 1)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'payload', message)
redis.call('PUBLISH', ARGV[1], message)
return {seq, message}
"""


class Publisher:
    """Numbers, timestamps and publishes messages on seed 001's channels."""

    def __init__(self, client: redis.Redis, source: str):
        self.client = client
        self.source = source
        self._script = client.register_script(_PUBLISH)

    def publish(self, channel: str, fields: dict) -> dict:
        """Publish ``fields`` plus ``seq``, ``sent_at`` and ``source``; return the message."""
        body = {"seq": "__SEQ__", "sent_at": time.time(), "source": self.source}
        body.update({k: v for k, v in fields.items() if k not in body})
        template = json.dumps(body, separators=(",", ":"))
        seq, message = self._script(
            keys=[SEQ_KEY.format(channel=channel), f"stream:{channel}"],
            args=[channel, template, STREAM_MAXLEN],
        )
        return json.loads(message)
