"""The seeds' performance and resilience targets, under the seeds' own names.

Times are Robot time strings (``100 ms``); counts are plain numbers; other units
are in the name (``_PERCENT``, ``_MB``). Override any of them on the command line:
``robot --variable MESSAGE_DELIVERY_TARGET:50ms suites/``.
"""

# --- seed 001: message delivery (Redis pub-sub) --------------------------------
MESSAGE_DELIVERY_TARGET = "100 ms"
MESSAGE_SUCCESS_RATE_TARGET_PERCENT = 95.0
MESSAGE_SUCCESS_RATE_TARGET = MESSAGE_SUCCESS_RATE_TARGET_PERCENT
HIGH_VOLUME_MESSAGE_COUNT = 1000
CONNECTION_RECOVERY_TARGET = "5 s"
REDIS_NOTIFICATION_TARGET = "5 s"

# --- seed 001: database ---------------------------------------------------------
UI_QUERY_TARGET = "50 ms"
GENERAL_QUERY_TARGET = "500 ms"
ETF_EXPANSION_TIME_TARGET = "2 s"
ETF_UNIVERSE_QUERY_TARGET = "2 s"
ETF_VALIDATION_TARGET = "2 s"
SCENARIO_GENERATION_TARGET = "120 s"
SCENARIO_LOADING_TARGET = "120 s"
CACHE_SYNC_WINDOW_TARGET = "30 min"

# --- seed 001: resilience -------------------------------------------------------
DATABASE_RECOVERY_TARGET = "10 s"
REDIS_RECOVERY_TARGET = "5 s"
MEMORY_INCREASE_LIMIT_MB = 100.0
CONCURRENT_OPERATIONS_TARGET = 10
AVERAGE_CPU_LIMIT_PERCENT = 80.0
SUCCESS_RATE_UNDER_CONSTRAINTS_PERCENT = 70.0
ERROR_ISOLATION_REQUIREMENT = True

# seed 001: regression tolerances (25 % over each target)
PERFORMANCE_REGRESSION_THRESHOLDS = {
    "etf_expansion_time": "2.5 s",
    "message_delivery_time": "125 ms",
    "database_query_time": "62.5 ms",
    "memory_increase_mb": 125.0,
}

# --- seed 002: cross-service integration ----------------------------------------
INTEGRATION_TEST_TIMEOUT = "300 s"
INTEGRATION_TEST_RETRIES = 3
INTEGRATION_TEST_CONCURRENT_REQUESTS = 10
EXTERNAL_API_TIMEOUT = "30 s"
EXTERNAL_API_RETRY_ATTEMPTS = 3
EXTERNAL_API_RATE_LIMIT = 100
DATABASE_INTEGRATION_POOL_SIZE = 20
DATABASE_INTEGRATION_POOL_MAX_OVERFLOW = 10
DATABASE_INTEGRATION_TIMEOUT = "30 s"
VECTOR_DB_INTEGRATION_TIMEOUT = "30 s"
VECTOR_DB_INTEGRATION_POOL_SIZE = 20
METRICS_INTEGRATION_TIMEOUT = "30 s"
# seed 002: the per-model schemas expected in the database
EXPECTED_MODEL_SCHEMAS = ["deepcoder", "deepseek", "hermes", "imp", "mimo", "mixtral", "openchat", "phi3", "yi34"]

# --- vector search (seed 002 names no figures: these are crosscheck's defaults) ---
VECTOR_RECALL_TARGET = 0.95
VECTOR_SEARCH_TARGET = UI_QUERY_TARGET
VECTOR_UPSERT_TARGET_PER_S = 100

# --- seed 003: code sandbox -----------------------------------------------------
RISK_THRESHOLD = 30
SANDBOX_TIMEOUT = "3 s"
SANDBOX_MEMORY_LIMIT_MB = 128
SANDBOX_MEMORY_BOMB_MB = 400
SANDBOX_OUTPUT_TEST_KB = 110
SANDBOX_CONCURRENT_RUNS = 10
SANDBOX_SEQUENTIAL_RUNS = 20
SANDBOX_COLD_START_TARGET = "3 s"
SANDBOX_WARM_EXECUTION_TARGET = "1 s"
SANDBOX_THROUGHPUT_BASELINE_PER_S = 1.07

# --- seed 004: API keys, pools, rate limits, load, Go/No-Go ---------------------
DATABASE_POOL_SIZE = 30
DATABASE_POOL_MAX_OVERFLOW = 10
LOAD_STAGES_USERS = [10, 50, 100]
GO_MAX_PERFORMANCE_DEGRADATION_PERCENT = 5.0
NO_GO_PERFORMANCE_DEGRADATION_PERCENT = 10.0
GO_MAX_ERROR_RATE_PERCENT = 0.1

# --- load stages (crosscheck.Load): short by default so a full run stays within minutes;
# a nightly run sets e.g. --variable LOAD_STAGE_HOLD:60s (README) --------------------------
LOAD_STAGE_HOLD = "3 s"
LOAD_RAMP = "25/s"
LOAD_THINK_TIME = "0.5 s"
# p95 of each endpoint at every stage: seed 001's general query target, as the API answers it
LOAD_RESPONSE_TIME_TARGET = GENERAL_QUERY_TARGET
