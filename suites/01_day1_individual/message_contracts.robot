*** Settings ***
Documentation       Checkpoint 3, message contracts: every seed 001 channel has a JSON Schema, and what the
...                 demo's producer publishes on each matches it (read back from the channel's stream).
Resource            ../../resources/demo_api.resource
Resource            ../../resources/contracts.resource
Suite Setup         Run Keywords    Connect To The Demo API    AND    The Seed Channels Contracts Are Loaded
Suite Teardown      Disconnect From The Demo API
Test Teardown       Remove The Test Messages From The Demo Database
Test Tags           checkpoint3    day1    redis    critical


*** Test Cases ***
Every Seed Channel Has A Message Contract
    Channels Should Have Contracts    @{ALL_CHANNELS}

Universe Updates Match Their Contract
    Produce Test Messages On    tickstock.universe.updated
    The Latest Messages On The Stream Should Match The Contract    tickstock.universe.updated

Cache Sync Completions Match Their Contract
    Produce Test Messages On    tickstock.cache.sync_complete
    The Latest Messages On The Stream Should Match The Contract    tickstock.cache.sync_complete

ETF Correlation Updates Match Their Contract
    Produce Test Messages On    tickstock.etf.correlation_update
    The Latest Messages On The Stream Should Match The Contract    tickstock.etf.correlation_update

IPO Assignments Match Their Contract
    Produce Test Messages On    tickstock.cache.ipo_assignment
    The Latest Messages On The Stream Should Match The Contract    tickstock.cache.ipo_assignment

Delisting Cleanups Match Their Contract
    Produce Test Messages On    tickstock.cache.delisting_cleanup
    The Latest Messages On The Stream Should Match The Contract    tickstock.cache.delisting_cleanup
