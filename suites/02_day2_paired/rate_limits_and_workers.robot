*** Settings ***
Documentation       Day 2 (seed 004), rate limiting with worker pools: a key's limit admits exactly the
...                 allowed number of concurrent requests, the rest get 429 with Retry-After and are counted,
...                 and the API workers' resource use stays bounded.
Resource            ../../resources/demo_api.resource
Resource            ../../resources/metrics.resource
Variables           ../../variables/targets.py
Suite Setup         Run Keywords    Connect To The Demo API    AND    The Demo Metrics Are Scraped
...                 AND    The Served API Document Is Loaded
Suite Teardown      Disconnect From The Demo API
Test Teardown       Delete The API Keys Of This Test
Test Tags           checkpoint8    day2    api    metrics


*** Variables ***
${LIMIT}            5
${REQUESTS}         8
${WORKER_RSS_LIMIT_MB}      1024


*** Test Cases ***
A Key Limited To Five Per Minute Admits Exactly Five Of Eight Concurrent Requests
    ${key} =    Create An API Key With Rate Limit    ${LIMIT}/minute
    ${before} =    Take A Metrics Snapshot
    VAR    &{auth} =    X-API-Key=${key}
    Rate Limit Should Allow Exactly    ${LIMIT}    GET    ${API}/v1/universes/TEST_rate_limited
    ...    ${REQUESTS}    headers=${auth}    document=demo
    ${rejected} =    Evaluate    ${REQUESTS} - ${LIMIT}
    The Rejections Counter Should Have Grown By    ${rejected}    ${before}

A Rejected Request Does Not Use Up Another Key's Limit
    ${limited} =    Create An API Key With Rate Limit    1/minute
    ${other} =    Create An API Key With Rate Limit    60/minute
    VAR    &{limited_auth} =    X-API-Key=${limited}
    Rate Limit Should Allow Exactly    1    GET    ${API}/v1/universes/TEST_rate_limited    3    headers=${limited_auth}
    ...    document=demo
    Open A Demo API Session With Key    ${other}
    The Key Should Be Accepted By The Universe Endpoint

The API Workers Stay Within Their Resource Limits Under Concurrent Requests
    ${key} =    Create An API Key With Rate Limit    1000/minute
    VAR    &{auth} =    X-API-Key=${key}
    Send Concurrent Requests    GET    ${API}/health    50    document=demo
    A Burst Of Requests Should All Get    404    GET    /v1/universes/TEST_worker_load    50    headers=${auth}
    Get Process Usage    ${API}    processes    >=    1
    Get Process Usage    ${API}    rss_mb    <    ${WORKER_RSS_LIMIT_MB}
    Get Process Usage    ${API}    cpu_percent    <    ${AVERAGE_CPU_LIMIT_PERCENT}    duration=1 s
    The Pool Should Return To Idle
