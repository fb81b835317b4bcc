"""``demo-consumer``: ``run`` the consumer, ``switch`` it offline or online, ``config``."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg2
import redis

from demo_consumer import consumer
from demo_consumer.settings import KEYS
from demo_shared import config


def cmd_switch(cfg: config.Config, args) -> None:
    name, prefix = args.name or cfg["name"], cfg["redis_key_prefix"]
    client = redis.Redis.from_url(cfg["redis_url"], socket_connect_timeout=5, socket_timeout=5)
    try:
        if args.state == "offline":
            client.set(prefix + "offline", "1", ex=max(1, int(args.ttl)))
        else:
            client.delete(prefix + "offline")
        key = f"{prefix}state:{name}"
        deadline = time.monotonic() + args.wait
        while (seen := (client.get(key) or b"unknown").decode()) != args.state:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"consumer {name!r} still reports {seen!r} {args.wait:g} s after the "
                    f"switch to {args.state!r} (state key {key})"
                )
            time.sleep(0.05)
    finally:
        client.close()
    print(f"consumer {name!r} is {args.state}")


def add_commands(sub, common) -> None:
    p = sub.add_parser("run", parents=[common], help="run the consumer until SIGTERM")
    p.set_defaults(func=lambda cfg, args: consumer.main(cfg))
    p = sub.add_parser(
        "switch",
        parents=[common],
        help="take the running consumer offline (it leaves Redis) or bring it back; waits until it reports so",
    )
    p.add_argument("state", choices=["offline", "online"])
    p.add_argument("--name", help="the consumer's name (default: its configured name)")
    p.add_argument("--wait", type=float, default=10.0, help="seconds to wait for the consumer to report the state")
    p.add_argument("--ttl", type=float, default=120.0, help="seconds after which an offline switch expires")
    p.set_defaults(func=cmd_switch)


def main(argv: list[str] | None = None, prog: str | None = None) -> None:
    config.main("consumer", KEYS, Path(__file__).parent, add_commands, (psycopg2.Error, redis.RedisError), argv, prog)


if __name__ == "__main__":
    main()
