*** Settings ***
Documentation       Day 2 (seed 004), API keys with connection pooling: a key created with the command is
...                 accepted, the pool metrics move with a burst of requests and return to idle, and no
...                 database connection leaks.
Resource            ../../resources/demo_api.resource
Resource            ../../resources/metrics.resource
Variables           ../../variables/targets.py
Suite Setup         Run Keywords    Connect To The Demo API    AND    The Demo Metrics Are Scraped
...                 AND    The Served API Document Is Loaded
Suite Teardown      Disconnect From The Demo API
Test Teardown       Delete The API Keys Of This Test
Test Tags           checkpoint5    day2    api    metrics    postgres


*** Variables ***
${BURST}        40


*** Test Cases ***
An API Key Created With The Command Is Accepted By The API
    ${key} =    Create An API Key With Rate Limit    60/minute
    Open A Demo API Session With Key    ${key}
    The Key Should Be Accepted By The Universe Endpoint
    A Request Without A Key Should Be Refused

The Pool Reports Its Connections As Metrics
    The Pool Metrics Should Be Exposed
    Get Metric Value    demo_db_pool_idle    >=    0

A Burst Of Keyed Requests Is Counted And The Pool Returns To Idle
    ${key} =    Create An API Key With Rate Limit    1000/minute
    ${before} =    Take A Metrics Snapshot
    VAR    &{auth} =    X-API-Key=${key}
    VAR    &{body} =    vector=${{[0.1] * 8}}    top_k=${3}
    A Burst Of Requests Should All Get    200    POST    /v1/search    ${BURST}    headers=${auth}    json=${body}
    The Requests Counter Should Have Grown By    ${BURST}    ${before}    /v1/search
    The Pool Should Return To Idle

No Database Connection Leaks After The Burst
    ${key} =    Create An API Key With Rate Limit    1000/minute
    VAR    &{auth} =    X-API-Key=${key}
    A Burst Of Requests Should All Get    404    GET    /v1/universes/TEST_no_such_universe    ${BURST}
    ...    headers=${auth}
    The Pool Should Return To Idle
    ${open} =    Count Demo API Database Connections
    ${limit} =    Evaluate    ${DATABASE_INTEGRATION_POOL_SIZE} + ${DATABASE_INTEGRATION_POOL_MAX_OVERFLOW}
    Should Be True    ${open} <= ${limit}
    ...    msg=The API holds ${open} database connections after the burst, more than pool size + overflow (${limit})
