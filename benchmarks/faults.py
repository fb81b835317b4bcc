"""The fault proxy's cost with no toxic: latency it adds and pipelined throughput, in one run.

* latency: round trips direct to the server and through a proxy of
  :mod:`crosscheck.faults.proxy`, alternated one by one (``SAMPLES`` of each): Redis ``PING``
  (redis-py, the embedded Redis) and Postgres ``SELECT 1`` (psycopg2, the embedded Postgres).
  Reported: p50 and p99 of each path in µs and what the proxy adds (proxied - direct);
  target: p50 added <= 100 µs.
* throughput: 100,000 pipelined Redis ``PING`` sent on one connection while the replies are
  read, direct and through the proxy, alternated over ``ROUNDS`` rounds (median); ratio =
  proxied commands/s / direct commands/s, target >= 0.8. Measured twice: raw RESP on a socket
  (what the proxy itself costs) and a redis-py pipeline (what a client sees).

Usage: python benchmarks/faults.py   (CROSSCHECK_REDIS_URL / CROSSCHECK_POSTGRES_URL, else the embedded servers)
The last line printed is one JSON object.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from crosscheck.faults import launch
from crosscheck.reporting import percentile
from crosscheck.services import postgres, redis, toxiproxy

SAMPLES = int(os.environ.get("FAULTS_BENCH_SAMPLES", 5000))
WARMUP = 300
PIPELINED = int(os.environ.get("FAULTS_BENCH_PIPELINED", 100_000))
ROUNDS = int(os.environ.get("FAULTS_BENCH_ROUNDS", 5))
ADDED_P50_TARGET_US = 100.0
THROUGHPUT_TARGET = 0.8


def via(url: str, listen: str) -> str:
    """``url`` with its host and port replaced by the proxy's ``listen`` address (credentials kept)."""
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{listen}" if userinfo else listen
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def hostport(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}"


def round_trips(direct: Callable[[], object], proxied: Callable[[], object]) -> dict:
    for _ in range(WARMUP):
        direct()
        proxied()
    times: dict[str, list[float]] = {"direct": [], "proxied": []}
    clock = time.perf_counter_ns
    for i in range(SAMPLES):
        order = (("direct", direct), ("proxied", proxied)) if i % 2 else (("proxied", proxied), ("direct", direct))
        for name, call in order:
            t0 = clock()
            call()
            times[name].append((clock() - t0) / 1000.0)
    out = {}
    for name, values in times.items():
        out[f"{name}_p50_us"] = round(percentile(values, 50), 1)
        out[f"{name}_p99_us"] = round(percentile(values, 99), 1)
    out["added_p50_us"] = round(out["proxied_p50_us"] - out["direct_p50_us"], 1)
    out["added_p99_us"] = round(out["proxied_p99_us"] - out["direct_p99_us"], 1)
    return out


def raw_pipeline(address: str, count: int) -> float:
    """Seconds to send ``count`` RESP PINGs on one socket and read every +PONG."""
    host, _, port = address.rpartition(":")
    payload = b"*1\r\n$4\r\nPING\r\n" * count
    expected = len(b"+PONG\r\n") * count
    with socket.create_connection((host, int(port))) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        t0 = time.perf_counter()
        sender = threading.Thread(target=sock.sendall, args=(payload,))
        sender.start()
        got = 0
        while got < expected:
            chunk = sock.recv(1 << 20)
            if not chunk:
                raise RuntimeError(f"{address} closed after {got} of {expected} bytes")
            got += len(chunk)
        elapsed = time.perf_counter() - t0
        sender.join()
    return elapsed


def client_pipeline(url: str, count: int) -> float:
    """Seconds for a redis-py pipeline of ``count`` PINGs (packing, sending, parsing)."""
    client = redis.client(url)
    try:
        client.ping()
        pipe = client.pipeline(transaction=False)
        for _ in range(count):
            pipe.ping()
        t0 = time.perf_counter()
        pipe.execute()
        return time.perf_counter() - t0
    finally:
        client.close()


def throughput(run: Callable[[str, int], float], direct: str, proxied: str) -> dict:
    rates: dict[str, list[float]] = {"direct": [], "proxied": []}
    for target in (direct, proxied):  # warm up
        run(target, 1000)
    for i in range(ROUNDS):
        order = (("direct", direct), ("proxied", proxied)) if i % 2 else (("proxied", proxied), ("direct", direct))
        for name, target in order:
            rates[name].append(PIPELINED / run(target, PIPELINED))
    direct_rate, proxied_rate = statistics.median(rates["direct"]), statistics.median(rates["proxied"])
    return {
        "direct_cmd_s": round(direct_rate),
        "proxied_cmd_s": round(proxied_rate),
        "ratio": round(proxied_rate / direct_rate, 3),
    }


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="crosscheck-faults-bench-"))
    redis_url, postgres_url = redis.url(), postgres.url()
    proxy = launch.start(workdir)
    out: dict = {"samples": SAMPLES, "pipelined": PIPELINED, "rounds": ROUNDS, "cpus": os.cpu_count()}
    try:
        api = toxiproxy.client(proxy.url)
        out["server"] = api.version()
        redis_listen = api.create_proxy("bench-redis", hostport(redis_url))["listen"]
        postgres_listen = api.create_proxy("bench-postgres", hostport(postgres_url))["listen"]
        proxied_redis = via(redis_url, redis_listen)

        direct_client, proxied_client = redis.connect(redis_url), redis.connect(proxied_redis)
        out["redis_ping"] = round_trips(direct_client.ping, proxied_client.ping)
        direct_client.close()
        proxied_client.close()

        direct_conn = postgres.connect(postgres_url, application_name="crosscheck-bench")
        proxied_conn = postgres.connect(via(postgres_url, postgres_listen), application_name="crosscheck-bench")
        with direct_conn.cursor() as direct_cur, proxied_conn.cursor() as proxied_cur:

            def select(cur) -> Callable[[], object]:
                def run() -> object:
                    cur.execute("SELECT 1")
                    return cur.fetchone()

                return run

            out["postgres_select_1"] = round_trips(select(direct_cur), select(proxied_cur))
        direct_conn.close()
        proxied_conn.close()

        out["redis_pipeline_raw"] = throughput(raw_pipeline, hostport(redis_url), redis_listen)
        out["redis_pipeline_client"] = throughput(client_pipeline, redis_url, proxied_redis)
        api.close()
    finally:
        proxy.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    added = max(out["redis_ping"]["added_p50_us"], out["postgres_select_1"]["added_p50_us"])
    ratio = min(out["redis_pipeline_raw"]["ratio"], out["redis_pipeline_client"]["ratio"])
    out["added_p50_us"] = added
    out["added_p50_target_us"] = ADDED_P50_TARGET_US
    out["added_p50_met"] = added <= ADDED_P50_TARGET_US
    out["throughput_ratio"] = ratio
    out["throughput_ratio_target"] = THROUGHPUT_TARGET
    out["throughput_ratio_met"] = ratio >= THROUGHPUT_TARGET
    print(json.dumps(out))


if __name__ == "__main__":
    main()
