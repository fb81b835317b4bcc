*** Settings ***
Documentation       Pre-flight (checkpoint 1): services reachable, dependencies consistent,
...                 suites parse, and the database is a test database.
Test Tags           checkpoint1    preflight    critical
