*** Settings ***
Documentation       Day 1: the demo's ``POST /v1/search`` end to end, against its pgvector ``documents``
...                 table (seed 002). The API's ranking is compared with an exact search of the same
...                 table done by crosscheck.Vectors; a test document added for the check carries a
...                 ``TEST_`` id and is deleted when the test ends.
Resource            ../../resources/vectors.resource
Suite Setup         Connect To Vector Store    pgvector
Test Setup          Use Existing Collection    documents    public.documents    distance=cosine
Test Tags           day1    vectors    api    postgres


*** Test Cases ***
The Documents Table Holds Vectors Of The Demo's Dimension
    [Tags]    checkpoint4
    ${info} =    Get Collection Info    documents
    Should Be Equal As Integers    ${info}[dimension]    ${DEMO_VECTOR_DIMENSION}
    Get Point Count    >=    1

A Stored Document Is Ranked First For Its Own Vector
    [Tags]    checkpoint4
    ${key} =    Demo API Key Is Created
    ${vector} =    Get Point Vector    doc-liquidity
    Demo Search Should Rank First    ${key}    ${vector}    doc-liquidity

The API Ranks Documents As An Exact Search Does
    [Tags]    checkpoint4
    ${key} =    Demo API Key Is Created
    ${vector} =    Generate Query Near    ${{ [0.3, 0.5, 0.2, 0.1, 0.0, 0.0, 0.1, 0.0] }}    noise=0.05
    Demo Search Should Agree With Exact Search    ${key}    ${vector}    top_k=5

The API Ranks Documents Of Different Norms By The Declared Distance
    [Documentation]    The seeded documents all have one norm, where every distance ranks alike.
    [Tags]    checkpoint4
    ${key} =    Demo API Key Is Created
    VAR    ${query} =    ${{ [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0] }}
    Documents Of Different Norms Are Added    ${query}
    Demo Search Should Agree With Exact Search    ${key}    ${query}    top_k=3

A Document Added To The Table Is Found Through The API
    [Tags]    checkpoint4
    ${key} =    Demo API Key Is Created
    VAR    ${vector} =    ${{ [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0] }}
    Upsert Point    TEST_vectors_search    ${vector}    {"title": "A test document", "body": "Added by crosscheck."}
    Demo Search Should Rank First    ${key}    ${vector}    TEST_vectors_search

A Search Without An API Key Is Refused
    [Tags]    checkpoint3
    ${api} =    Evaluate    __import__('crosscheck.services.api', fromlist=['x']).url()
    VAR    &{body} =    vector=${{ [0.1] * 8 }}    top_k=${3}
    ${response} =    POST    ${api}/v1/search    json=${body}    expected_status=401
    Demo Search Response Should Follow The Document    ${response}
