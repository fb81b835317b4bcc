*** Settings ***
Documentation       Connection pool of the demo API (seed 002: size 20, overflow 10, timeout 30 s), seen from
...                 both sides: the API's /metrics gauges and the server's pg_stat_activity. Filling the pool
...                 locks cache_entries for a few seconds, so this runs only against a test database.
Resource            ../../resources/postgres.resource
Resource            ../../resources/safety.resource
Suite Setup         Destructive Suite Needs A Test Database
Test Tags           checkpoint7    day1    postgres    api


*** Variables ***
${POOL_LIMIT}       ${{ ${DATABASE_INTEGRATION_POOL_SIZE} + ${DATABASE_INTEGRATION_POOL_MAX_OVERFLOW} }}


*** Test Cases ***
API Connections Stay Within The Pool Limit
    Get Connection Count    ${DEMO_API_APPLICATION}    <=    ${POOL_LIMIT}
    ${in_use} =    Get Metric Value    demo_db_pool_in_use
    Should Be True    ${in_use} <= ${POOL_LIMIT}

Pool Exhausts At Size Plus Overflow And Recovers Without Leaks
    ${key} =    Create Demo API Key
    Fill The Demo API Pool    ${key}    requests=${{ ${POOL_LIMIT} + 5 }}
    Demo API Pool Should Be Exhausted At    ${POOL_LIMIT}
    Every Queued Request Should Be Answered
    Demo API Pool Should Be Idle
    No Connection Should Be Idle In Transaction    ${DEMO_APPLICATIONS}    longer_than=1 s
