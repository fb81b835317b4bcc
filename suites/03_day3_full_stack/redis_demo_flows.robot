*** Settings ***
Documentation       Day 3: the demo's producer, API and consumer talk only through Redis (seed 001's
...                 loose coupling). Messages name a ``TEST_<namespace>`` universe; what the consumer
...                 stored for them is deleted after each test.
Resource            ../../resources/messaging.resource
Resource            ../../resources/demo_api.resource
Resource            ../../resources/contracts.resource
Suite Setup         Connect To The Demo API
Suite Teardown      Disconnect From The Demo API
Test Teardown       Remove What The Demo Stored For This Test
Test Tags           day3    redis    api


*** Test Cases ***
The Demo Consumer Subscribes To Every Required Channel
    [Tags]    checkpoint5
    Channels Should Have Subscribers    @{REQUIRED_CHANNELS}

Producer Messages Reach A Subscriber Within The Delivery Target
    [Tags]    checkpoint4    checkpoint8
    Start Listening    tickstock.cache.sync_complete
    ${summary}=    Demo Producer Publishes    tickstock.cache.sync_complete    200    rate=200/s
    Get Received Count    >=    ${summary}[count]    channel=tickstock.cache.sync_complete
    Delivery Meets Seed Targets    tickstock.cache.sync_complete

Producer Messages Follow Their Channel Contracts
    [Tags]    checkpoint3
    Seed Contracts Are Loaded
    Start Listening    tickstock.etf.correlation_update
    ${summary}=    Demo Producer Publishes    tickstock.etf.correlation_update    20
    Get Received Count    >=    ${summary}[count]    channel=tickstock.etf.correlation_update
    Received Messages Should Match Schema    tickstock.etf.correlation_update
    Observed Channels Should Match Pattern    ${CHANNEL_NAMING_PATTERN}

A Universe Update Through The API Is Announced On Redis
    [Tags]    checkpoint4
    Seed Contracts Are Loaded
    Start Listening    tickstock.universe.updated
    ${universe}=    A Test Universe Is Updated Through The API    SPY    QQQ
    ${message}=    Wait For Message    tickstock.universe.updated    field=universe    value=${universe}
    ...    timeout=${REDIS_NOTIFICATION_TARGET}
    Message Should Match Schema    ${message}
    Should Be Equal As Integers    ${message}[payload][count]    2

The Demo Consumer Acknowledges Everything It Reads From The Stream
    [Tags]    checkpoint4
    Demo Producer Publishes    tickstock.universe.updated    10
    Wait Until Keyword Succeeds    10 s    0.2 s
    ...    Get Pending Count    stream:tickstock.universe.updated    tickstock-app    ==    0


*** Keywords ***
A Test Universe Is Updated Through The API
    [Documentation]    PUTs the universe ``TEST_<namespace>`` with ``symbols`` using a fresh API key;
    ...    returns its name.
    [Arguments]    @{symbols}
    ${key}=    Create An API Key With Rate Limit
    Open A Demo API Session With Key    ${key}
    ${ns}=    Get Test Namespace
    # the teardown (Remove What The Demo Stored For This Test) reads it
    VAR    ${UNIVERSE}=    TEST_${ns}    scope=TEST    # robocop: off=VAR06
    VAR    &{body}=    symbols=${symbols}    category=etf
    PUT On Session    demo    /v1/universes/${UNIVERSE}    json=${body}
    RETURN    ${UNIVERSE}

Remove What The Demo Stored For This Test
    [Documentation]    Deletes the API keys, logged messages and universe rows this test caused.
    Delete The API Keys Of This Test
    Remove The Test Messages From The Demo Database
    ${universe}=    Get Variable Value    ${UNIVERSE}    ${None}
    IF    $universe is not None
        Execute Sql String    DELETE FROM message_log WHERE payload->>'universe' = %s    alias=demo
        ...    parameters=${{ ("${universe}",) }}
        Execute Sql String    DELETE FROM cache_entries WHERE name = %s    alias=demo
        ...    parameters=${{ ("${universe}",) }}
    END
