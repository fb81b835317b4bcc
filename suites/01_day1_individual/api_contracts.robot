*** Settings ***
Documentation       Checkpoint 3, API contracts: the demo API answers as its OpenAPI document says, survives a
...                 bounded property-based sweep, and the served document is compatible with the previous
...                 release's document kept in resources/api/.
Resource            ../../resources/demo_api.resource
Resource            ../../resources/contracts.resource
Suite Setup         Run Keywords    Connect To The Demo API    AND    The Demo API Document Is Loaded
Suite Teardown      Disconnect From The Demo API
Test Teardown       Run Keywords    Delete The API Keys Of This Test    AND    Remove The Test Universe
Test Tags           checkpoint3    day1    api    critical


*** Test Cases ***
The Demo API Serves An OpenAPI Document With Every Route
    Get OpenAPI Operations    demo    contains    GET /health
    Get OpenAPI Operations    demo    contains    GET /v1/universes/{name}
    Get OpenAPI Operations    demo    contains    PUT /v1/universes/{name}
    Get OpenAPI Operations    demo    contains    POST /v1/search

Health Answers As Documented
    ${response} =    GET    ${API}/health
    The Response Should Follow The API Contract    ${response}

A Request Without An API Key Is Refused As Documented
    ${response} =    A Request Without A Key Should Be Refused
    The Response Should Follow The API Contract    ${response}

An Unknown Universe Answers Not Found As Documented
    ${key} =    Create An API Key With Rate Limit    60/minute
    Open A Demo API Session With Key    ${key}
    ${response} =    The Key Should Be Accepted By The Universe Endpoint
    The Response Should Follow The API Contract    ${response}

Document Search Answers As Documented
    [Tags]    postgres
    ${key} =    Create An API Key With Rate Limit    60/minute
    Open A Demo API Session With Key    ${key}
    ${response} =    Search The Documents    top_k=3
    The Response Should Follow The API Contract    ${response}

A Universe Written And Read Through The API Answers As Documented
    [Documentation]    Success answers too: the PUT and the GET of a test universe follow the document.
    [Tags]    postgres    redis
    ${key} =    Create An API Key With Rate Limit    60/minute
    Open A Demo API Session With Key    ${key}
    ${name} =    A Test Universe Is Written Through The API    SPY    QQQ
    ${response} =    Call The Demo API    GET    /v1/universes/${name}
    Should Be Equal    ${response.json()}[symbols]    ${{ ["SPY", "QQQ"] }}
    ...    GET /v1/universes/${name} answered symbols ${response.json()}[symbols], expected the ones written

Every Operation Survives A Bounded Property-Based Sweep
    [Documentation]    Generated valid and invalid requests: no 5xx, invalid data rejected with a 4xx.
    ...    Writing operations get invalid requests only, so the sweep leaves no data behind.
    ${key} =    Create An API Key With Rate Limit    1000/minute
    VAR    &{auth} =    X-API-Key=${key}
    VAR    @{writes} =    PUT *
    ${summary} =    Sweep OpenAPI Operations    ${API}    demo    headers=${auth}    max_examples=5
    ...    negative_only=${writes}    deadline=45 s
    Should Be True    ${summary}[requests] > 10

The Served Document Is Compatible With The Previous Release
    The Served Document Should Be Compatible With The Previous Release
