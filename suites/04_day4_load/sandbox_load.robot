*** Settings ***
Documentation       Checkpoint 8, sandbox load (seed 003): 10 concurrent and 20 sequential runs, cold start
...                 and warm-pool figures, with tables and charts in log.html.
Resource            ../../resources/sandbox.resource
Suite Setup         Sandbox Engine Is Ready
Suite Teardown      No Sandbox Container Should Remain
Test Tags           checkpoint8    day4    sandbox


*** Test Cases ***
Ten Concurrent Fresh Runs Beat The Seed Throughput
    ${load} =    Run Sandbox Load    runs=${SANDBOX_CONCURRENT_RUNS}    concurrency=${SANDBOX_CONCURRENT_RUNS}
    Should Be True    ${load}[throughput_per_s] >= ${SANDBOX_THROUGHPUT_BASELINE_PER_S}
    Set Test Message    ${load}[throughput_per_s] runs/s, p50 ${load}[p50_ms] ms, p95 ${load}[p95_ms] ms

Twenty Sequential Fresh Runs Stay Within The Warm Execution Target
    ${load} =    Run Sandbox Load    runs=${SANDBOX_SEQUENTIAL_RUNS}    concurrency=1
    ${target} =    Convert Time    ${SANDBOX_WARM_EXECUTION_TARGET}
    Should Be True    ${load}[p95_ms] <= ${target} * 1000
    ...    p95 ${load}[p95_ms] ms is over the warm execution target ${SANDBOX_WARM_EXECUTION_TARGET}
    Set Test Message    p50 ${load}[p50_ms] ms, p95 ${load}[p95_ms] ms, max ${load}[max_ms] ms

Cold Start Is Within The Seed Target
    ${seconds} =    Measure Cold Start    <=    ${SANDBOX_COLD_START_TARGET}
    Set Test Message    cold start ${seconds} s

Warm Pool Runs Stay Within The Warm Execution Target
    Start Warm Pool    size=2
    ${load} =    Run Sandbox Load    runs=${SANDBOX_SEQUENTIAL_RUNS}    concurrency=2    mode=warm
    ${target} =    Convert Time    ${SANDBOX_WARM_EXECUTION_TARGET}
    Should Be True    ${load}[p50_ms] <= ${target} * 1000
    ...    p50 ${load}[p50_ms] ms is over the warm execution target ${SANDBOX_WARM_EXECUTION_TARGET}
    Set Test Message    warm p50 ${load}[p50_ms] ms, p95 ${load}[p95_ms] ms, ${load}[throughput_per_s] runs/s
    [Teardown]    Stop Warm Pool
