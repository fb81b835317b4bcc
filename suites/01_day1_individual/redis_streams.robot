*** Settings ***
Documentation       Day 1: Redis Streams and consumer groups (seed 001's offline consumer support).
...                 Streams live under this test's namespace and are deleted when it ends.
Resource            ../../resources/messaging.resource
Test Tags           day1    redis    checkpoint4


*** Test Cases ***
A Consumer Group Reads And Acknowledges Every Entry
    ${stream}=    Test Key    stream:tickstock.universe.updated
    Create Consumer Group    ${stream}    tickstock-app    start=0
    Add Stream Entries    ${stream}    50
    ${entries}=    Read As Consumer    ${stream}    tickstock-app    worker-1    count=50
    Length Should Be    ${entries}    50
    Get Pending Count    ${stream}    tickstock-app    ==    50
    Acknowledge Entries    ${stream}    tickstock-app    @{entries}
    Get Pending Count    ${stream}    tickstock-app    ==    0

An Offline Consumer Catches Up On Everything It Missed
    ${stream}=    Test Key    stream:tickstock.cache.sync_complete
    Create Consumer Group    ${stream}    tickstock-app
    Add Stream Entries    ${stream}    10
    Read As Consumer    ${stream}    tickstock-app    worker-1    count=5
    Add Stream Entries    ${stream}    200
    ${entries}=    Catch Up As Consumer    ${stream}    tickstock-app    worker-1
    Length Should Be    ${entries}    210
    Get Pending Count    ${stream}    tickstock-app    ==    0
    Get Stream Loss    ${stream}    tickstock-app    ==    0

Entries Of A Crashed Consumer Are Claimed By Another
    ${stream}=    Test Key    stream:tickstock.cache.ipo_assignment
    Create Consumer Group    ${stream}    tickstock-app    start=0
    Add Stream Entries    ${stream}    5
    Read As Consumer    ${stream}    tickstock-app    crashed-worker
    Sleep    300 ms    reason=let the entries go stale
    ${claimed}=    Claim Stale Entries    ${stream}    tickstock-app    worker-2    min_idle=200 ms
    Length Should Be    ${claimed}    5
    Get Pending Count    ${stream}    tickstock-app    ==    5    consumer=worker-2

Entries Trimmed Before They Were Read Are Reported As Loss
    ${stream}=    Test Key    stream:tickstock.cache.delisting_cleanup
    Create Consumer Group    ${stream}    tickstock-app
    Add Stream Entries    ${stream}    500    maxlen=100
    ${entries}=    Catch Up As Consumer    ${stream}    tickstock-app    late-worker
    Length Should Be    ${entries}    100
    Get Stream Loss    ${stream}    tickstock-app    ==    400
    Run Keyword And Expect Error    *lost to trimming*'400' (int) should be '0' (int)
    ...    Get Stream Loss    ${stream}    tickstock-app    ==    0
