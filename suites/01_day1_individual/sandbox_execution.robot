*** Settings ***
Documentation       Checkpoint 5, sandbox execution: code runs in a fresh container or the warm pool, as a
...                 non-root user, and its output, exit code and timing come back.
Resource            ../../resources/sandbox.resource
Suite Setup         Sandbox Engine Is Ready
Test Tags           checkpoint5    day1    sandbox


*** Test Cases ***
Code Runs In A Fresh Container And Prints Its Result
    Run Code As Submitted    print(sum(range(10)))
    Run Should Have Status    ok
    Get Stdout    ==    45\n
    Get Exit Code    ==    0
    Get Run Duration    <    ${SANDBOX_TIMEOUT}

Code Runs As A Non-Root User In A Read-Only Root
    Run Code As Submitted    import os\nprint(os.getuid(), os.getcwd())
    Get Stdout    ==    10001 /tmp\n

Scratch Files Can Be Written Under Tmp
    Run Code As Submitted    from pathlib import Path\nPath("w").write_text("data")\nprint(Path("w").read_text())
    Get Stdout    ==    data\n

Warm Pool Runs Code And Reuses Its Container
    Start Warm Pool    size=2
    Execute Python    print("first")    mode=warm
    Execute Python    print("second")    mode=warm
    Get Stdout    ==    second\n
    Get Run Field    recycled    ==    ${FALSE}
    Get Warm Pool Size    ==    2
    [Teardown]    Stop Warm Pool

Nothing Is Left Behind After The Runs
    No Sandbox Container Should Remain
