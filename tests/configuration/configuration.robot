*** Settings ***
Documentation       Checkpoint 6 against the small systems of tests/configuration/systems: the good one
...                 passes every check; the faulty one fails the ones its seeded defects break.
Library             crosscheck.Configuration


*** Variables ***
${SYSTEMS}      ${CURDIR}/systems
${LAYERS}       defaults, file:config/app.toml, file:config/app.{env}.toml, dotenv:.env, environment, argument:--set {key}={value}


*** Test Cases ***
Good Configuration Passes The Checklist
    The System Is Registered    good
    Configuration Precedence Should Be    good    port
    Get Configuration Value    good    cache.ttl    ==    300    env=production
    Wrong Type Should Be Refused    good    port    abc
    Missing Key Should Be Refused    good    database_url
    Variable Should Not Change Configuration    good    CONSUMER_PORT=9
    Canary Secrets Should Not Leak    good
    Production Configuration Should Be Safe    good
    Old Configuration Should Load The Same    good    config/legacy/app.v1.toml

Environment Variables Of The Faulty System Win Over Its Files
    The System Is Registered    faulty
    Configuration Precedence Should Be    faulty    port

Faulty System Keeps Its Canaries Secret
    The System Is Registered    faulty
    Canary Secrets Should Not Leak    faulty    layers=command-line

Faulty Production Configuration Is Safe
    The System Is Registered    faulty
    Production Configuration Should Be Safe    faulty


*** Keywords ***
The System Is Registered
    [Arguments]    ${name}
    ${python} =    Evaluate    sys.executable    modules=sys
    Use Configuration Loader    ${name}    command=${python} app.py config    folder=${SYSTEMS}/${name}
    ...    prefix=APP_    env=development    env_argument=--env {env}    layers=${LAYERS}
    ...    start=${python} app.py serve --port {port}    health_url=http://127.0.0.1:{port}/health
