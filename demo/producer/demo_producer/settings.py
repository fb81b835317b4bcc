"""The producer's configuration keys (prefix ``PRODUCER_``; see demo/README.md)."""

from demo_shared.config import Key
from demo_shared.contracts import CHANNELS
from demo_shared.faults import owned_by

KEYS = [
    Key("redis_url", "url", "redis://127.0.0.1:6379/0", help="Redis to publish on (a password in it is masked)"),
    Key("publishes", "list", CHANNELS[1:], help="the channels this repository publishes on", choices=tuple(CHANNELS)),
    Key("debug", "bool", False, help="log at DEBUG level"),
    Key("faults", "list", [], help="faults to switch on (tests only)", choices=owned_by("producer")),
]
