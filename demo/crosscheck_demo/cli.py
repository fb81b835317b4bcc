"""``crosscheck-demo``: the demo's commands in one place, for suites and people.

``migrate`` is this package's; the others run a repository's command in this process, with that
repository's configuration and the addresses found as demo/README.md, "Running it", says.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

PROG = "crosscheck-demo"


def address(service: str, given: str | None, repo: str | None) -> str | None:
    """The URL of ``service`` to pass on, or None when the repository's own variable holds it."""
    if given:
        return given
    if repo and f"{repo.upper()}_{service.upper()}_URL" in os.environ:
        return None
    if os.environ.get(f"CROSSCHECK_{service.upper()}_URL"):
        return os.environ[f"CROSSCHECK_{service.upper()}_URL"]
    try:
        from crosscheck import services
    except ImportError:
        flag = "--database-url" if service == "postgres" else "--redis-url"
        variable = f"{repo.upper()}_{service.upper()}_URL" if repo else f"CROSSCHECK_{service.upper()}_URL"
        raise SystemExit(f"{PROG}: error: no {service} address: pass {flag} or set {variable}") from None
    return services.get(service).url()


# command -> (repository, its command, services it needs)
DELEGATED = {
    "create-key": ("gateway", "create-key", ("postgres",)),
    "revoke-key": ("gateway", "revoke-key", ("postgres",)),
    "api": ("gateway", "serve", ("redis", "postgres")),
    "produce": ("producer", "produce", ("redis",)),
    "consumer": ("consumer", "run", ("redis", "postgres")),
    "switch-consumer": ("consumer", "switch", ("redis", "postgres")),  # postgres_url is required, unused
}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    commands = ", ".join(["migrate", *DELEGATED])
    if not argv or argv[0] not in ("migrate", *DELEGATED):
        print(f"usage: {PROG} {{{commands}}} ...  ({__doc__.splitlines()[0]})", file=sys.stderr)
        raise SystemExit(0 if argv[:1] in (["-h"], ["--help"]) else 2)
    parser = argparse.ArgumentParser(prog=f"{PROG} {argv[0]}", add_help=argv[0] == "migrate")
    parser.add_argument("--database-url", help="Postgres URL")
    parser.add_argument("--redis-url", help="Redis URL")
    if argv[0] == "api":
        parser.add_argument("--host")
        parser.add_argument("--port", type=int)
    args, rest = parser.parse_known_args(argv[1:])
    if argv[0] == "migrate":
        import psycopg2

        from crosscheck_demo import migrate
        from demo_shared.config import first_line

        try:
            applied = migrate.apply(address("postgres", args.database_url, None) or "")
        except (RuntimeError, psycopg2.Error) as exc:
            parser.exit(2, f"{PROG} migrate: error: {first_line(exc)}\n")
        print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none (up to date)'}")
        return
    repo, command, needs = DELEGATED[argv[0]]
    given = {"postgres": args.database_url, "redis": args.redis_url}
    sets = [f"{s}_url={url}" for s in needs if (url := address(s, given[s], repo))]
    sets += [f"{k}={v}" for k in ("host", "port") if (v := getattr(args, k, None)) is not None]
    if argv[0] == "produce" and "--channel" in rest[:-1]:
        sets.append(f"publishes={rest[rest.index('--channel') + 1]}")  # a test tool: any channel
    run = importlib.import_module(f"demo_{repo}.cli").main
    run([command, *rest, *[x for s in sets for x in ("--set", s)]], prog=PROG)


if __name__ == "__main__":
    main()
