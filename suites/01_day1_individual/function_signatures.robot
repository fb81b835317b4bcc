*** Settings ***
Documentation       Checkpoint 3, database function contracts: seed 001's four ETF universe functions exist
...                 with the declared arguments and result types.
Library             OperatingSystem
Resource            ../../resources/contracts.resource
Variables           ../../variables/channels.py
Test Tags           checkpoint3    day1    postgres


*** Test Cases ***
The Four ETF Universe Functions Have Their Declared Signatures
    Function Signatures Should Match    ${DEMO_FUNCTION_SIGNATURES}

Every Required Function Is Declared In The Contract
    ${declared} =    Get File    ${DEMO_FUNCTION_SIGNATURES}
    FOR    ${function}    IN    @{REQUIRED_DATABASE_FUNCTIONS}
        Should Contain    ${declared}    ${function}:
    END

Reading A Universe Takes Its Name And Returns JSON
    Get Function Signature    get_etf_universe    ==    p_universe_name text -> jsonb
