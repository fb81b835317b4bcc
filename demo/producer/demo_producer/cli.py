"""``demo-producer``: ``produce`` sample messages, ``config``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import redis

from demo_producer.producer import produce
from demo_producer.settings import KEYS
from demo_shared import config
from demo_shared.contracts import CHANNELS, Publisher


def cmd_produce(cfg: config.Config, args) -> None:
    rate = None
    if args.rate:
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:/\s*s(?:ec(?:ond)?)?)?\s*", args.rate)
        if not m or float(m.group(1)) <= 0:
            raise ValueError(f"--rate {args.rate!r} is not like 100/s")
        rate = float(m.group(1))
    extra = json.loads(args.fields) if args.fields else None
    client = redis.Redis.from_url(cfg["redis_url"], socket_connect_timeout=5)
    try:
        publisher = Publisher(client, "producer", cfg["publishes"])
        sent = produce(publisher, args.channel, args.count, rate, args.universe, extra)
    finally:
        client.close()
    for message in sent if args.verbose else []:
        print(json.dumps(message))
    first, last = (sent[0]["seq"], sent[-1]["seq"]) if sent else (None, None)
    print(json.dumps({"channel": args.channel, "count": len(sent), "first_seq": first, "last_seq": last}))


def add_commands(sub, common) -> None:
    p = sub.add_parser("produce", parents=[common], help="publish sample messages on a channel (and its stream)")
    p.add_argument("--channel", required=True, choices=CHANNELS)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--rate", help="messages per second, e.g. 100/s (default: as fast as possible)")
    p.add_argument("--universe", default="TEST_demo_universe", help="universe named in the messages")
    p.add_argument("--fields", help="JSON object merged into every message (overrides sample fields)")
    p.add_argument("--verbose", "-v", action="store_true", help="print every message sent")
    p.set_defaults(func=cmd_produce)


def main(argv: list[str] | None = None, prog: str | None = None) -> None:
    config.main("producer", KEYS, Path(__file__).parent, add_commands, (redis.RedisError,), argv, prog)


if __name__ == "__main__":
    main()
