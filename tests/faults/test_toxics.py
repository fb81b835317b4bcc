"""Each toxic through a real fault proxy process, on real TCP connections, as Toxiproxy's own tests check them.

Times: a lower bound is asserted strictly (a toxic may never be early); an upper bound loosely
(a shared CI machine may be slow), with a margin of at least 150 ms.
"""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest

from crosscheck.faults.toxics import TYPES, Toxic, ToxicError, new_toxic

MARGIN = 0.15  # seconds a toxic's effect may run late on a busy machine (and more where said)


# --- the pure engine: validation -----------------------------------------------------------


def test_a_toxic_has_toxiproxys_defaults():
    toxic = new_toxic("redis", {"type": "latency", "attributes": {"latency": 100}})
    assert toxic.to_json() == {
        "attributes": {"latency": 100, "jitter": 0},
        "name": "latency_downstream",
        "type": "latency",
        "stream": "downstream",
        "toxicity": 1.0,
    }
    assert new_toxic("redis", {"type": "timeout", "stream": "upstream"}).name == "timeout_upstream"


def test_every_type_has_its_attributes_and_only_those():
    assert {kind: [a.name for a in attrs] for kind, attrs in TYPES.items()} == {
        "latency": ["latency", "jitter"],
        "bandwidth": ["rate"],
        "slow_close": ["delay"],
        "timeout": ["timeout"],
        "reset_peer": ["timeout"],
        "limit_data": ["bytes"],
        "slicer": ["average_size", "size_variation", "delay"],
    }


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"type": "latncy"}, ["toxic 'latncy_downstream' on proxy 'redis'", "invalid toxic type 'latncy'", "latency"]),
        ({"type": "latency", "stream": "sideways"}, ["stream was invalid", "'sideways'", "upstream or downstream"]),
        (
            {"type": "latency", "attributes": {"latency": -5}},
            ["toxic 'latency_downstream' on proxy 'redis': latency must be >= 0 ms, got -5", "set it to 0 or more"],
        ),
        ({"type": "latency", "attributes": {"jitter": -1}}, ["jitter must be >= 0 ms, got -1"]),
        ({"type": "bandwidth", "attributes": {"rate": -100}}, ["rate must be >= 0 KB/s, got -100"]),
        ({"type": "limit_data", "attributes": {"bytes": -1}}, ["bytes must be >= 0 bytes, got -1"]),
        ({"type": "timeout", "attributes": {"timeout": -1}}, ["timeout must be >= 0 ms, got -1"]),
        ({"type": "slow_close", "attributes": {"delay": -1}}, ["delay must be >= 0 ms, got -1"]),
        (
            {"type": "latency", "toxicity": 1.5},
            ["toxicity must be from 0 to 1", "got 1.5", "use 1 for every connection"],
        ),
        ({"type": "latency", "toxicity": -0.1}, ["toxicity must be from 0 to 1", "got -0.1"]),
        (
            {"type": "latency", "attributes": {"latancy": 5}},
            ["unknown attribute 'latancy'", "latency (ms), jitter (ms)"],
        ),
        ({"type": "latency", "attributes": {"latency": "100ms"}}, ["latency must be a number of ms, got '100ms'"]),
        ({"type": "latency", "attributes": {"latency": 1.5}}, ["latency must be a whole number of ms, got 1.5"]),
        ({"type": "latency", "attributes": {"latency": True}}, ["latency must be a number of ms, got True"]),
        ({"type": "slicer"}, ["average_size must be >= 1 bytes, got 0"]),
        ({"type": "slicer", "attributes": {"average_size": 5, "size_variation": 9}}, ["size_variation (9)"]),
        ({"stream": "upstream"}, ["missing required field: type", "use one of"]),
        ({"type": "latency", "colour": "red"}, ["unknown field(s) colour"]),
    ],
)
def test_a_bad_toxic_is_refused_naming_the_proxy_the_toxic_and_the_fix(body, says):
    with pytest.raises(ToxicError) as caught:
        new_toxic("redis", body)
    assert caught.value.status == 400
    for text in says:
        assert text in str(caught.value)
    if "type" in body:
        assert "on proxy 'redis'" in str(caught.value)


