"""The ``crosscheck`` command: up | down | status | url | doctor | imports | init | sandbox-image | schema-dump | verdict | baseline."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from crosscheck import config
from crosscheck.errors import ConfigurationError
from crosscheck.helptext import PlainArgumentParser


def _print_status(rows: list[dict]) -> None:
    width = max(len(r["address"]) for r in rows)
    print(f"{'SERVICE':9} {'ADDRESS':{width}}  {'MODE':34} {'VERSION':24} STATE")
    for r in rows:
        state = r.get("state", "")
        if r.get("error"):
            state = f"{state}: {r['error']}"
        print(f"{r['service']:9} {r['address']:{width}}  {r['mode']:34} {r['version']:24} {state}")


def _print_stack(info: dict) -> None:
    if info["key"] is None:
        print(f"stack: none; {info['why']}")
        return
    print(f"stack: {info['key']}, {info['why']}")
    print(f"logs:  {info['logs']}")
    for user in info["used_by"]:
        from crosscheck.stack.api import describe_user

        print(f"used by: {describe_user(user)}")


def cmd_up(args) -> int:
    from pathlib import Path

    from crosscheck.stack import api, status

    state = api.up(system_under_test=not args.no_sut, logs=Path(args.logs).resolve() if args.logs else None)
    _print_status(status.rows())
    print()
    _print_stack(status.stack_info(state))
    print("stop it with: crosscheck down")
    return 0


def cmd_down(args) -> int:
    from crosscheck.stack import api

    stopped = api.down(all_stacks=args.all, force=args.force)
    print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    return 0


def cmd_status(args) -> int:
    from crosscheck.stack import status

    rows = status.rows()
    info = status.stack_info()
    if args.json:
        import json

        print(json.dumps({"stack": info, "services": rows}, indent=1, default=str))
        return 0
    _print_status(rows)
    print()
    _print_stack(info)
    return 0


def service_url(name: str, show_password: bool = False) -> str:
    """The URL of service ``name`` as a run from here would use it: configured, else the running
    stack's; never starts a stack (a stack started by this command would stop with it)."""
    from crosscheck import services
    from crosscheck.stack import api

    if name not in services.NAMES:
        raise ConfigurationError(f"unknown service {name!r}: use one of {', '.join(services.NAMES)}")
    service = services.get(name)
    url = service.configured()
    if not url and name == "qdrant":
        raise ConfigurationError(
            "qdrant is not configured (CROSSCHECK_QDRANT_URL): the vector library runs Qdrant's engine in "
            "process, which has no URL"
        )
    if not url and not service.embedded:
        url = service.url()
    if not url:
        state = api.current()
        entry = (state or {}).get("services", {}).get(name, {})
        if not state:
            raise ConfigurationError(
                f"{name} is not configured ({config.ENV[name]}) and no embedded stack is running: "
                "start one with `crosscheck up`"
            )
        if not entry.get("url"):
            raise ConfigurationError(
                f"{name} is not configured ({config.ENV[name]}) and stack {state['key']} has none "
                f"({entry.get('status', 'not started')}: {entry.get('error', 'see crosscheck status')})"
            )
        url = entry["url"]
    return url if show_password else config.mask_url(url)


def cmd_url(args) -> int:
    print(service_url(args.service, args.show_password))
    return 0


def cmd_init(argv: list[str]) -> int:
    from crosscheck import checklist

    return checklist.main(argv)


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


# exit codes of `crosscheck verdict`; 3 is also every bad input of `verdict` and `baseline`
VERDICT_EXIT = {"GO": 0, "NO-GO": 1, "UNDECIDED": 2}
BAD_INPUT = 3


