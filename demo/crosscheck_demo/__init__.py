"""crosscheck-demo: the reference system under test that crosscheck's suites exercise.

Seed 001's producer and consumer around Redis pub-sub, streams and Postgres; seed 002's
API gateway (universes, vector search, metrics); seed 004's API keys, bounded connection
pool and per-key rate limits. See demo/README.md.
"""

from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = DEMO_DIR / "migrations"
CONTRACTS_DIR = DEMO_DIR / "contracts"

CHANNELS = [
    "tickstock.universe.updated",
    "tickstock.cache.sync_complete",
    "tickstock.etf.correlation_update",
    "tickstock.cache.ipo_assignment",
    "tickstock.cache.delisting_cleanup",
]
CONSUMER_GROUP = "tickstock-app"


def stream_name(channel: str) -> str:
    """The Redis stream that keeps a copy of every message on ``channel``."""
    return f"stream:{channel}"
