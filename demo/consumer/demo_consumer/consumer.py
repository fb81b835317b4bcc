"""The consumer (seed 001's TickStockApp side): reaches producer and gateway only through Redis.

A ``live`` loop on the channels and a ``catch_up`` loop on their streams record each message once
in ``consumer.message_log`` and apply the valid ones; an admin switch takes it offline. See
demo/README.md, "Consumer".
"""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg2
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from demo_shared import config, faults
from demo_shared.contracts import CHANNELS, CONSUMER_GROUP, problems, stream_name, validators

log = logging.getLogger("demo_consumer")
RETRY_DELAY = 0.2  # seconds between reconnection attempts
REDIS_TIMEOUT = 2  # seconds: connecting to Redis, and waiting for any answer
PING_AFTER = 1.0  # seconds of silence on the subscription before the live loop pings Redis
SILENCE_LIMIT = 3.0  # seconds without anything from Redis, its ping answer included: reconnect
SWITCH_POLL = 0.1  # seconds between looks at the switch


def connect(postgres_url: str, schema: str = "consumer"):
    # its own schema first, then public for the universe functions (the database's interface)
    path = schema if schema == "public" else f"{schema},public"
    conn = psycopg2.connect(
        postgres_url, application_name="crosscheck-demo-consumer", connect_timeout=5, options=f"-c search_path={path}"
    )
    conn.autocommit = True
    return conn


class Consumer:
    def __init__(self, redis_url: str, postgres_url: str, name: str = "demo-consumer", schema: str = "consumer"):
        self.redis_url, self.postgres_url, self.name, self.schema = redis_url, postgres_url, name, schema
        self.validators = validators()
        self.stopping = threading.Event()
        self.subscribed = threading.Event()  # the live loop's subscription is confirmed
        self.threads: list[threading.Thread] = []
        self._failing_since: dict[str, float] = {}  # loop -> monotonic time its current outage began

    def handle(self, conn, channel: str, raw: str | bytes, via: str) -> bool:
        """Record one message; apply it when valid and new. Return True if it was new."""
        try:
            message = json.loads(raw)
            problem = problems(self.validators[channel], message)
        except ValueError as exc:
            message, problem = {"raw": raw.decode() if isinstance(raw, bytes) else raw}, f"not JSON: {exc}"
        fields = message if isinstance(message, dict) else {}
        seq, sent_at = fields.get("seq"), fields.get("sent_at")
        seq = seq if type(seq) is int else None
        sent_at = sent_at if type(sent_at) in (int, float) else None
        with conn.cursor() as cur:
            cur.execute(
                "INSERT INTO message_log (channel, seq, sent_at, payload, valid, error, via)"
                " VALUES (%s, %s, %s, %s::jsonb, %s, %s, %s)"
                " ON CONFLICT (channel, seq, sent_at) DO NOTHING RETURNING id",
                (channel, seq, sent_at, json.dumps(message), problem is None, problem, via),
            )
            new = cur.fetchone() is not None
            if new and problem:
                log.warning("rejected message on %s (seq %s): %s", channel, seq, problem)
            if new and not problem and not faults.active("consumer-skips-writes"):
                self.apply(cur, channel, message)
        return new

    @staticmethod
    def apply(cur, channel: str, message: dict) -> None:
        """Apply a valid message through the universe functions (sync_complete and correlation_update
        are only recorded)."""

        def symbols_of(universe: str) -> list | None:
            cur.execute("SELECT get_etf_universe(%s) -> 'symbols'", (universe,))
            return cur.fetchone()[0]

        def store(universe: str, symbols: list, category: str | None = None) -> None:
            cur.execute("SELECT update_etf_universe(%s, %s::jsonb, %s)", (universe, json.dumps(symbols), category))

        if channel == "tickstock.universe.updated":
            store(message["universe"], message["symbols"], message.get("category"))
        elif channel == "tickstock.cache.ipo_assignment":
            symbols = symbols_of(message["universe"]) or []
            if message["symbol"] not in symbols:
                store(message["universe"], symbols + [message["symbol"]])
        elif channel == "tickstock.cache.delisting_cleanup":
            for universe in message["universes_affected"]:
                symbols = symbols_of(universe)
                if symbols is not None:
                    store(universe, [s for s in symbols if s not in message["symbols"]])

    def _run(self, loop, what: str) -> None:
        """Run ``loop`` until stopped; after Redis or Postgres fails, connect again and go on."""
        conn = None
        while not self.stopping.is_set():
            # no retries inside redis-py: this loop reconnects
            client = redis.Redis.from_url(
                self.redis_url,
                socket_connect_timeout=REDIS_TIMEOUT,
                socket_timeout=REDIS_TIMEOUT,
                retry=Retry(NoBackoff(), 0),
            )
            try:
                if conn is None or conn.closed:
                    conn = connect(self.postgres_url, self.schema)
                loop(conn, client)
            except (redis.RedisError, OSError, psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
                if isinstance(exc, psycopg2.Error):
                    _close(conn)
                    conn = None
                elif faults.active("consumer-no-reconnect"):
                    log.error("%s loop: %s: %s; stopped, it does not reconnect", what, type(exc).__name__, exc)
                    break
                if what not in self._failing_since:
                    self._failing_since[what] = time.monotonic()
                    log.warning("%s loop: %s: %s; reconnecting every %g s", what, type(exc).__name__, exc, RETRY_DELAY)
                else:
                    log.debug("%s loop: still failing: %s: %s", what, type(exc).__name__, exc)
                self.stopping.wait(RETRY_DELAY)
            finally:
                _close(client)
        _close(conn)

    def _connected(self, what: str) -> None:
        since = self._failing_since.pop(what, None)
        if since is not None:
            log.warning("%s loop: connected again after %.1f s", what, time.monotonic() - since)

    def live(self, conn, client: redis.Redis) -> None:
        pubsub = client.pubsub()
        try:
            pubsub.subscribe(*CHANNELS)
            heard, pinged, confirmed = time.monotonic(), False, 0
            while not self.stopping.is_set():
                msg = pubsub.get_message(timeout=0.5)
                now = time.monotonic()
                if msg is not None:  # a message, a subscription's confirmation or the answer to a ping
                    if msg["type"] == "message":
                        self.handle(conn, msg["channel"].decode(), msg["data"], "pubsub")
                    elif msg["type"] == "subscribe":
                        confirmed += 1
                        if confirmed == len(CHANNELS):
                            log.info("subscribed to %s", ", ".join(CHANNELS))
                            self.subscribed.set()
                            self._connected("live")
                    heard, pinged = time.monotonic(), False  # after handling, which may take a while
                elif now - heard > SILENCE_LIMIT:
                    raise redis.TimeoutError(f"nothing from Redis on the subscription for {SILENCE_LIMIT:g} s")
                elif now - heard > PING_AFTER and not pinged:
                    pubsub.ping()
                    pinged = True
        finally:
            self.subscribed.clear()
            pubsub.close()

    def ensure_groups(self, client: redis.Redis) -> None:
        for channel in CHANNELS:
            try:
                client.xgroup_create(stream_name(channel), CONSUMER_GROUP, id="0", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    def catch_up(self, conn, client: redis.Redis) -> None:
        self.ensure_groups(client)
        self._connected("catch-up")
        if faults.active("consumer-no-catch-up"):
            for channel in CHANNELS:
                client.xgroup_setid(stream_name(channel), CONSUMER_GROUP, "$")
        streams = {stream_name(c): "0" for c in CHANNELS}  # first our own pending entries, then new ones
        while not self.stopping.is_set():
            try:
                batches = client.xreadgroup(CONSUMER_GROUP, self.name, streams, count=200, block=500)
            except redis.ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                self.ensure_groups(client)  # the stream or group was deleted (e.g. Redis restarted empty)
                continue
            for stream, entries in batches or []:
                stream = stream.decode()
                if not entries:
                    streams[stream] = ">"  # no pending entries left on this stream
                for entry_id, fields in entries:
                    if streams[stream] != ">":
                        streams[stream] = entry_id
                    if b"payload" in fields:
                        self.handle(conn, stream.removeprefix("stream:"), fields[b"payload"], "stream")
                    client.xack(stream, CONSUMER_GROUP, entry_id)
            if not batches:
                streams = {s: ">" for s in streams}

    def start(self) -> None:
        for loop, what in ((self.live, "live"), (self.catch_up, "catch-up")):
            thread = threading.Thread(target=self._run, args=(loop, what), name=what, daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self, timeout: float = 5) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout)


def _close(connection) -> None:
    with contextlib.suppress(Exception):  # closing a broken connection
        if connection is not None:
            connection.close()


def serve_health(port: int, state: dict) -> ThreadingHTTPServer | None:
    """``GET /health`` on 127.0.0.1:``port``: 200 ``{"status": "online"}``, or 503 while offline."""

    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            found = self.path == "/health"
            body = json.dumps(state if found else {"error": "not found"}).encode()
            self.send_response(404 if not found else 200 if state["status"] == "online" else 503)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), Health)
    except OSError as exc:
        log.error("no /health: port %d: %s", port, exc)
        return None
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    return server


