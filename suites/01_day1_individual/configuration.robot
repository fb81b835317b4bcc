*** Settings ***
Documentation       Checkpoint 6, configuration management (seed 000), on the demo's three repositories: each
...                 loads its configuration in the documented order of layers, refuses a missing or mistyped
...                 key naming it, ignores the others' variables, keeps its secrets out of its output, logs and
...                 responses, has environment files with the same keys and a production file without debug
...                 or local addresses, and still reads its version-1 files; an unknown version is refused.
Resource            ../../resources/configuration.resource
Suite Setup         The Demo Repositories' Loaders Are Registered
Test Tags           checkpoint6    day1    critical


*** Test Cases ***
Each Layer Wins Over The One Below It, In Every Repository
    [Documentation]    One row per layer (defaults, file, environment file, .env, variable, --set), each with
    ...    its own Redis address; the last layer set must be the one the repository ends with.
    FOR    ${repo}    IN    producer    consumer    gateway
        Configuration Precedence Should Be    ${repo}    redis_url
        ...    values=redis://file:6379/0, redis://env-file:6379/0, redis://dotenv:6379/0, redis://variable:6379/0, redis://command-line:6379/0
    END

The Gateway's Port Follows The Same Order
    Configuration Precedence Should Be    gateway    port

A Missing Required Key Is Refused, Naming The Key
    Missing Key Should Be Refused    gateway    postgres_url
    Missing Key Should Be Refused    consumer    postgres_url

A Value Of The Wrong Type Is Refused, Naming The Key And Where It Came From
    ${message} =    Wrong Type Should Be Refused    gateway    port    eighty
    Should Contain    ${message}    GATEWAY_PORT
    Wrong Type Should Be Refused    consumer    health_port    abc    layer=file
    Wrong Type Should Be Refused    producer    debug    perhaps    layer=dotenv

One Repository's Variables Do Not Change Another's Configuration
    Variable Should Not Change Configuration    gateway    CONSUMER_HEALTH_PORT=9    PRODUCER_REDIS_URL=redis://other:1/0
    Variable Should Not Change Configuration    consumer    GATEWAY_PORT=9    GATEWAY_REDIS_URL=redis://other:1/0
    Variable Should Not Change Configuration    producer    CONSUMER_DEBUG=true    GATEWAY_DEBUG=true

Secrets Stay Out Of The Printed Configuration, Logs And Responses
    [Documentation]    A canary for each secret (the gateway's key pepper, passwords in URLs) set in the
    ...    environment; the services started with it must not show it in their output, /health,
    ...    /metrics or an error page, and the printed configuration must mask it.
    Canary Secrets Should Not Leak    gateway
    Canary Secrets Should Not Leak    consumer    secrets=redis_url

Every Environment File Has The Same Keys
    FOR    ${repo}    IN    producer    consumer    gateway
        Environment Files Of ${repo} Have The Same Keys
    END

Production Has No Debug Switch And No Local Address
    FOR    ${repo}    IN    producer    consumer    gateway
        Production Configuration Should Be Safe    ${repo}
    END

A Version 1 File Loads To The Same Configuration, As It Is And Migrated
    FOR    ${repo}    IN    producer    consumer    gateway
        Old Configuration Should Load The Same    ${repo}    config/legacy/${repo}.v1.toml
        Old Configuration Should Load The Same    ${repo}    config/legacy/${repo}.v1.toml
        ...    migrate_command=demo-${repo} config --migrate {file}
    END

An Unknown Configuration Version Is Refused
    FOR    ${repo}    IN    producer    consumer    gateway
        Unknown Configuration Version Should Be Refused    ${repo}    config/${repo}.toml
    END
