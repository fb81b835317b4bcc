*** Settings ***
Documentation       Day 3: the demo through Redis faults between it and Redis (seed 001's Redis recovery
...                 within ${REDIS_RECOVERY_TARGET}, seed 000's error isolation). The faults are put on the
...                 proxy the stack routes the demo's Redis connections through; the suite's own connections
...                 stay direct. The suite runs on a private stack, so suites beside it are not hit.
Resource            ../../resources/faults.resource
Suite Setup         The Demo Runs On A Private Stack With A Suite Key
Suite Teardown      The Suite Key Is Deleted
Test Teardown       Remove What This Test Wrote
Test Tags           day3    checkpoint7    redis    faults    critical


*** Test Cases ***
Requests That Need Only Postgres Are Answered While Redis Is Down
    ${universe} =    A Test Universe Is Stored Through The API    SPY    QQQ
    Cut Service    redis
    The Answers Of The Endpoints That Need Only Postgres    ${universe}
    A Write That Needs Redis Is Refused With 503    ${universe}
    Restore Service    redis

The Demo Recovers From A Redis Outage Within The Target
    Start Probe    http    /health
    Cut Service    redis    duration=${REDIS_OUTAGE}
    Get Time To Recover    http    <=    ${REDIS_RECOVERY_TARGET}    timeout=${RECOVERY_TIMEOUT}

The Consumer Reconnects, Loses The Gap's Pub-Sub Messages And Catches Up From The Stream
    Cut Service    redis
    ${gap} =    Demo Producer Publishes    tickstock.cache.sync_complete    20
    Sleep    ${REDIS_OUTAGE}    reason=the outage lasts ${REDIS_OUTAGE}
    Restore Service    redis
    Wait For Recovery    The Demo Consumer Receives A New Message
    ...    within=${REDIS_RECOVERY_TARGET}    timeout=${RECOVERY_TIMEOUT}
    Messages Of The Gap Came Only From The Stream    tickstock.cache.sync_complete    ${gap}

A Redis Fault Does Not Change The Answers Of Endpoints That Do Not Use It
    ${universe} =    A Test Universe Is Stored Through The API    IWM    DIA
    ${before} =    The Answers Of The Endpoints That Need Only Postgres    ${universe}
    Add Toxic    redis    reset_peer    stream=upstream    timeout=0
    ${during} =    The Answers Of The Endpoints That Need Only Postgres    ${universe}
    Lists Should Be Equal    ${before}    ${during}
    ...    msg=a Redis fault changed the answers of endpoints that use only Postgres

The Demo's Memory Stays Flat Through The Redis Faults
    The Demo's Memory Stayed Flat Through The Faults
