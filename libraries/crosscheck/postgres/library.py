"""crosscheck.Postgres: schema diff, integrity, migrations, query latency, connection pools, test data."""

from __future__ import annotations

from crosscheck.core import CrosscheckLibrary
from crosscheck.postgres.context import DEFAULT_PREFIX, PostgresContext
from crosscheck.postgres.keywords.connection import ConnectionKeywords
from crosscheck.postgres.keywords.integrity import IntegrityKeywords
from crosscheck.postgres.keywords.migrations import MigrationKeywords
from crosscheck.postgres.keywords.pools import PoolKeywords
from crosscheck.postgres.keywords.schema import SchemaKeywords
from crosscheck.postgres.keywords.testdata import TestDataKeywords
from crosscheck.postgres.keywords.timing import TimingKeywords

__all__ = ["Postgres"]


class Postgres(CrosscheckLibrary):
    """Postgres checks for integration tests: the schema as a file, integrity, migrations,
    query latency, connection pools and test-data cleanup.

    Works beside
    [https://marketsquare.github.io/Robot-Framework-Database-Library/|DatabaseLibrary]:
    use DatabaseLibrary for generic queries (``Query``, ``Execute SQL String``,
    ``Check Row Count``, ``Table Must Exist``) and this library for what it does
    not check: columns, indexes, functions, extensions, foreign keys, orphans,
    migrations, latency percentiles and connections.

    = Database =

    The library uses ``database_url`` if given on import or with `Connect To
    Postgres`; else ``CROSSCHECK_POSTGRES_URL``; else the embedded stack's
    ``crosscheck_test`` database (started on first use). An unreachable server
    fails in seconds with the address, password masked. With nothing configured
    and no embedded server possible, keywords skip the test with the reason.

    = Expected schema =

    A YAML file lists schemas, tables, columns, indexes, constraints, foreign
    keys, partition keys and partitions (with the indexes and foreign keys
    declared on them), views, materialized views, functions, triggers,
    sequences, domains with their CHECKs, enum types with their labels and
    extensions; on request also function body digests, grants and comments.
    `Database Schema Should Match` reads the live catalog once and fails with
    every difference (missing, different, unexpected), each object by name.
    Write a first file with `Write Expected Schema` or ``crosscheck
    schema-dump -o schema.yaml``. Format: docs/postgres.md.

    = Cleanup =

    Everything a keyword creates (test rows, scratch databases and schemas,
    table locks) is undone when the test ends, or the suite when created in a
    suite setup, also after a failure. Nothing is deleted that the run did not
    create: test rows are deleted by the primary key they were inserted with.

    = Safety =

    Table, column and schema names are looked up as data and quoted with
    ``psycopg2.sql.Identifier`` when used in SQL: a name such as
    ``x"; DROP TABLE y; --`` is a literal name (which does not exist), never SQL.

    = Assertions =

    Getters take an AssertionEngine operator and expected value, as in the
    Browser library: ``Get Query Latency    ${sql}    p95    <    50 ms``.

    = Times =
    A time-valued assertion target (the expected value of a latency, duration or
    recovery-time getter) must carry a unit: ``100 ms``, ``0.2 s``, ``1 min``, or a
    ``timedelta``. A bare number such as ``0.2`` or ``50`` is refused, because it could
    mean seconds or milliseconds: the failure names the figure, the value given and
    the fix (``Expected value '0.2' for p95 delivery latency ... has no unit: write it
    as '0.2 ms' or '0.2 s'.``). Arguments that are not assertion targets
    (``timeout=``, ``block=``, ``hold=``, ``duration=``) follow Robot Framework's own
    time format, where a bare number means seconds.

    `Get Query Latency` returns milliseconds; its target may be written in any
    time unit (``0.05 s`` and ``50 ms`` are the same target).

    = Example =

    | *** Settings ***
    | Library    DatabaseLibrary
    | Library    crosscheck.Postgres
    | Variables    ../../variables/targets.py
    |
    | *** Test Cases ***
    | Schema Is As Expected
    |     `Database Schema Should Match`    ${CURDIR}/../../resources/schemas/demo.yaml
    |
    | Universe Lookup Meets The UI Target
    |     `Get Query Latency`    SELECT get_etf_universe('TEST_none')    p95    <    ${UI_QUERY_TARGET}
    """

    COMPONENTS = (
        ConnectionKeywords,
        SchemaKeywords,
        IntegrityKeywords,
        MigrationKeywords,
        TimingKeywords,
        PoolKeywords,
        TestDataKeywords,
    )

    ctx: PostgresContext

    def __init__(self, database_url: str | None = None, test_prefix: str = DEFAULT_PREFIX):
        """``database_url``: the database to check (default: ``CROSSCHECK_POSTGRES_URL`` or the embedded stack).
        ``test_prefix``: the prefix test rows must carry (seed 001: ``TEST_``)."""
        super().__init__(PostgresContext(database_url, test_prefix))
