"""The ``crosscheck`` command: up | down | status | doctor | sandbox-image | schema-dump."""

from __future__ import annotations

import argparse
import sys

from crosscheck import config


def _print_status(rows: list[dict]) -> None:
    width = max(len(r["address"]) for r in rows)
    print(f"{'SERVICE':9} {'ADDRESS':{width}}  {'MODE':34} {'VERSION':24} STATE")
    for r in rows:
        state = r.get("state", "")
        if r.get("error"):
            state = f"{state}: {r['error']}"
        print(f"{r['service']:9} {r['address']:{width}}  {r['mode']:34} {r['version']:24} {state}")


def cmd_up(args) -> int:
    from crosscheck.stack import api, status

    api.up(system_under_test=not args.no_sut)
    _print_status(status.rows())
    print(f"\nlogs: {config.results_dir() / 'stack'}; stop with: crosscheck down")
    return 0


def cmd_down(args) -> int:
    from crosscheck.stack import api

    stopped = api.down(all_stacks=args.all)
    print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    return 0


def cmd_status(args) -> int:
    from crosscheck.stack import status

    _print_status(status.rows())
    return 0


def cmd_doctor(args) -> int:
    from crosscheck.stack import doctor

    found = doctor.problems()
    for line in found:
        print(line)
    if not found:
        print("no problems found")
    return 1 if found else 0


def cmd_sandbox_image(argv: list[str]) -> int:
    from crosscheck.sandbox import cli

    return cli.sandbox_image(argv)


def cmd_schema_dump(argv: list[str]) -> int:
    from crosscheck.postgres import cli

    return cli.schema_dump(argv)


# commands whose own parser takes every argument after the command name
PASS_THROUGH = {"sandbox-image": cmd_sandbox_image, "schema-dump": cmd_schema_dump}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="crosscheck", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("up", help="start the embedded Redis, Postgres and system under test until `crosscheck down`")
    p.add_argument(
        "--no-sut",
        "--no-demo",
        dest="no_sut",
        action="store_true",
        help="do not start the system under test (CROSSCHECK_SUT, by default the demo when installed)",
    )
    p.set_defaults(func=cmd_up)
    p = sub.add_parser("down", help="stop the embedded stack (and any left by runs that are gone)")
    p.add_argument("--all", action="store_true", help="also stop stacks of runs still in progress")
    p.set_defaults(func=cmd_down)
    sub.add_parser(
        "status", help="each service: address (password masked), version, embedded or configured"
    ).set_defaults(func=cmd_status)
    sub.add_parser("doctor", help="check every service; one line per problem, with the fix").set_defaults(
        func=cmd_doctor
    )
    for name, text in (
        ("sandbox-image", "build the local sandbox image"),
        ("schema-dump", "write an expected-schema YAML from a live database"),
    ):
        sub.add_parser(name, help=text + f" (crosscheck {name} --help)")
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in PASS_THROUGH:
        args = argparse.Namespace(command=argv[0], func=lambda _: PASS_THROUGH[argv[0]](argv[1:]))
    else:
        args = parser.parse_args(argv)
    try:
        return args.func(args)
    except AssertionError as exc:  # our errors: one line, no traceback
        print(f"crosscheck {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
