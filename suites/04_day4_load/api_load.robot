*** Settings ***
Documentation       Day 4 (seed 004): the demo API under 10, 50 and 100 concurrent users (health, keyed
...                 universe reads and writes, searches), with the seeds' targets per stage: error rate
...                 below 0.1 %, p95 per endpoint, database connections within the pool (20 + 10), no
...                 memory leak and average CPU under the limit over the whole load, no unhandled exception
...                 in the system's logs.
...                 Each stage is held for ${LOAD_STAGE_HOLD} (``--variable LOAD_STAGE_HOLD:60s`` for a
...                 nightly run); figures, charts and resource use are in log.html.
Resource            ../../resources/load.resource
Suite Setup         The Demo API Is Put Under Staged Load
Suite Teardown      Remove What The Load Run Wrote
Test Tags           checkpoint8    day4    api    load


*** Test Cases ***
The Error Rate Stays Below The Go Threshold At Every Stage
    Every Stage Should Have An Error Rate Below    ${GO_MAX_ERROR_RATE_PERCENT}

Health Answers Within The Target At Every Stage
    Every Stage Should Answer Within    GET /health    ${LOAD_RESPONSE_TIME_TARGET}

Universe Reads Answer Within The Target At Every Stage
    Every Stage Should Answer Within    GET /v1/universes/{name}    ${LOAD_RESPONSE_TIME_TARGET}

Universe Writes Answer Within The Target At Every Stage
    Every Stage Should Answer Within    PUT /v1/universes/{name}    ${LOAD_RESPONSE_TIME_TARGET}

Searches Answer Within The Target At Every Stage
    Every Stage Should Answer Within    POST /v1/search    ${LOAD_RESPONSE_TIME_TARGET}

Database Connections Stay Within The Pool At Every Stage
    The API's Database Connections Should Stay Within The Pool

The API's Memory And CPU Stay Within The Limits At The Last Stage
    The API's Memory And CPU Should Stay Within The Limits

The API Does Not Leak Memory Under Load
    The API's Memory Should Not Leak Under The Load

The API's Average CPU Stays Below The Limit Under Load
    The API's Average CPU Should Stay Below The Limit

The System Under Test Logged No Unhandled Exceptions
    [Tags]    checkpoint7
    The System Under Test Should Have Logged No Unhandled Exceptions
