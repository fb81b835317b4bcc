*** Settings ***
Documentation       Day 3 (seed 004): run the migration chain. The demo's chain is applied step by step to a
...                 fresh database, each version recorded, run a second time to prove it idempotent, and its
...                 end state compared with the expected-schema file. The scratch database is dropped after.
Resource            ../../resources/postgres.resource
Resource            ../../resources/safety.resource
Suite Setup         Destructive Suite Needs A Test Database
Test Tags           checkpoint4    day3    postgres


*** Test Cases ***
Migration Chain Applies Cleanly To A Fresh Database
    @{versions} =    Migration Chain Should Apply Cleanly    ${DEMO_MIGRATIONS}
    ...    expected_schema=${DEMO_SCHEMA_FILE}
    Should Not Be Empty    ${versions}

Every Step Is Recorded And Re-Running The Chain Changes Nothing
    ${database} =    Create Scratch Database    chain
    @{applied} =    Apply Migrations    ${DEMO_MIGRATIONS}    database=${database}
    Get Applied Migrations    ==    ${applied}    database=${database}
    Migration Chain Should Be Idempotent    ${DEMO_MIGRATIONS}    database=${database}
    @{again} =    Apply Migrations    ${DEMO_MIGRATIONS}    database=${database}
    Should Be Empty    ${again}

Live Database Has Every Step Of The Chain
    ${files} =    Evaluate    sorted(p.name.split('_')[0] for p in pathlib.Path($DEMO_MIGRATIONS).glob('*.sql'))
    ...    modules=pathlib
    Get Applied Migrations    ==    ${files}
