*** Settings ***
Documentation       Checkpoint 2, repository isolation (seed 000): the demo's producer, consumer and gateway are
...                 merged repositories beside a shared library. None imports another, each declares what it
...                 imports, their requirements resolve together, each installs and starts on its own, and no
...                 two claim the same port, environment variable, Redis key prefix, channel or database schema.
Resource            ../../resources/repos.resource
Suite Setup         The Demo Repositories Are The Set
Test Tags           checkpoint2    day1    critical


*** Test Cases ***
No Repository Imports Another
    Repositories Should Not Import Each Other

Every Repository Declares What It Imports And Nothing More
    Repository Dependencies Should Be Declared

The Repositories' Requirements Resolve Together
    Repository Dependencies Should Resolve Together

No Two Repositories Claim One Port, Variable, Key Prefix, Channel Or Schema
    Repositories Should Not Share Resources

Each Repository Installs Alone In A Fresh Environment
    Every Demo Repository Installs Alone

The Gateway Starts And Answers Its Health Check With Its Siblings Down
    The Gateway Starts Alone

The Consumer Starts And Answers Its Health Check With Its Siblings Down
    The Consumer Starts Alone

A Gateway Without Its Database Address Refuses To Start And Says Which Key
    Repository Service Should Fail Clearly    gateway    demo-gateway serve
    ...    *configuration error: postgres_url:*    GATEWAY_POSTGRES_URL=${EMPTY}
