*** Settings ***
Documentation       Checkpoint 1, pre-flight: every service answers and says its version, the installed
...                 Python dependencies are consistent, every suite parses, and destructive suites are
...                 pointed at a test database.
Library             crosscheck.Stack
Resource            ../../resources/safety.resource


*** Test Cases ***
Redis Is Reachable And Reports Its Version
    [Tags]    redis
    ${version} =    Service Should Be Reachable    redis
    Should Not Be Empty    ${version}

Postgres Is Reachable With The Vector Extension Available
    [Tags]    postgres
    Service Should Be Reachable    postgres
    Get Service Version    postgres    contains    pgvector

Demo API Is Reachable
    [Tags]    api
    Service Should Be Reachable    api

Docker Engine Is Reachable
    [Documentation]    Skips with the reason when no engine runs here: sandbox suites then skip too.
    [Tags]    sandbox
    ${status}    ${message} =    Run Keyword And Ignore Error    Service Should Be Reachable    docker
    Skip If    '${status}' == 'FAIL'    ${message}

Service Versions Are Logged
    Log Service Versions

Installed Python Dependencies Are Consistent
    Python Dependencies Should Be Consistent

Every Suite Parses
    [Documentation]    A dry run of all suites: syntax, keywords, arguments, resources and libraries.
    ${count} =    Suites Should Parse    ${CURDIR}/..
    Should Be True    ${count} > 0

Destructive Suites Run Only Against A Test Database
    [Tags]    postgres
    Destructive Suite Needs A Test Database

A Database Not Marked For Tests Is Refused With The Fix
    [Documentation]    The guard itself: a production-looking name is refused, and the message says how to mark it.
    [Tags]    postgres
    Run Keyword And Expect Error    *is not marked as a test database*ALLOW_DESTRUCTIVE:true*
    ...    Database Should Be A Test Database    postgresql://app:secret@db.example:5432/tickstock
    Run Keyword And Expect Error    *app:\*\*\*@db.example*
    ...    Database Should Be A Test Database    postgresql://app:secret@db.example:5432/tickstock

A Name That Merely Contains Test Is Not A Mark
    [Documentation]    ``latest`` is not a test database; ``tickstock_test`` is.
    [Tags]    postgres
    Run Keyword And Expect Error    *is not marked as a test database*
    ...    Database Should Be A Test Database    postgresql://app@db.example:5432/latest
    ${name} =    Database Should Be A Test Database    postgresql://app@db.example:5432/tickstock_test
    Should Be Equal    ${name}    tickstock_test
