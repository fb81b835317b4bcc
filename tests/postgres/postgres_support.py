"""Helpers of the crosscheck.Postgres tests (their fixtures are in conftest.py beside this file)."""

from __future__ import annotations

import contextlib

import psycopg2


def run(conn, statement: str, params=None):
    """Run ``statement`` on ``conn``; its rows, or None when it returns none."""
    with conn.cursor() as cur:
        cur.execute(statement, params)
        with contextlib.suppress(psycopg2.ProgrammingError):
            return cur.fetchall()
    return None


def end_of_test(lib) -> list[str]:
    """What the listener does when a test ends and the next starts: undo the test's scope, open a new one.
    The errors of the undo actions."""
    scope, errors = lib.cleanup.pop()
    lib.cleanup.push(scope.kind, scope.name)
    return errors
