*** Settings ***
Documentation       Day 1: Redis pub-sub on its own. Each test uses private copies of seed 001's
...                 channels, so suites run in parallel without seeing each other's traffic.
Resource            ../../resources/messaging.resource
Test Tags           day1    redis


*** Test Cases ***
Redis Answers On The Seed Databases
    [Tags]    checkpoint1
    Connect To Redis    db=${REDIS_DB_MAIN}    alias=resilience
    Connect To Redis    db=${REDIS_DB_FLOWS}    alias=flows
    ${db}=    Get Redis Database
    Should Be Equal As Integers    ${db}    ${REDIS_DB_FLOWS}

A Message Published Right After Subscribing Is Received
    [Tags]    checkpoint4
    ${channel}=    A Private Channel Is Listened To    tickstock.universe.updated
    Publish Message    ${channel}    {"universe": "TEST_first", "symbols": ["SPY"]}
    ${message}=    Wait For Message    ${channel}    field=universe    value=TEST_first    timeout=2 s
    Should Be Equal    ${message}[payload][symbols][0]    SPY

A Thousand Messages Arrive Within The Delivery Target
    [Tags]    checkpoint4    checkpoint8
    ${channel}=    A Private Channel Is Listened To    tickstock.universe.updated
    Messages Are Published At A Steady Rate    ${channel}    ${HIGH_VOLUME_MESSAGE_COUNT}
    Get Received Count    ==    ${HIGH_VOLUME_MESSAGE_COUNT}    channel=${channel}
    Get Success Rate    >=    ${MESSAGE_SUCCESS_RATE_TARGET}    channel=${channel}
    Get Delivery Latency    p95    <    ${MESSAGE_DELIVERY_TARGET}    channel=${channel}
    Delivery Meets Seed Targets    ${channel}

Messages Arrive In Order And Exactly Once
    [Tags]    checkpoint4
    ${channel}=    A Private Channel Is Listened To    tickstock.cache.sync_complete
    Messages Are Published At A Steady Rate    ${channel}    500    rate=2000/s
    Get Out Of Order Count    ==    0    channel=${channel}
    Get Duplicate Count    ==    0    channel=${channel}

A Matching Message Is Found By Field, Path Or Pattern
    [Tags]    checkpoint4
    ${channel}=    A Private Channel Is Listened To    tickstock.etf.correlation_update
    Publish Message    ${channel}    {"etf": "SPY", "correlations": {"QQQ": 0.91}}
    Publish Message    ${channel}    {"etf": "IWM", "correlations": {"QQQ": 0.74}}
    Wait For Message    ${channel}    field=etf    value=IWM
    Wait For Message    ${channel}    jsonpath=$.correlations.QQQ    value=0.91
    Run Keyword And Expect Error    No message on channel * matching etf == 'DIA' within 0.2 s; 2 arrived*
    ...    Wait For Message    ${channel}    field=etf    value=DIA    timeout=200 ms

Published Payloads Follow Their Channel Contracts
    [Tags]    checkpoint3
    Seed Contracts Are Loaded
    ${channel}=    A Private Channel Is Listened To    tickstock.universe.updated
    VAR    &{body}=    universe=TEST_growth    symbols=${{ ["SPY", "QQQ"] }}    count=${2}
    Publish Messages    ${channel}    20    body=${body}
    Get Received Count    ==    20    channel=${channel}
    Received Messages Should Match Schema    ${channel}

A Payload That Breaks Its Contract Is Reported
    [Tags]    checkpoint3
    Seed Contracts Are Loaded
    ${channel}=    A Private Channel Is Listened To    tickstock.universe.updated
    Publish Message    ${channel}    {"seq": 1, "sent_at": 1.0, "universe": "TEST_bad", "symbols": "SPY", "count": 1}
    ${message}=    Wait For Message    ${channel}
    Run Keyword And Expect Error    *does not match its contract*$.symbols*
    ...    Message Should Match Schema    ${message}

Seed Channel Names Follow The Naming Convention
    [Tags]    checkpoint3
    Channel Names Should Match Pattern    @{ALL_CHANNELS}    pattern=${CHANNEL_NAMING_PATTERN}
    Run Keyword And Expect Error    1 of 1 channel names do not match*
    ...    Channel Names Should Match Pattern    tickstock.universe-updated    pattern=${CHANNEL_NAMING_PATTERN}