def test_an_update_changes_only_what_it_names_and_is_validated():
    toxic = new_toxic("redis", {"type": "latency", "toxicity": 0.5, "attributes": {"latency": 100, "jitter": 10}})
    changed = toxic.updated("redis", {"attributes": {"latency": 300}})
    assert changed.attributes == {"latency": 300, "jitter": 10}
    assert changed.toxicity == 0.5
    assert toxic.updated("redis", {"toxicity": 0}).toxicity == 0.0
    with pytest.raises(ToxicError, match=r"toxic 'latency_downstream' on proxy 'redis': latency must be >= 0 ms"):
        toxic.updated("redis", {"attributes": {"latency": -1}})
    with pytest.raises(ToxicError, match="its type cannot change"):
        toxic.updated("redis", {"type": "timeout"})
    assert isinstance(changed, Toxic)


# --- behaviour through a real proxy ---------------------------------------------------------


def _send_in_background(sock: socket.socket, payload: bytes, shut: bool = True) -> threading.Thread:
    def send() -> None:
        sock.sendall(payload)
        if shut:
            sock.shutdown(socket.SHUT_WR)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def test_pass_through_is_byte_exact_both_ways_for_a_large_payload(through, tcp, echo):
    _, address = through()
    payload = os.urandom(24 * 1024 * 1024)
    with tcp.connect(address, timeout=60) as sock:
        sender = _send_in_background(sock, payload)
        got = tcp.recv_until_eof(sock)
        sender.join(60)
    assert len(got) == len(payload)
    assert got == payload
    tcp.wait_for(lambda: payload in echo.received, what="the echo server's record of the payload")


def test_pass_through_keeps_many_small_exchanges_in_order(through, tcp):
    _, address = through()
    with tcp.connect(address) as sock:
        for i in range(500):
            message = f"message {i} ".encode() * (1 + i % 7)
            sock.sendall(message)
            assert tcp.recv_exactly(sock, len(message)) == message


@pytest.mark.parametrize("stream", ["upstream", "downstream"])
def test_latency_is_added_within_its_jitter_in_one_direction(api, through, tcp, stream):
    name, address = through()
    api.add_toxic(name, "latency", stream=stream, attributes={"latency": 200, "jitter": 50})
    with tcp.connect(address) as sock:
        times = [tcp.round_trip(sock) for _ in range(5)]
    assert min(times) >= 0.150, times  # latency - jitter
    assert max(times) <= 0.250 + MARGIN, times  # latency + jitter


def test_latency_in_both_directions_adds_up(api, through, tcp):
    name, address = through()
    api.add_toxic(name, "latency", stream="upstream", attributes={"latency": 150})
    api.add_toxic(name, "latency", stream="downstream", attributes={"latency": 100})
    with tcp.connect(address) as sock:
        times = [tcp.round_trip(sock) for _ in range(3)]
    assert min(times) >= 0.250, times
    assert max(times) <= 0.250 + MARGIN, times


def test_latency_delays_each_chunk_without_serialising_them(api, through, tcp):
    name, address = through()
    api.add_toxic(name, "latency", attributes={"latency": 200})
    with tcp.connect(address) as sock:
        t0 = time.perf_counter()
        for i in range(10):  # ten messages sent 20 ms apart arrive 200 ms later each, not 10 x 200 ms
            sock.sendall(b"%d\n" % i)
            time.sleep(0.02)
        got = tcp.recv_exactly(sock, 20)
        elapsed = time.perf_counter() - t0
    assert got == b"".join(b"%d\n" % i for i in range(10))
    assert 0.2 + 9 * 0.02 <= elapsed <= 0.2 + 9 * 0.02 + 2 * MARGIN, elapsed


def test_limit_data_passes_exactly_n_bytes_to_the_client_then_closes(api, through, tcp):
    name, address = through()
    api.add_toxic(name, "limit_data", attributes={"bytes": 1000})
    payload = os.urandom(50_000)
    with tcp.connect(address) as sock:
        sock.sendall(payload)
        got = tcp.recv_until_eof(sock)
    assert got == payload[:1000]


def test_limit_data_upstream_passes_exactly_n_bytes_to_the_server_then_closes(api, through, tcp, echo):
    name, address = through()
    api.add_toxic(name, "limit_data", stream="upstream", attributes={"bytes": 1000})
    payload = os.urandom(50_000)
    with tcp.connect(address) as sock:
        sock.sendall(payload)
        try:
            tcp.recv_until_eof(sock)
        except ConnectionResetError:  # the proxy closed with the client's unread data: a reset
            pass
    tcp.wait_for(lambda: payload[:1000] in echo.received, what="the server's end after exactly 1000 bytes")


