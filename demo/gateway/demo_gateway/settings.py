"""The gateway's configuration keys (prefix ``GATEWAY_``; see demo/README.md)."""

from demo_shared.config import Key
from demo_shared.faults import owned_by

KEYS = [
    Key("host", "str", "127.0.0.1", help="address to listen on"),
    Key("port", "int", 8000, help="port to listen on"),
    Key("redis_url", "url", "redis://127.0.0.1:6379/0", help="Redis for rate limits and announcements"),
    Key("postgres_url", "url", help="Postgres (password masked)"),
    Key("db_schema", "str", "public", help="the schema its tables are in (the connections' search_path)"),
    Key("redis_key_prefix", "str", "demo:gateway:", help="prefix of the Redis keys it writes (rate-limit counters)"),
    Key("publishes", "list", ["tickstock.universe.updated"], help="the channels it publishes on"),
    Key("pool_size", "int", 20, help="Postgres connections its pool keeps"),
    Key("pool_overflow", "int", 10, help="extra connections it may open under load (closed on return)"),
    Key("pool_timeout", "float", 30.0, help="seconds a request waits for a connection before 503"),
    Key("db_query_timeout", "float", 5.0, help="seconds a pooled connection may take to answer before 503"),
    Key("key_pepper", "str", "", secret=True, help="secret mixed into API key hashes (HMAC-SHA-256); empty: SHA-256"),
    Key("debug", "bool", False, help="log at DEBUG level"),
    Key("faults", "list", [], help="faults to switch on (tests only)", choices=owned_by("gateway")),
]
