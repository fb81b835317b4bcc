"""``crosscheck schema-dump``: write the expected-schema YAML file from a live database."""

from __future__ import annotations

import argparse
import sys

from crosscheck import config
from crosscheck.errors import CrosscheckError
from crosscheck.helptext import PlainHelpFormatter


def schema_dump(argv: list[str] | None = None) -> int:
    """Write the expected schema of a live database; returns the exit status.

    ``--database-url`` (default: ``CROSSCHECK_POSTGRES_URL``, else the embedded
    stack), ``--schema`` (repeatable; default: every user schema but ``cc_*``),
    ``-o FILE`` (default: standard output); ``--function-bodies``, ``--privileges`` and
    ``--comments`` add a digest of each function's body, the grants per role and comments.
    """
    parser = argparse.ArgumentParser(
        formatter_class=PlainHelpFormatter,
        prog="crosscheck schema-dump",
        description="Write the expected-schema YAML file (tables, columns, indexes, constraints, "
        "foreign keys, partitions, views, materialized views, functions, triggers, sequences, domains, "
        "enum types, extensions) from a live Postgres database.",
    )
    parser.add_argument(
        "--database-url",
        help="postgresql://user@host:port/db (default: CROSSCHECK_POSTGRES_URL, else the embedded stack)",
    )
    parser.add_argument(
        "--schema",
        action="append",
        dest="schemas",
        metavar="NAME",
        help="schema to include; repeat for several (default: all user schemas but cc_*)",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="file to write, YAML (JSON if it ends in .json; default: YAML on standard output)",
    )
    parser.add_argument(
        "--function-bodies",
        action="store_true",
        help="also write a digest of each function's body (a changed body is then reported)",
    )
    parser.add_argument(
        "--privileges",
        action="store_true",
        help="also write the grants of tables, views, sequences and functions per role (owner left out)",
    )
    parser.add_argument("--comments", action="store_true", help="also write the comments on objects and columns")
    args = parser.parse_args(argv)

    from crosscheck.postgres.dump import dump_text
    from crosscheck.postgres.helpers import database_of
    from crosscheck.services import postgres

    url = args.database_url or config.configured("postgres")
    try:
        if not url:
            url = postgres.url()
        conn = postgres.connect(url, application_name="crosscheck-schema-dump")
        try:
            text = dump_text(
                conn,
                args.schemas,
                database_of(url),
                as_json=bool(args.output) and args.output.lower().endswith(".json"),
                function_bodies=args.function_bodies,
                privileges=args.privileges,
                comments=args.comments,
            )
        finally:
            conn.close()
    except CrosscheckError as err:
        print(f"crosscheck schema-dump: {config.scrub(str(err), url)}", file=sys.stderr)
        return 2
    except Exception as err:  # e.g. a psycopg2 error while reading the catalog
        print(f"crosscheck schema-dump: {type(err).__name__}: {config.scrub(str(err), url)}", file=sys.stderr)
        return 1
    if args.output:
        from pathlib import Path

        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(schema_dump())