def test_limit_data_counts_over_the_whole_connection(api, through, tcp):
    name, address = through()
    api.add_toxic(name, "limit_data", attributes={"bytes": 25})
    with tcp.connect(address) as sock:
        assert tcp.round_trip(sock, b"0123456789") >= 0
        assert tcp.round_trip(sock, b"abcdefghij") >= 0
        sock.sendall(b"ABCDEFGHIJ")
        assert tcp.recv_until_eof(sock) == b"ABCDE"


@pytest.mark.parametrize("stream", ["upstream", "downstream"])
def test_reset_peer_resets_the_connection_after_its_timeout(api, through, tcp, stream):
    name, address = through()
    api.add_toxic(name, "reset_peer", stream=stream, attributes={"timeout": 300})
    with tcp.connect(address) as sock:
        t0 = time.perf_counter()
        sock.sendall(b"reset toxic payload\n")
        with pytest.raises(ConnectionResetError):
            data = sock.recv(1000)
            pytest.fail(f"expected a reset, got {data!r}")
        elapsed = time.perf_counter() - t0
    assert 0.300 <= elapsed <= 0.300 + MARGIN + 0.5, elapsed


def test_reset_peer_without_timeout_resets_at_the_first_data(api, through, tcp):
    name, address = through()
    api.add_toxic(name, "reset_peer", stream="upstream")
    with tcp.connect(address) as sock:
        t0 = time.perf_counter()
        sock.sendall(b"x")
        with pytest.raises(ConnectionResetError):
            sock.recv(10)
    assert time.perf_counter() - t0 <= MARGIN + 0.5


def test_timeout_stops_the_data_and_closes_after_its_timeout(api, through, tcp):
    name, address = through()
    api.add_toxic(name, "timeout", attributes={"timeout": 400})
    with tcp.connect(address) as sock:
        t0 = time.perf_counter()
        sock.sendall(b"lost in the timeout\n")
        got = tcp.recv_until_eof(sock)  # nothing arrives, then the close
        elapsed = time.perf_counter() - t0
    assert got == b""
    assert 0.400 - 0.01 <= elapsed <= 0.400 + MARGIN + 0.5, elapsed  # counted from the connection's start


def test_timeout_zero_never_closes_and_its_removal_closes(api, through, tcp):
    name, address = through()
    api.add_toxic(name, "timeout", stream="upstream", attributes={"timeout": 0})
    with tcp.connect(address, timeout=0.8) as sock:
        sock.sendall(b"dropped\n")
        with pytest.raises(TimeoutError):
            sock.recv(10)  # no data and no close
        api.remove_toxic(name, "timeout_upstream")
        sock.settimeout(5)
        assert tcp.recv_until_eof(sock) == b""  # as Toxiproxy: the connection that lost data is closed


def test_bandwidth_holds_the_rate(api, through, tcp):
    name, address = through()
    api.add_toxic(name, "bandwidth", attributes={"rate": 200})  # 200 KB/s = 200,000 bytes a second
    payload = os.urandom(120_000)
    with tcp.connect(address) as sock:
        t0 = time.perf_counter()
        _send_in_background(sock, payload)
        got = tcp.recv_until_eof(sock)
        elapsed = time.perf_counter() - t0
    assert got == payload
    assert elapsed >= 0.6, elapsed
    assert elapsed <= 0.6 + MARGIN + 1.0, elapsed


def test_bandwidth_zero_holds_the_data_until_the_rate_is_raised(api, through, tcp):
    name, address = through()
    api.add_toxic(name, "bandwidth", attributes={"rate": 0})
    with tcp.connect(address, timeout=0.5) as sock:
        sock.sendall(b"held")
        with pytest.raises(TimeoutError):
            sock.recv(10)
        api.update_toxic(name, "bandwidth_downstream", attributes={"rate": 1000})
        sock.settimeout(5)
        assert tcp.recv_exactly(sock, 4) == b"held"