def main(cfg: config.Config) -> None:
    """Run until SIGTERM or SIGINT; go offline and come back as the admin switch says."""
    cfg.log(log)
    shutdown = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: shutdown.set())
    name, prefix = cfg["name"], cfg["redis_key_prefix"]
    switch = redis.Redis.from_url(cfg["redis_url"], socket_connect_timeout=2, socket_timeout=2)
    state = {"status": "starting", "name": name}
    health = serve_health(cfg["health_port"], state)
    consumer: Consumer | None = None

    def report(status: str) -> None:
        state["status"] = status
        try:
            switch.set(f"{prefix}state:{name}", status)
        except (redis.RedisError, OSError) as exc:
            log.warning("could not report state %s: %s", status, exc)

    while not shutdown.is_set():
        try:
            offline = bool(switch.exists(prefix + "offline"))
        except (redis.RedisError, OSError):
            offline = False  # Redis cannot tell: keep running, or start
        if consumer is None and not offline:
            consumer = Consumer(cfg["redis_url"], cfg["postgres_url"], name, cfg["db_schema"])
            consumer.start()
            consumer.subscribed.wait(5)
            log.info("consumer %s running (group %s)", name, CONSUMER_GROUP)
            report("online")
        elif consumer is not None and offline:
            consumer.stop()
            consumer = None
            log.info("consumer %s offline (admin switch %soffline)", name, prefix)
            report("offline")
        shutdown.wait(SWITCH_POLL)
    if consumer is not None:
        consumer.stop()
    if health is not None:
        health.shutdown()
    switch.close()
