*** Settings ***
Documentation       Day 1, Postgres alone: seed 001's query targets (UI 50 ms, general 500 ms, ETF operations
...                 2 s) at the 95th percentile, index use, and ten concurrent sessions. A slow query logs
...                 its EXPLAIN (ANALYZE, BUFFERS) and says whether an index was used.
Resource            ../../resources/postgres.resource
Test Tags           checkpoint8    day1    postgres


*** Test Cases ***
Universe Lookup Meets The UI Query Target
    Get Query Latency    SELECT get_etf_universe('TEST_missing_universe')    p95    <    ${UI_QUERY_TARGET}

Universe Summary Meets The General Query Target
    Get Query Latency    SELECT * FROM get_etf_universes_summary()    p95    <    ${GENERAL_QUERY_TARGET}

Symbol Validation Meets The ETF Validation Target
    Get Query Latency    SELECT * FROM validate_etf_universe_symbols('["SPY", "QQQ", "TEST_NOPE"]'::jsonb)
    ...    p95    <    ${ETF_VALIDATION_TARGET}    runs=20

Category Lookups Can Use The Category Index
    Query Should Use Index    SELECT name FROM cache_entries WHERE universe_category = 'etf'
    ...    idx_cache_entries_category    force_index=${TRUE}

Newest Universes Come From The Update Index
    Query Should Use Index    SELECT name FROM cache_entries ORDER BY last_universe_update DESC LIMIT 10
    ...    idx_cache_entries_updated    force_index=${TRUE}

Ten Sessions Query The Universes At Once
    ${result} =    Run Concurrent Sessions    SELECT * FROM get_etf_universes_summary()
    ...    sessions=${CONCURRENT_OPERATIONS_TARGET}
    Should Be Equal As Integers    ${result}[succeeded]    ${CONCURRENT_OPERATIONS_TARGET}

No Demo Session Is Left Idle In A Transaction
    No Connection Should Be Idle In Transaction    ${DEMO_APPLICATIONS}    longer_than=5 s
