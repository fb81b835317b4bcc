*** Settings ***
Documentation       Day 3: the demo through Postgres faults (seed 001's database recovery within
...                 ${DATABASE_RECOVERY_TARGET}, seed 000's connection failures with reconnection): an abrupt
...                 stop of the server, latency and connection resets between the demo and Postgres. The suite
...                 runs on a private stack, so suites beside it are not hit.
Resource            ../../resources/faults.resource
Suite Setup         The Demo Runs On A Private Stack With A Suite Key
Suite Teardown      The Suite Key Is Deleted
Test Teardown       Remove What This Test Wrote
Test Tags           day3    checkpoint7    postgres    faults    critical


*** Test Cases ***
The Demo's Pool Recovers From An Abrupt Postgres Stop Within The Target
    ${universe} =    A Test Universe Is Stored Through The API    SPY    QQQ
    Start Probe    http    /v1/universes/${universe}    name=read    headers=${AUTH}
    Restart Service    postgres    mode=immediate    down_for=2 s
    Get Time To Recover    read    <=    ${DATABASE_RECOVERY_TARGET}    timeout=${RECOVERY_TIMEOUT}
    Stop Probe    read
    Disconnect From All Databases
    Connect To The Demo API
    The Demo API Pool Recovered Without Leaks

Postgres Latency Makes The UI Query Target Missed And The API Slower
    ${universe} =    A Test Universe Is Stored Through The API    SPY    QQQ
    ${before} =    The API P95 For Reads Under Two Users    ${universe}
    ${through} =    Get Proxy Url    postgres
    Connect To Postgres    ${through}
    Add Latency    postgres    ${POSTGRES_LATENCY}
    Run Keyword And Expect Error    Query too slow: p95 *
    ...    Get Query Latency    SELECT get_etf_universe(%s)    p95    <    ${UI_QUERY_TARGET}
    ...    parameters=${{ [$universe] }}    runs=5    warmup=1
    ${after} =    The API P95 For Reads Under Two Users    ${universe}
    Should Be True    ${after} >= ${before} + 200
    ...    msg=the API's p95 went from ${before} ms to ${after} ms with ${POSTGRES_LATENCY} on Postgres
    [Teardown]    Disconnect From Postgres And Remove What This Test Wrote

Writes Cut By Connection Resets Are Refused And Never Doubled
    Add Toxic    postgres    reset_peer    stream=upstream    timeout=0    toxicity=0.5
    ${statuses} =    Universes Are Written During The Fault    20
    Remove Toxic    postgres    reset_peer_upstream
    Each Answered Write Is Stored And Announced Once And Each Refused One Not At All    ${statuses}

The Demo's Memory Stays Flat Through The Postgres Faults
    The Demo's Memory Stayed Flat Through The Faults


*** Keywords ***
Disconnect From Postgres And Remove What This Test Wrote
    [Documentation]    Teardown of the latency test: the Postgres library back on the database under test.
    Disconnect From Postgres
    Connect To Postgres
    Remove What This Test Wrote
