*** Settings ***
Documentation       Day 3: pub-sub and streams through a Redis outage (seed 001's Redis resilience).
...                 ${REDIS_FAULT_MODE} is ``kill`` (our own connections are killed: safe beside other
...                 suites); ``--variable REDIS_FAULT_MODE:restart`` restarts the embedded server itself.
Resource            ../../resources/messaging.resource
Test Tags           day3    redis    checkpoint7


*** Variables ***
${REDIS_FAULT_MODE}     kill


*** Test Cases ***
Listeners Receive Again Within The Recovery Target
    ${channel}=    A Private Channel Is Listened To    tickstock.universe.updated
    Interrupt Redis    mode=${REDIS_FAULT_MODE}
    Get Recovery Time    <=    ${REDIS_RECOVERY_TARGET}
    Messages Are Published At A Steady Rate    ${channel}    100
    Get Received Count    ==    100    channel=${channel}

Pub-Sub Messages Sent During An Outage Are Reported Lost
    ${channel}=    A Private Channel Is Listened To    tickstock.cache.sync_complete
    Interrupt Redis    mode=kill    offline=1 s
    Sleep    200 ms    reason=the listener is now away
    Publish Messages    ${channel}    50
    Get Recovery Time    <=    ${REDIS_RECOVERY_TARGET}
    Get Lost Count    ==    50    channel=${channel}
    Run Keyword And Expect Error    Delivery on channel * missed its targets: success rate 0.0 % < 95 %*
    ...    Delivery Meets Seed Targets    ${channel}

Stream Entries Added During An Outage Are Not Lost
    ${stream}=    Test Key    stream:tickstock.universe.updated
    Create Consumer Group    ${stream}    tickstock-app
    A Private Channel Is Listened To    tickstock.universe.updated
    Interrupt Redis    mode=kill    offline=1 s
    Add Stream Entries    ${stream}    50
    Get Recovery Time    <=    ${REDIS_RECOVERY_TARGET}
    ${entries}=    Catch Up As Consumer    ${stream}    tickstock-app    worker-1
    Length Should Be    ${entries}    50
    Get Stream Loss    ${stream}    tickstock-app    ==    0