def test_slicer_delivers_every_byte_in_slices_its_delay_apart(api, through, tcp):
    name, address = through()
    api.add_toxic(name, "slicer", attributes={"average_size": 10, "size_variation": 0, "delay": 5000})
    payload = os.urandom(320)  # halved down to 32 slices of 10 bytes
    with tcp.connect(address) as sock:
        t0 = time.perf_counter()
        sock.sendall(payload)
        reads = []
        while sum(reads) < len(payload):
            reads.append(len(sock.recv(1000)))
            assert reads[-1], "closed early"
        elapsed = time.perf_counter() - t0
    assert sum(reads) == len(payload)
    assert len(reads) >= 8, reads  # without the slicer the 320 bytes arrive in one read
    assert elapsed >= 31 * 0.005, elapsed  # 31 gaps of 5 ms between the 32 slices


def test_slicer_keeps_the_bytes_exact(api, through, tcp):
    name, address = through()
    api.add_toxic(name, "slicer", stream="upstream", attributes={"average_size": 7, "size_variation": 3})
    payload = os.urandom(200_000)
    with tcp.connect(address) as sock:
        _send_in_background(sock, payload)
        assert tcp.recv_until_eof(sock) == payload


def test_slow_close_delays_the_close(api, through, tcp):
    name, address = through()
    api.add_toxic(name, "slow_close", attributes={"delay": 400})
    with tcp.connect(address) as sock:
        sock.sendall(b"bye\n")
        assert tcp.recv_exactly(sock, 4) == b"bye\n"  # data passes at once
        t0 = time.perf_counter()
        sock.shutdown(socket.SHUT_WR)  # the echo server closes; the proxy passes the close on 400 ms later
        assert sock.recv(10) == b""
        elapsed = time.perf_counter() - t0
    assert 0.400 <= elapsed <= 0.400 + MARGIN + 0.5, elapsed


def test_without_slow_close_the_close_passes_at_once(through, tcp):
    _, address = through()
    with tcp.connect(address) as sock:
        t0 = time.perf_counter()
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(10) == b""
    assert time.perf_counter() - t0 < 0.2


@pytest.mark.parametrize(("toxicity", "slow"), [(0.0, 0), (1.0, 12)])
def test_toxicity_zero_never_applies_and_one_always(api, through, tcp, toxicity, slow):
    name, address = through()
    api.add_toxic(name, "latency", toxicity=toxicity, attributes={"latency": 250})
    times = []
    for _ in range(12):
        with tcp.connect(address) as sock:
            times.append(tcp.round_trip(sock))
    assert sum(t >= 0.25 for t in times) == slow, times
    if slow == 0:
        assert max(times) < 0.2, times


def test_toxicity_is_decided_per_connection(api, through, tcp):
    name, address = through()
    api.add_toxic(name, "latency", toxicity=0.5, attributes={"latency": 150})
    fates = []
    for _ in range(30):
        with tcp.connect(address) as sock:
            first, second = tcp.round_trip(sock) >= 0.15, tcp.round_trip(sock) >= 0.15
        assert first == second, "a connection's toxic applies to all its data or none of it"
        fates.append(first)
    assert 0 < sum(fates) < 30, fates  # both fates met (the chance of missing one is 2 in 10^9)


def test_a_toxic_added_and_removed_acts_on_an_open_connection(api, through, tcp):
    name, address = through()
    with tcp.connect(address) as sock:
        assert tcp.round_trip(sock) < 0.2
        api.add_toxic(name, "latency", attributes={"latency": 300})
        assert tcp.round_trip(sock) >= 0.3
        api.update_toxic(name, "latency_downstream", attributes={"latency": 500})
        assert tcp.round_trip(sock) >= 0.5
        api.remove_toxic(name, "latency_downstream")
        assert tcp.round_trip(sock) < 0.2  # pass-through again, on the same connection


def test_removing_a_latency_toxic_passes_on_what_it_holds_at_once(api, through, tcp):
    name, address = through()
    api.add_toxic(name, "latency", attributes={"latency": 5000})
    with tcp.connect(address) as sock:
        sock.sendall(b"held back")
        time.sleep(0.2)
        t0 = time.perf_counter()
        api.remove_toxic(name, "latency_downstream")
        assert tcp.recv_exactly(sock, 9) == b"held back"
        assert time.perf_counter() - t0 < 1.0


