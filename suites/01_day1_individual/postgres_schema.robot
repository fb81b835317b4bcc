*** Settings ***
Documentation       Day 1, Postgres alone: the demo database has seed 001's and seed 002's schema, checked
...                 against the expected-schema file in one pass and object by object. DatabaseLibrary runs
...                 the generic queries beside crosscheck.Postgres.
Resource            ../../resources/postgres.resource
Suite Setup         DatabaseLibrary Uses The Same Database
Suite Teardown      Disconnect From All Databases
Test Tags           checkpoint4    day1    postgres    critical


*** Test Cases ***
Demo Database Matches The Expected Schema File
    Database Schema Should Match    ${DEMO_SCHEMA_FILE}

Cache Entries Has The Phase 3 Universe Columns
    Table Must Exist    cache_entries
    Cache Entries Should Have The Phase 3 Universe Columns

Cache Entries Has The Category And Update Indexes
    Cache Entries Should Have The Performance Indexes

Every Model Has Its Own Schema
    Schema Should Exist    @{EXPECTED_MODEL_SCHEMAS}
    FOR    ${model}    IN    @{EXPECTED_MODEL_SCHEMAS}
        Column Should Exist    ${model}.requests    api_key_id    bigint
    END

Vector Search Table Holds 8-Dimension Embeddings
    Extension Should Be Installed    vector
    Column Should Exist    documents    embedding    vector(8)    nullable=${FALSE}
    Check Row Count    SELECT id FROM documents    >=    8

Every Applied Migration Is Recorded
    ${recorded} =    Get Applied Migrations
    Should Not Be Empty    ${recorded}
    Check Row Count    SELECT version FROM schema_migrations    ==    ${{ len($recorded) }}

ETF Universe Functions Keep Their Signatures
    [Tags]    checkpoint3
    ETF Universe Functions Should Keep Their Signatures
