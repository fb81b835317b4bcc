"""Seed 001's Redis channel registry and naming convention."""

REDIS_CHANNELS = {
    "universe_updated": "tickstock.universe.updated",
    "cache_sync_complete": "tickstock.cache.sync_complete",
    "etf_correlation_update": "tickstock.etf.correlation_update",
    "ipo_assignment": "tickstock.cache.ipo_assignment",
    "delisting_cleanup": "tickstock.cache.delisting_cleanup",
}
ALL_CHANNELS = list(REDIS_CHANNELS.values())
CHANNEL_NAMING_PATTERN = r"^tickstock\.[a-z_]+\.[a-z_]+$"
REQUIRED_CHANNELS = [
    "tickstock.universe.updated",
    "tickstock.cache.sync_complete",
    "tickstock.etf.correlation_update",
]
# seed 001's Redis databases: resilience, message flows, primary integration
REDIS_DB_MAIN = 13
REDIS_DB_FLOWS = 14
REDIS_DB_INTEGRATION = 15
# seed 001's schema requirements
REQUIRED_SCHEMA_COLUMNS = ["universe_category", "liquidity_filter", "universe_metadata", "last_universe_update"]
REQUIRED_DATABASE_FUNCTIONS = [
    "get_etf_universe",
    "update_etf_universe",
    "get_etf_universes_summary",
    "validate_etf_universe_symbols",
]
TEST_DATA_PREFIX = "TEST_"
