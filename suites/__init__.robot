*** Settings ***
Documentation       crosscheck integration checklist: pre-flight, then day 1 (each service alone),
...                 day 2 (pairs), day 3 (full stack) and day 4 (load), tagged by seed 000's checkpoints.
...
...                 Services come from CROSSCHECK_*_URL / DOCKER_HOST; what is not configured runs embedded
...                 on 127.0.0.1 for the length of the run (see README.md).
Library             crosscheck.Stack
Suite Setup         Start Stack
