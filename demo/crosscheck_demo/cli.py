"""``crosscheck-demo``: migrate, create and revoke API keys, produce messages, run the API or consumer.

Addresses: ``--database-url`` / ``--redis-url``, else ``DEMO_POSTGRES_URL`` /
``DEMO_REDIS_URL``, else ``CROSSCHECK_POSTGRES_URL`` / ``CROSSCHECK_REDIS_URL``,
else crosscheck's embedded stack, where crosscheck is installed beside the demo.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys


def postgres_url(args) -> str:
    url = (
        getattr(args, "database_url", None)
        or os.environ.get("DEMO_POSTGRES_URL")
        or os.environ.get("CROSSCHECK_POSTGRES_URL")
    )
    return url or _embedded("postgres")


def redis_url(args) -> str:
    url = getattr(args, "redis_url", None) or os.environ.get("DEMO_REDIS_URL") or os.environ.get("CROSSCHECK_REDIS_URL")
    return url or _embedded("redis")


def _embedded(service: str) -> str:
    """The address crosscheck's embedded stack serves ``service`` on (the stack of the run that started us)."""
    try:
        from crosscheck import services
    except ImportError:
        raise ValueError(
            f"no {service} address: pass --{'database' if service == 'postgres' else 'redis'}-url "
            f"or set DEMO_{service.upper()}_URL"
        ) from None
    return services.get(service).url()


def cmd_migrate(args) -> None:
    from crosscheck_demo import migrate

    applied = migrate.apply(postgres_url(args))
    print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none (up to date)'}")


def cmd_create_key(args) -> None:
    from crosscheck_demo import keys

    conn = keys.connect(postgres_url(args))
    try:
        key, record = keys.create_key(conn, args.rate, args.name)
    finally:
        conn.close()
    print(
        f"created key {record.prefix}... (id {record.id}, name {record.name!r}, "
        f"{record.limit} requests per {record.window_seconds} s)",
        file=sys.stderr,
    )
    print(key)


def cmd_revoke_key(args) -> None:
    from crosscheck_demo import keys

    conn = keys.connect(postgres_url(args))
    try:
        print(f"revoked {keys.revoke_key(conn, args.prefix)} key(s)")
    finally:
        conn.close()


def cmd_produce(args) -> None:
    import redis

    from crosscheck_demo.messages import Publisher
    from crosscheck_demo.producer import produce

    rate = None
    if args.rate:
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:/\s*s(?:ec(?:ond)?)?)?\s*", args.rate)
        if not m or float(m.group(1)) <= 0:
            raise SystemExit(f"--rate {args.rate!r} is not like 100/s")
        rate = float(m.group(1))
    client = redis.Redis.from_url(redis_url(args), socket_connect_timeout=5)
    try:
        sent = produce(
            Publisher(client, source="producer"),
            args.channel,
            args.count,
            rate,
            args.universe,
            json.loads(args.fields) if args.fields else None,
        )
    finally:
        client.close()
    if args.verbose:
        for message in sent:
            print(json.dumps(message))
    print(
        json.dumps(
            {
                "channel": args.channel,
                "count": len(sent),
                "first_seq": sent[0]["seq"] if sent else None,
                "last_seq": sent[-1]["seq"] if sent else None,
            }
        )
    )


def cmd_switch_consumer(args) -> None:
    import time

    import redis

    from crosscheck_demo.consumer import OFFLINE_KEY, STATE_KEY

    client = redis.Redis.from_url(redis_url(args), socket_connect_timeout=5, socket_timeout=5)
    try:
        if args.state == "offline":
            client.set(OFFLINE_KEY, "1", ex=max(1, int(args.ttl)))
        else:
            client.delete(OFFLINE_KEY)
        key = STATE_KEY.format(name=args.name)
        deadline = time.monotonic() + args.wait
        while (seen := (client.get(key) or b"unknown").decode()) != args.state:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"consumer {args.name!r} still reports {seen!r} {args.wait:g} s after the "
                    f"switch to {args.state!r} (state key {key})"
                )
            time.sleep(0.05)
    finally:
        client.close()
    print(f"consumer {args.name!r} is {args.state}")


def cmd_api(args) -> None:
    import uvicorn

    from crosscheck_demo.app import create_app

    app = create_app(redis_url(args), postgres_url(args))
    if args.fd is not None:
        uvicorn.run(app, fd=args.fd, access_log=False, log_level="info", timeout_graceful_shutdown=2)
    else:
        uvicorn.run(
            app, host=args.host, port=args.port, access_log=False, log_level="info", timeout_graceful_shutdown=2
        )


def cmd_consumer(args) -> None:
    from crosscheck_demo import consumer

    consumer.main(redis_url(args), postgres_url(args))


def main(argv: list[str] | None = None) -> None:
    from crosscheck_demo import CHANNELS

    parser = argparse.ArgumentParser(prog="crosscheck-demo", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name, func, help_text, db=False, rd=False):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        if db:
            p.add_argument("--database-url", help="Postgres URL")
        if rd:
            p.add_argument("--redis-url", help="Redis URL")
        return p

    command("migrate", cmd_migrate, "apply demo/migrations to the database", db=True)
    p = command("create-key", cmd_create_key, "create an API key; prints it as the last line", db=True)
    p.add_argument("--rate", default="60/minute", help="requests per window, e.g. 60/minute, 5/second")
    p.add_argument("--name", default="default", help="a label for the key")
    p = command("revoke-key", cmd_revoke_key, "revoke the key with this prefix (first 12 characters)", db=True)
    p.add_argument("prefix")
    p = command("produce", cmd_produce, "publish sample messages on a channel (and its stream)", rd=True)
    p.add_argument("--channel", required=True, choices=CHANNELS)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--rate", help="messages per second, e.g. 100/s (default: as fast as possible)")
    p.add_argument("--universe", default="TEST_demo_universe", help="universe named in the messages")
    p.add_argument("--fields", help="JSON object merged into every message (overrides sample fields)")
    p.add_argument("--verbose", "-v", action="store_true", help="print every message sent")
    p = command("api", cmd_api, "run the API gateway under uvicorn", db=True, rd=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--fd", type=int, help="serve on this inherited listening socket")
    command("consumer", cmd_consumer, "run the consumer until SIGTERM", db=True, rd=True)
    p = command(
        "switch-consumer",
        cmd_switch_consumer,
        "take the running consumer offline (it leaves Redis) or bring it back; waits until it reports so",
        rd=True,
    )
    p.add_argument("state", choices=["offline", "online"])
    p.add_argument("--name", default="demo-consumer", help="the consumer's name (DEMO_CONSUMER_NAME)")
    p.add_argument("--wait", type=float, default=10.0, help="seconds to wait for the consumer to report the state")
    p.add_argument(
        "--ttl",
        type=float,
        default=120.0,
        help="seconds after which an offline switch expires on its own (the consumer comes back)",
    )

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    import psycopg2
    import redis

    try:
        args.func(args)
    except (ValueError, RuntimeError, psycopg2.Error, redis.RedisError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        parser.exit(2, f"crosscheck-demo {args.command}: error: {message}\n")


if __name__ == "__main__":
    main()
