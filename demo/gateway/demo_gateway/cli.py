"""``demo-gateway``: ``serve`` the API, ``create-key``, ``revoke-key``, ``config``."""

from __future__ import annotations

import contextlib
import logging
import sys
from pathlib import Path

import psycopg2
import redis

from demo_gateway import keys
from demo_gateway.settings import KEYS
from demo_shared import config

log = logging.getLogger("demo_gateway")


def connect(cfg: config.Config):
    conn = psycopg2.connect(cfg["postgres_url"], application_name="crosscheck-demo-cli", connect_timeout=5)
    return contextlib.closing(conn)


def cmd_serve(cfg: config.Config, args) -> None:
    import uvicorn

    from demo_gateway.app import create_app

    cfg.log(log)
    app = create_app(cfg.values)
    where = {"fd": args.fd} if args.fd is not None else {"host": cfg["host"], "port": cfg["port"]}
    uvicorn.run(app, **where, access_log=False, log_level="info", timeout_graceful_shutdown=2)


def cmd_create_key(cfg: config.Config, args) -> None:
    with connect(cfg) as conn:
        key, record = keys.create_key(conn, args.rate, args.name, cfg["key_pepper"])
    print(
        f"created key {record.prefix}... (id {record.id}, name {record.name!r}, "
        f"{record.limit} requests per {record.window_seconds} s)",
        file=sys.stderr,
    )
    print(key)


def cmd_revoke_key(cfg: config.Config, args) -> None:
    with connect(cfg) as conn:
        print(f"revoked {keys.revoke_key(conn, args.prefix)} key(s)")


def add_commands(sub, common) -> None:
    p = sub.add_parser("serve", parents=[common], help="serve the API under uvicorn on host:port")
    p.add_argument("--fd", type=int, help="serve on this inherited listening socket instead")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("create-key", parents=[common], help="create an API key; prints it as the last line")
    p.add_argument("--rate", default="60/minute", help="requests per window, e.g. 60/minute, 5/second")
    p.add_argument("--name", default="default", help="a label for the key")
    p.set_defaults(func=cmd_create_key)
    p = sub.add_parser("revoke-key", parents=[common], help="revoke the key with this prefix (first 12 characters)")
    p.add_argument("prefix")
    p.set_defaults(func=cmd_revoke_key)


def main(argv: list[str] | None = None, prog: str | None = None) -> None:
    config.main("gateway", KEYS, Path(__file__).parent, add_commands, (psycopg2.Error, redis.RedisError), argv, prog)


if __name__ == "__main__":
    main()
