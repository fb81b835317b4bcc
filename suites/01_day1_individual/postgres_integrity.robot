*** Settings ***
Documentation       Day 1, Postgres alone: stored data is consistent (no orphans, no duplicate keys, no NULLs
...                 where none may be) and test rows with the TEST_ prefix are removed after each test.
...                 Writes TEST_ rows to shared tables, so it runs only against a test database.
Resource            ../../resources/postgres.resource
Resource            ../../resources/safety.resource
Suite Setup         Run Keywords    Destructive Suite Needs A Test Database
...                 AND    DatabaseLibrary Uses The Same Database
Suite Teardown      Disconnect From All Databases
Test Tags           checkpoint4    day1    postgres    critical


*** Variables ***
${UNIVERSE}     TEST_day1_integrity_${{ __import__('os').getpid() }}


*** Test Cases ***
Declared Foreign Keys Have No Orphan Rows
    [Documentation]    Every foreign key the demo declares: each model's requests to ``public.api_keys``.
    FOR    ${model}    IN    @{EXPECTED_MODEL_SCHEMAS}
        ${checked} =    Foreign Keys Should Have No Orphans    schema=${model}
        Should Be Equal As Integers    ${checked}    1
    END

Model Requests Only Reference Existing API Keys
    FOR    ${model}    IN    @{EXPECTED_MODEL_SCHEMAS}
        Relationship Should Have No Orphans    ${model}.requests    api_key_id    public.api_keys    id
    END

Price History Has One Bar Per Symbol And Day
    Values Should Be Unique    historical_data    symbol, date
    Get Duplicate Count    cache_entries    type, name, environment    ==    0

Cache Entries Have No Missing Identity Fields
    Columns Should Have No Nulls    cache_entries    type    name    value    environment

A Test Universe Is Written Through The Database Function
    Store A Test Universe    ${UNIVERSE}    SPY    QQQ    IWM
    Check Row Count    SELECT 1 FROM cache_entries WHERE name = '${UNIVERSE}'    ==    1
    ${stored} =    Query    SELECT get_etf_universe('${UNIVERSE}') ->> 'category'
    Should Be Equal    ${stored}[0][0]    etf

The Test Universe Was Removed After The Previous Test
    Universe Should Not Be Stored    ${UNIVERSE}