class _InputParser(PlainArgumentParser):
    """A parser that exits 3 on bad arguments: for `crosscheck verdict`, 2 means UNDECIDED."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(BAD_INPUT)


def cmd_verdict(argv: list[str]) -> int:
    parser = _InputParser(
        prog="crosscheck verdict",
        description="The Go/No-Go verdict on a run: prints it with every reason, writes verdict.html and "
        "figures.json into RESULTS_DIR and re-renders report.html and log.html with the verdict in their "
        "metadata. Exit code: 0 GO, 1 NO-GO, 2 UNDECIDED, 3 bad input.",
    )
    parser.add_argument("results", metavar="RESULTS_DIR", help="the run's results folder (or its output.xml)")
    parser.add_argument("--baseline", metavar="FILE", help="a baseline saved with `crosscheck baseline save`")
    parser.add_argument("--rules", metavar="FILE", help="per-figure rules, YAML or JSON (docs/verdict.md)")
    args = parser.parse_args(argv)
    from crosscheck.verdict import baseline, page, results, rules

    try:
        run = results.read(args.results)
        base = baseline.load(args.baseline) if args.baseline else None
        rule_set = rules.Rules.load(args.rules) if args.rules else rules.Rules()
        verdict = rules.decide(
            run.figures, run.tests, base, rule_set, errors=[e.message for e in run.errors if e.level == "ERROR"]
        )
        html_file = run.folder / "verdict.html"
        html_file.write_text(page.render(verdict, run, base, rule_set), encoding="utf-8")
        figures_file = results.write_figures(run)
        pages = results.annotate_reports(run, verdict, html_file.name)
    except ConfigurationError as exc:
        print(f"crosscheck verdict: {exc}", file=sys.stderr)
        return BAD_INPUT
    except OSError as exc:
        print(f"crosscheck verdict: cannot write into {exc.filename or args.results}: {exc.strerror}", file=sys.stderr)
        return BAD_INPUT
    print(f"Verdict: {verdict.headline}")
    for reason in verdict.reasons:
        what = f"{reason.what}: " if reason.what else ""
        print(f"  {reason.severity.upper():9}  {reason.rule}: {what}{reason.detail}")
    print(f"Verdict page: {html_file.resolve()}")
    print(f"Figures:      {figures_file.resolve()} ({len(run.figures)} measurements)")
    for label, written in zip(("Report:", "Log:"), pages):
        print(f"{label:13} {written.resolve()} (verdict in its metadata)")
    return VERDICT_EXIT[verdict.state]


def cmd_baseline(argv: list[str]) -> int:
    parser = _InputParser(prog="crosscheck baseline", description="Save the figures of a run as a baseline.")
    sub = parser.add_subparsers(dest="action", required=True, parser_class=_InputParser)
    save = sub.add_parser(
        "save",
        help="save the figures of the run in RESULTS_DIR (medians per name, the machine) as a baseline",
        description="Save the figures of a run as a baseline for `crosscheck verdict --baseline`. A run with "
        "failed tests is refused unless --force.",
    )
    save.add_argument("results", metavar="RESULTS_DIR", help="the run's results folder (or its output.xml)")
    save.add_argument("-o", "--output", metavar="FILE", default="baseline.json", help="default: ./baseline.json")
    save.add_argument("--force", action="store_true", help="save it even though tests failed")
    args = parser.parse_args(argv)
    from crosscheck.verdict import baseline, results

    try:
        run = results.read(args.results)
        saved = baseline.save(run, args.output, force=args.force)
    except ConfigurationError as exc:
        print(f"crosscheck baseline: {exc}", file=sys.stderr)
        return BAD_INPUT
    except OSError as exc:
        print(f"crosscheck baseline: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
        return BAD_INPUT
    print(
        f"Baseline saved to {args.output}: {len(saved.figures)} figures (from {len(run.figures)} measurements) "
        f"of {len(run.tests)} tests, measured on {baseline.describe_machine(saved.machine)}."
    )
    if not saved.figures:
        print("  No figure was recorded in this run: a verdict against this baseline compares no performance.")
    failed = run.count("FAIL")
    if failed:
        print(f"  Saved with --force although {failed} tests failed.")
    return 0


def cmd_imports(argv: list[str]) -> int:
    from crosscheck.repos import cli

    return cli.main(argv)


# commands whose own parser takes every argument after the command name
PASS_THROUGH = {
    "imports": cmd_imports,
    "init": cmd_init,
    "sandbox-image": cmd_sandbox_image,
    "schema-dump": cmd_schema_dump,
    "verdict": cmd_verdict,
    "baseline": cmd_baseline,
}


def main(argv: list[str] | None = None) -> int:
    parser = PlainArgumentParser(prog="crosscheck", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("up", help="start the embedded Redis, Postgres and system under test until `crosscheck down`")
    p.add_argument(
        "--no-sut",
        "--no-demo",
        dest="no_sut",
        action="store_true",
        help="do not start the system under test (CROSSCHECK_SUT, by default the demo when installed)",
    )
    p.add_argument("--logs", metavar="DIR", help="write the stack's logs to DIR/<key> (default: ./results/stack)")
    p.set_defaults(func=cmd_up)
    p = sub.add_parser(
        "down",
        help="stop the `crosscheck up` stack (and any left by runs that are gone); not under a run without --force",
    )
    p.add_argument("--force", action="store_true", help="stop the `crosscheck up` stack even though runs use it")
    p.add_argument("--all", action="store_true", help="also stop stacks of runs still in progress (implies --force)")
    p.set_defaults(func=cmd_down)
    p = sub.add_parser(
        "status", help="each service: address (password masked), version, embedded or configured; which stack and why"
    )
    p.add_argument("--json", action="store_true", help="print it as JSON: {stack: {...}, services: [...]}")
    p.set_defaults(func=cmd_status)
    p = sub.add_parser("url", help="print one service's URL for scripts (password masked unless --show-password)")
    p.add_argument("service", help="redis, postgres, api, qdrant, docker or toxiproxy")
    p.add_argument("--show-password", action="store_true", help="print the password the URL carries")
    p.set_defaults(func=cmd_url)
    sub.add_parser("doctor", help="check every service; one line per problem, with the fix").set_defaults(
        func=cmd_doctor
    )
    for name, text in (
        ("imports", "check that no repository of a folder imports another's packages (exit 1 if one does)"),
        ("init", "write a starting checklist for your own system into a folder"),
        ("sandbox-image", "build the local sandbox image"),
        ("schema-dump", "write an expected-schema YAML from a live database"),
        ("verdict", "the Go/No-Go verdict on a run: exits 0 GO, 1 NO-GO, 2 UNDECIDED, 3 bad input"),
        ("baseline", "save a run's figures as a baseline: `baseline save RESULTS_DIR -o FILE`"),
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
