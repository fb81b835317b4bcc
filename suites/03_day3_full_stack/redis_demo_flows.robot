*** Settings ***
Documentation       Day 3: the demo's producer, API and consumer talk only through Redis (seed 001's
...                 loose coupling). Messages name a ``TEST_<namespace>`` universe; what the consumer
...                 stored for them is deleted after each test. The last test reads what the demo logged
...                 meanwhile: no traceback, no ERROR line (seed 004).
Resource            ../../resources/messaging.resource
Resource            ../../resources/demo_api.resource
Resource            ../../resources/contracts.resource
Resource            ../../resources/postgres.resource
Library             crosscheck.Verdict
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
    # expected is what the test asked for, not what the producer reports it sent
    Start Listening    tickstock.cache.sync_complete
    ${summary}=    Demo Producer Publishes    tickstock.cache.sync_complete    200    rate=200/s
    Get Received Count    >=    200    channel=tickstock.cache.sync_complete
    Delivery Meets Seed Targets    tickstock.cache.sync_complete    expected=200
    Should Be Equal As Integers    ${summary}[count]    200
    ...    The demo producer reports ${summary}[count] messages sent on tickstock.cache.sync_complete, 200 asked

Producer Messages Follow Their Channel Contracts
    [Tags]    checkpoint3
    Seed Contracts Are Loaded
    Start Listening    tickstock.etf.correlation_update
    Demo Producer Publishes    tickstock.etf.correlation_update    20
    Get Received Count    >=    20    channel=tickstock.etf.correlation_update
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

A Message From The Demo Producer Becomes The Row The Consumer Writes
    [Tags]    checkpoint4    postgres
    Start Listening    tickstock.universe.updated
    Demo Producer Publishes    tickstock.universe.updated    1
    ${message}=    Wait For Message    tickstock.universe.updated    field=universe    value=TEST_${MESSAGE_NS}
    ...    timeout=${REDIS_NOTIFICATION_TARGET}
    Universe Row Should Match The Message    ${message}[payload]

An Update Through The API Becomes The Row And The Message On Its Channel
    [Tags]    checkpoint4    postgres
    Start Listening    tickstock.universe.updated
    ${universe}=    A Test Universe Is Updated Through The API    XLF    XLK    XLE
    ${message}=    Wait For Message    tickstock.universe.updated    field=universe    value=${universe}
    ...    timeout=${REDIS_NOTIFICATION_TARGET}
    VAR    @{symbols}=    XLF    XLK    XLE
    VAR    &{sent}=    universe=${universe}    symbols=${symbols}    count=${3}    category=etf
    Message Should Carry    ${message}[payload]    ${sent}
    Universe Row Should Match The Message    ${message}[payload]

The Demo Consumer Catches Up After Being Offline And Loses Only What Trimming Removed
    [Tags]    checkpoint4    checkpoint7
    The Demo Consumer Is Reserved For This Test
    The Demo Consumer Is Taken Offline
    Demo Producer Publishes    tickstock.cache.sync_complete    20
    ${trimmed}=    Trim The Oldest Messages Of This Test From The Stream    tickstock.cache.sync_complete    5
    The Demo Consumer Is Brought Back
    The Demo Consumer Should Have Caught Up On    tickstock.cache.sync_complete    ${MESSAGE_NS}
    ...    published=20    trimmed=${trimmed}
    [Teardown]    Bring The Demo Consumer Back And Remove What The Demo Stored

The Demo Consumer Acknowledges Everything It Reads From The Stream
    [Tags]    checkpoint4
    Demo Producer Publishes    tickstock.universe.updated    10
    Wait Until Keyword Succeeds    10 s    0.2 s
    ...    Get Pending Count    stream:tickstock.universe.updated    tickstock-app    ==    0

The Demo Logged No Unhandled Exceptions During The Flows
    [Tags]    checkpoint7
    Logs Should Have No Unhandled Exceptions


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
    Call The Demo API    PUT    /v1/universes/${UNIVERSE}    json=${body}
    RETURN    ${UNIVERSE}

Message Should Carry
    [Documentation]    The message's payload holds each field of ``${fields}`` with the same value.
    [Arguments]    ${payload}    ${fields}
    VAR    @{differences}=    @{EMPTY}
    FOR    ${field}    ${value}    IN    &{fields}
        IF    $payload.get($field) != $value
            VAR    @{differences}=    @{differences}    ${field}: message ${{ $payload.get($field) }}, sent ${value}
        END
    END
    IF    $differences
        VAR    ${where}=    The message seq ${payload}[seq] on tickstock.universe.updated
        Fail    ${where} differs from the update: ${{ "; ".join($differences) }}
    END

Bring The Demo Consumer Back And Remove What The Demo Stored
    [Documentation]    Teardown of the offline test: the consumer is online again, also after a failure.
    TRY
        The Demo Consumer Is Brought Back
    FINALLY
        Release The Demo Consumer
    END
    Remove What The Demo Stored For This Test

Remove What The Demo Stored For This Test
    [Documentation]    Deletes the API keys, logged messages and universe rows this test caused.
    Delete The API Keys Of This Test
    Remove The Test Messages From The Demo Database
    ${ns}=    Get Variable Value    ${MESSAGE_NS}    ${None}
    IF    $ns is not None
        Execute Sql String    DELETE FROM consumer.message_log WHERE payload->>'test_ns' = %s    alias=demo
        ...    parameters=${{ ("${ns}",) }}
        Execute Sql String    DELETE FROM cache_entries WHERE name = %s    alias=demo
        ...    parameters=${{ ("TEST_${ns}",) }}
    END
    ${universe}=    Get Variable Value    ${UNIVERSE}    ${None}
    IF    $universe is not None
        Execute Sql String    DELETE FROM consumer.message_log WHERE payload->>'universe' = %s    alias=demo
        ...    parameters=${{ ("${universe}",) }}
        Execute Sql String    DELETE FROM cache_entries WHERE name = %s    alias=demo
        ...    parameters=${{ ("${universe}",) }}
    END
