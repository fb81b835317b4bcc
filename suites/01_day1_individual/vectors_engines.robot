*** Settings ***
Documentation       Day 1: the vector engines side by side (seed 002): the same seeded documents, the same
...                 HNSW parameters, and the recall / speed curve of each as ann-benchmarks draws it
...                 (recall@10 across, queries per second up), all on one chart in log.html. pgvector in
...                 the embedded Postgres, Qdrant (the server at CROSSCHECK_QDRANT_URL, else Qdrant Edge) and,
...                 with the optional extras ``milvus`` and ``chroma``, Milvus Lite and a Chroma server.
Resource            ../../resources/vectors.resource
Test Tags           day1    vectors


*** Test Cases ***
Recall And Speed Of Every Engine On The Same Data
    [Tags]    checkpoint8    postgres
    ${stores} =    Vector Engines Installed Here
    ${curves} =    Recall Curves On The Same Data    ${stores}
    FOR    ${store}    IN    @{stores}
        VAR    ${widest} =    ${curves}[${store}][-1]
        Should Be True    ${widest}[recall] >= ${VECTOR_RECALL_TARGET}
        ...    ${store}: recall@10 ${widest}[recall] at search breadth ${widest}[ef] is below ${VECTOR_RECALL_TARGET}
    END