def test_disable_refuses_connections_and_enable_listens_on_the_same_port(api, through, tcp):
    name, address = through()
    with tcp.connect(address) as open_sock:
        assert tcp.round_trip(open_sock) < 0.5
        api.update_proxy(name, enabled=False)
        try:
            assert open_sock.recv(10) == b""  # the open connection is closed
        except ConnectionResetError:
            pass
    with pytest.raises(ConnectionRefusedError):
        tcp.connect(address)
    assert api.proxy(name)["enabled"] is False
    api.update_proxy(name, enabled=True)
    assert api.proxy(name)["listen"] == f"{address[0]}:{address[1]}"
    with tcp.connect(address) as sock:
        assert tcp.round_trip(sock) < 0.5


def test_reset_enables_every_proxy_and_removes_every_toxic(api, through, tcp):
    first, first_address = through()
    second, _ = through()
    api.add_toxic(first, "latency", attributes={"latency": 400})
    api.add_toxic(second, "timeout", stream="upstream")
    api.update_proxy(second, enabled=False)
    api.reset()
    proxies = api.proxies()
    assert [(p["enabled"], p["toxics"]) for p in (proxies[first], proxies[second])] == [(True, []), (True, [])]
    with tcp.connect(first_address) as sock:
        assert tcp.round_trip(sock) < 0.2


# --- a real service through the proxy ---------------------------------------------------------


@pytest.fixture
def redis_through(api, redis_url):
    from urllib.parse import urlsplit, urlunsplit

    from crosscheck.services import redis

    parts = urlsplit(redis_url)
    if parts.scheme != "redis":
        pytest.fail(f"the Redis tests need a redis:// URL to proxy, got {parts.scheme}://")
    name = f"redis-{os.getpid()}"
    listen = api.create_proxy(name, f"{parts.hostname}:{parts.port}")["listen"]
    userinfo = parts.netloc.rpartition("@")[0]
    url = urlunsplit((parts.scheme, f"{userinfo}@{listen}" if userinfo else listen, parts.path, "", ""))
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client = redis.client(url, socket_timeout=10, retry=Retry(NoBackoff(), 0))  # an outage fails at once
    try:
        yield name, client
    finally:
        client.close()


def test_redis_through_the_proxy_stores_and_reads_a_large_value_exactly(redis_through):
    _, client = redis_through
    key = f"crosscheck:faults:test:{os.getpid()}"
    value = os.urandom(4 * 1024 * 1024)
    try:
        client.set(key, value)
        assert client.get(key) == value
    finally:
        client.delete(key)


def test_redis_through_the_proxy_feels_latency_and_an_outage(api, redis_through):
    import redis as redis_py

    name, client = redis_through
    assert client.ping()
    api.add_toxic(name, "latency", attributes={"latency": 200})
    t0 = time.perf_counter()
    assert client.ping()
    assert 0.2 <= time.perf_counter() - t0 <= 0.2 + MARGIN + 0.3
    api.remove_toxic(name, "latency_downstream")
    api.update_proxy(name, enabled=False)
    with pytest.raises(redis_py.ConnectionError, match=r"(?i)refused|closed|reset"):
        client.ping()
    api.update_proxy(name, enabled=True)
    assert client.ping()


# --- data that arrives before the proxied connection is wired ---------------------------------


def test_a_server_that_speaks_first_is_heard_on_every_connection(through, tcp, greeting_server):
    _, address = through(upstream=greeting_server.address)
    for i in range(200):
        with tcp.connect(address) as sock:
            assert tcp.recv_exactly(sock, len(greeting_server.greeting)) == greeting_server.greeting, f"connection {i}"
            sock.sendall(b"ping")
            assert tcp.recv_exactly(sock, 4) == b"ping", f"connection {i}"


def test_a_client_that_speaks_at_once_loses_nothing(through, tcp, echo):
    # a database client sends its start-up message as soon as the connection opens, before the
    # proxy has opened its own connection upstream (here slower still: the upstream is a host name
    # to resolve); those bytes, and an EOF right after them, wait for it
    _, address = through(upstream=echo.address.replace("127.0.0.1", "localhost"))
    for i in range(200):
        message = f"startup {i}".encode()
        sock = socket.socket()
        sock.settimeout(10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with sock:
            sock.connect(address)
            sock.sendall(message)
            if i % 2:
                sock.shutdown(socket.SHUT_WR)
                assert tcp.recv_until_eof(sock) == message, f"connection {i}"
            else:
                assert tcp.recv_exactly(sock, len(message)) == message, f"connection {i}"
