*** Settings ***
Documentation       Day 1: vector storage and search on Chroma, a Chroma server crosscheck starts on 127.0.0.1
...                 (seed 002): the same checks as on pgvector, Qdrant and Milvus, with Chroma's own HNSW index.
...                 Needs the optional extra ``chroma`` (pip install 'robotframework-crosscheck[chroma]');
...                 without it every test skips, naming the extra.
Resource            ../../resources/vectors.resource
Suite Setup         Connect To Vector Store    chroma
Test Tags           day1    vectors


*** Test Cases ***
A Collection Is Created With Its Dimension And Distance
    [Tags]    checkpoint4
    Create Collection    docs    ${VECTOR_DIMENSION}    distance=dot
    Collection Should Exist    docs
    ${info} =    Get Collection Info    docs
    Should Be Equal As Integers    ${info}[dimension]    ${VECTOR_DIMENSION}
    Should Be Equal    ${info}[distance]    dot
    Drop Collection    docs
    Collection Should Not Exist    docs

Points Are Stored, Read, Updated And Deleted
    [Tags]    checkpoint4
    Create Collection    docs    4
    Upsert Point    doc-1    [0.1, 0.2, 0.3, 0.4]    {"lang": "en"}
    Upsert Point    doc-2    [0.4, 0.3, 0.2, 0.1]    {"lang": "de"}
    Get Point Count    ==    2
    Update Payload    doc-2    {"reviewed": true}
    Get Point Payload    doc-2    validate    value == {"lang": "de", "reviewed": True}
    Delete Points    doc-1
    Point Should Not Exist    doc-1
    Get Point Count    ==    1

Similar Documents Are Found With Their Scores
    [Tags]    checkpoint4
    A Collection Of Seeded Documents
    ${query} =    A Query Near Document    doc-42
    ${hits} =    Search Should Return    ${query}    top=5    first=doc-42
    Should Be True    ${hits}[0][score] > 0.9

Payload Filters And Score Thresholds Narrow The Results
    [Tags]    checkpoint4
    A Collection Of Seeded Documents
    ${query} =    A Query Near Document    doc-42
    ${group} =    Get Point Payload    doc-42
    Search Should Return    ${query}    top=5    filter={"group": ${group}[group]}    first=doc-42
    ${other} =    Evaluate    (${group}[group] + 1) % 4
    Search Should Return    ${query}    top=5    filter={"group": ${other}}    excludes=doc-42    min_results=5
    Search Should Return    ${query}    top=5    score_threshold=0.95    contains=doc-42

Bad Vectors Are Refused Before Anything Is Written
    [Tags]    checkpoint4
    Create Collection    docs    ${VECTOR_DIMENSION}
    Vector Should Be Refused Before Writing    ${{ [0.1] * 3 }}    dimension mismatch: *has 3 components, expected 384
    Vector Should Be Refused Before Writing    ${{ [float('nan')] * 384 }}    *non-finite component at position 0 (nan)*
    Vector Should Be Refused Before Writing
    ...    ${{ [0.1] * 383 + [float('-inf')] }}    *non-finite component at position 383 (-inf)*
    Vector Should Be Refused Before Writing    ${{ [] }}    *is an empty vector*
    Run Keyword And Expect Error    unknown collection 'missing'*
    ...    Upsert Point    doc-1    ${{ [0.1] * 384 }}    collection=missing
    Get Point Count    ==    0

Search Latency Meets The Target
    [Documentation]    Chroma searches every collection with its HNSW graph, over HTTP.
    [Tags]    checkpoint8
    A Collection Of Seeded Documents
    Search Latency Should Meet The Target

Upsert Throughput Is Measured
    [Tags]    checkpoint8
    Create Collection    docs    ${VECTOR_DIMENSION}
    Get Upsert Throughput    >=    ${VECTOR_UPSERT_TARGET_PER_S}    count=2000    batch_size=500

Indexed Search Meets The Recall And Latency Targets
    [Tags]    checkpoint8
    A Collection Of Seeded Documents
    Create HNSW Index    m=16    ef_construction=64
    Vector Index Should Exist    hnsw    m=16
    Search Should Use Index
    Search Quality Meets The Targets    ef_search=100

Recall Against Search Breadth Is Measured
    [Documentation]    Chroma takes ``ef_search`` as a change of the collection's configuration: the curve
    ...    sets it before each value's searches.
    [Tags]    checkpoint8
    A Collection Of Seeded Documents
    ${curve} =    Measure Recall Curve    10, 100    queries=20
    Should Be True    ${curve}[-1][recall] >= ${VECTOR_RECALL_TARGET}
