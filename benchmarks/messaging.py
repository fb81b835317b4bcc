"""crosscheck.Messaging against bare redis-py, measured in one run on the same server.

* latency: p50 publish-to-receive of 2,000 messages at 1,000/s, measured by the
  keywords (Start Listening + Publish Messages + Get Delivery Latency) and by a bare
  redis-py loop (a subscriber thread on PubSub.get_message, a publisher stamping
  time.monotonic() into each payload); ratio = keyword / bare (target <= 1.25).
* throughput: 100,000 JSON messages carrying seq and sent_at, published with
  `Publish Messages` (pipelined) and with a bare redis-py pipeline (1,000 PUBLISH per
  execute); ratio = keyword msg/s / bare msg/s (target >= 0.8).

Usage: python benchmarks/messaging.py   (CROSSCHECK_REDIS_URL, else the embedded Redis)
The last line printed is one JSON object.
"""

from __future__ import annotations

import json
import statistics
import threading
import time

import redis

from crosscheck import namespace
from crosscheck.messaging import Messaging
from crosscheck.reporting import percentile
from crosscheck.services import redis as redis_service

LAT_COUNT = 2000
LAT_RATE = 1000.0
VOLUME = 100_000
CHUNK = 1000


def bare_latency(url: str, channel: str) -> float:
    client = redis.Redis.from_url(url)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(channel)
    while pubsub.get_message(timeout=1.0) is None and not pubsub.subscribed:
        pass
    latencies: list[float] = []
    done = threading.Event()

    def receive():
        while len(latencies) < LAT_COUNT:
            msg = pubsub.get_message(timeout=1.0)
            if msg and msg["type"] == "message":
                now = time.monotonic()
                latencies.append((now - json.loads(msg["data"])["mono"]) * 1000.0)
        done.set()

    thread = threading.Thread(target=receive, daemon=True)
    thread.start()
    start = time.monotonic()
    for i in range(LAT_COUNT):
        wait = start + i / LAT_RATE - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        client.publish(channel, json.dumps({"seq": i + 1, "sent_at": time.time(), "mono": time.monotonic()}))
    done.wait(30)
    pubsub.close()
    client.close()
    return percentile(latencies, 50)


def keyword_latency(lib: Messaging, channel: str) -> float:
    lib.start_listening(channel)
    lib.publish_messages(channel, LAT_COUNT, rate=f"{LAT_RATE:g}/s")
    p50 = lib.get_delivery_latency("p50", channel=channel)
    lib.stop_listening()
    return p50


def bare_throughput(url: str, channel: str) -> float:
    client = redis.Redis.from_url(url)
    start = time.perf_counter()
    for first in range(0, VOLUME, CHUNK):
        pipe = client.pipeline(transaction=False)
        for seq in range(first + 1, first + CHUNK + 1):
            pipe.publish(channel, json.dumps({"seq": seq, "sent_at": time.time()}))
        pipe.execute()
    took = time.perf_counter() - start
    client.close()
    return VOLUME / took


def keyword_throughput(lib: Messaging, channel: str) -> float:
    start = time.perf_counter()
    lib.publish_messages(channel, VOLUME)
    return VOLUME / (time.perf_counter() - start)


def main() -> None:
    url = redis_service.url()
    ns = namespace.new("bench")
    lib = Messaging()
    lib.connect_to_redis(url)
    try:
        # warm up both paths once
        bare_throughput(url, f"{ns}.warm")
        keyword_throughput(lib, f"{ns}.warm")
        bare_p50 = statistics.median(bare_latency(url, f"{ns}.bare.lat{i}") for i in range(3))
        kw_p50 = statistics.median(keyword_latency(lib, f"{ns}.kw.lat{i}") for i in range(3))
        bare_tp = max(bare_throughput(url, f"{ns}.bare.tp") for _ in range(3))
        kw_tp = max(keyword_throughput(lib, f"{ns}.kw.tp") for _ in range(3))
    finally:
        lib.close()
    print(
        f"p50 latency, {LAT_COUNT} messages at {LAT_RATE:g}/s: keywords {kw_p50:.3f} ms, bare redis-py {bare_p50:.3f} ms"
    )
    print(f"publish {VOLUME:,} messages pipelined: keywords {kw_tp:,.0f} msg/s, bare redis-py {bare_tp:,.0f} msg/s")
    result = {
        "latency_ratio": round(kw_p50 / bare_p50, 3),
        "throughput_ratio": round(kw_tp / bare_tp, 3),
        "keyword_p50_ms": round(kw_p50, 4),
        "bare_p50_ms": round(bare_p50, 4),
        "keyword_msgs_per_s": round(kw_tp),
        "bare_msgs_per_s": round(bare_tp),
        "latency_messages": LAT_COUNT,
        "throughput_messages": VOLUME,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
