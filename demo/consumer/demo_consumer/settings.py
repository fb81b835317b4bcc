"""The consumer's configuration keys (prefix ``CONSUMER_``; see demo/README.md)."""

from demo_shared.config import Key
from demo_shared.faults import owned_by

KEYS = [
    Key("redis_url", "url", "redis://127.0.0.1:6379/0", help="Redis to read the channels and streams from"),
    Key("postgres_url", "url", help="Postgres to record and apply messages in (password masked)"),
    Key("db_schema", "str", "consumer", help="the schema of its table message_log (search_path: it, then public)"),
    Key("name", "str", "demo-consumer", help="its name in consumer group tickstock-app"),
    Key("redis_key_prefix", "str", "demo:consumer:", help="prefix of the Redis keys it writes (switch, state)"),
    Key("health_port", "int", 8101, help="port of its GET /health on 127.0.0.1"),
    Key("debug", "bool", False, help="log at DEBUG level"),
    Key("faults", "list", [], help="faults to switch on (tests only)", choices=owned_by("consumer")),
]
