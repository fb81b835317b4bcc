"""The fault proxy server: its HTTP API (shapes, status codes, error wording) and its process's life.

The API is spoken with raw HTTP (httpx), not through crosscheck's client, so the JSON and the
status codes are what is checked. Every process a test starts is stopped in its ``finally``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import httpx
import psutil
import pytest

from crosscheck.errors import CrosscheckError
from crosscheck.faults import launch


@pytest.fixture
def http(fault_proxy, api):  # ``api`` deletes the proxies a test leaves
    with httpx.Client(base_url=fault_proxy.url, timeout=10) as client:
        yield client


def _error(resp: httpx.Response, status: int, *says: str) -> str:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["status"] == status and set(body) == {"error", "status"}, body
    for text in says:
        assert text in body["error"], body["error"]
    return body["error"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _refused(url: str) -> bool:
    try:
        httpx.get(url + "/version", timeout=1)
    except httpx.ConnectError:
        return True
    return False


# --- the HTTP API ----------------------------------------------------------------------------


def test_version_answers_like_toxiproxy_and_says_it_is_crosschecks(http):
    resp = http.get("/version")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/json")
    version = resp.json()["version"]
    assert version.startswith("2.") and "+crosscheck." in version  # semver with build metadata


def test_a_proxy_is_created_listed_shown_updated_and_deleted(http, echo):
    resp = http.post("/proxies", json={"name": "shop", "upstream": echo.address, "listen": "127.0.0.1:0"})
    assert resp.status_code == 201
    created = resp.json()
    host, _, port = created["listen"].rpartition(":")
    assert host == "127.0.0.1" and int(port) > 0  # port 0: the answer carries the real one
    assert created == {
        "name": "shop",
        "listen": created["listen"],
        "upstream": echo.address,
        "enabled": True,
        "toxics": [],
    }
    assert http.get("/proxies").json() == {"shop": created}
    assert http.get("/proxies/shop").json() == created
    updated = http.post("/proxies/shop", json={"enabled": False})
    assert updated.status_code == 200 and updated.json()["enabled"] is False
    assert http.patch("/proxies/shop", json={"enabled": True}).json()["enabled"] is True
    assert http.delete("/proxies/shop").status_code == 204
    assert http.get("/proxies").json() == {}
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, int(port)), timeout=2).close()


def test_a_proxy_created_disabled_does_not_listen_until_enabled(http, echo):
    port = _free_port()
    resp = http.post(
        "/proxies", json={"name": "later", "upstream": echo.address, "listen": f"127.0.0.1:{port}", "enabled": False}
    )
    assert resp.status_code == 201 and resp.json()["enabled"] is False
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert http.post("/proxies/later", json={"enabled": True}).json()["listen"] == f"127.0.0.1:{port}"
    socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_toxics_are_added_listed_shown_updated_and_removed(http, echo):
    http.post("/proxies", json={"name": "db", "upstream": echo.address})
    resp = http.post("/proxies/db/toxics", json={"type": "latency", "attributes": {"latency": 100, "jitter": 5}})
    assert resp.status_code == 200  # as Toxiproxy answers it
    toxic = resp.json()
    assert toxic == {
        "attributes": {"latency": 100, "jitter": 5},
        "name": "latency_downstream",
        "type": "latency",
        "stream": "downstream",
        "toxicity": 1.0,
    }
    http.post(
        "/proxies/db/toxics",
        json={"type": "bandwidth", "stream": "upstream", "name": "slow", "attributes": {"rate": 10}},
    )
    listed = http.get("/proxies/db/toxics").json()
    assert [t["name"] for t in listed] == ["slow", "latency_downstream"]  # upstream chain first, as Toxiproxy
    assert http.get("/proxies/db").json()["toxics"] == listed
    assert http.get("/proxies/db/toxics/slow").json()["attributes"] == {"rate": 10}
    changed = http.patch(
        "/proxies/db/toxics/latency_downstream", json={"attributes": {"latency": 300}, "toxicity": 0.5}
    )
    assert changed.status_code == 200
    assert changed.json()["attributes"] == {"latency": 300, "jitter": 5} and changed.json()["toxicity"] == 0.5
    assert http.delete("/proxies/db/toxics/slow").status_code == 204
    assert [t["name"] for t in http.get("/proxies/db/toxics").json()] == ["latency_downstream"]


def test_reset_answers_204_and_clears_everything(http, echo):
    http.post("/proxies", json={"name": "a", "upstream": echo.address, "enabled": False})
    http.post("/proxies/a/toxics", json={"type": "timeout"})
    assert http.post("/reset").status_code == 204
    assert http.get("/proxies/a").json()["enabled"] is True
    assert http.get("/proxies/a/toxics").json() == []


def test_populate_creates_and_keeps_what_is_unchanged(http, echo):
    port = _free_port()
    wanted = [{"name": "pop", "upstream": echo.address, "listen": f"127.0.0.1:{port}"}]
    first = http.post("/populate", json=wanted)
    assert first.status_code == 201 and [p["name"] for p in first.json()["proxies"]] == ["pop"]
    http.post("/proxies/pop/toxics", json={"type": "latency"})
    again = http.post("/populate", json=wanted)
    assert again.json()["proxies"][0]["toxics"] != []  # the same proxy, kept with its toxic


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"type": "latncy"}, ["toxic 'latncy_downstream' on proxy 'web'", "invalid toxic type", "use one of"]),
        ({"type": "latency", "stream": "up"}, ["on proxy 'web'", "stream was invalid", "'up'"]),
        (
            {"type": "latency", "attributes": {"latency": -5}},
            ["toxic 'latency_downstream' on proxy 'web': latency must be >= 0 ms, got -5"],
        ),
        (
            {"type": "bandwidth", "attributes": {"rate": -1}},
            ["toxic 'bandwidth_downstream' on proxy 'web': rate must be >= 0 KB/s"],
        ),
        ({"type": "latency", "toxicity": 2}, ["on proxy 'web'", "toxicity must be from 0 to 1", "got 2"]),
        ({"type": "latency", "toxicity": -1}, ["toxicity must be from 0 to 1", "got -1"]),
        ({"type": "latency", "attributes": {"delay": 5}}, ["unknown attribute 'delay' for a latency toxic"]),
        ({"type": "latency", "attributes": {"latency": "slow"}}, ["latency must be a number of ms, got 'slow'"]),
    ],
)
def test_a_bad_toxic_is_answered_400_naming_the_proxy_the_toxic_and_the_fix(http, echo, body, says):
    http.post("/proxies", json={"name": "web", "upstream": echo.address})
    _error(http.post("/proxies/web/toxics", json=body), 400, *says)
    assert http.get("/proxies/web/toxics").json() == []


def test_bad_input_is_answered_with_the_right_status_and_says_what_to_do(http, echo):
    http.post("/proxies", json={"name": "web", "upstream": echo.address})
    _error(
        http.post("/proxies", json={"name": "web", "upstream": echo.address}),
        409,
        "proxy already exists: 'web'",
        "delete it first",
    )
    _error(http.post("/proxies", json={"upstream": echo.address}), 400, "missing required field: name")
    _error(http.post("/proxies", json={"name": "x"}), 400, "missing required field: upstream")
    _error(
        http.post("/proxies", json={"name": "x", "upstream": "nohost"}),
        400,
        "proxy 'x': upstream 'nohost' is not 'host:port'",
    )
    _error(
        http.post("/proxies", json={"name": "x", "upstream": echo.address, "listen": "0.0.0.0:0"}),
        400,
        "proxy 'x': listen '0.0.0.0:0' is not on 127.0.0.1",
        "use 127.0.0.1:0",
    )
    _error(http.post("/proxies", content=b"{not json"), 400, "bad request body")
    _error(http.get("/proxies/nope"), 404, "proxy not found: 'nope'", "'web'")
    _error(http.post("/proxies/nope/toxics", json={"type": "latency"}), 404, "proxy not found: 'nope'")
    _error(http.get("/proxies/web/toxics/nope"), 404, "toxic not found: 'nope' on proxy 'web'")
    _error(http.delete("/proxies/web/toxics/nope"), 404, "toxic not found: 'nope' on proxy 'web'")
    http.post("/proxies/web/toxics", json={"type": "latency"})
    _error(
        http.post("/proxies/web/toxics", json={"type": "latency"}),
        409,
        "toxic already exists: 'latency_downstream' on proxy 'web'",
    )
    _error(
        http.patch("/proxies/web/toxics/latency_downstream", json={"toxicity": 7}),
        400,
        "toxicity must be from 0 to 1",
        "got 7",
    )
    _error(http.get("/nothing"), 404, "no such endpoint: GET /nothing")
    _error(http.put("/proxies"), 405, "method PUT is not allowed on /proxies")


def test_a_listen_port_in_use_is_a_409_naming_the_address_and_the_other_process(http, echo):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = f"127.0.0.1:{squatter.getsockname()[1]}"
        message = _error(
            http.post("/proxies", json={"name": "clash", "upstream": echo.address, "listen": taken}),
            409,
            f"proxy 'clash': listen address {taken} is already in use",
            "another process holds it",
            "127.0.0.1:0 picks a free one",
        )
        assert "clash" not in http.get("/proxies").json(), message
        http.post("/proxies", json={"name": "moving", "upstream": echo.address})
        _error(http.post("/proxies/moving", json={"listen": taken}), 409, f"listen address {taken} is already in use")


def test_a_browser_is_refused_as_toxiproxy_refuses_it(http):
    assert http.get("/version", headers={"User-Agent": "Mozilla/5.0"}).status_code == 403


def test_keep_alive_serves_several_requests_on_one_connection(fault_proxy):
    host, _, port = fault_proxy.url.removeprefix("http://").rpartition(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        request = b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n"
        sock.sendall(request + request)
        data = b""
        while data.count(b"HTTP/1.1 200") < 2:
            chunk = sock.recv(4096)
            assert chunk, data
            data += chunk


def test_an_upstream_that_does_not_answer_closes_each_client_and_is_logged_once_per_connection(api, fault_proxy, tcp):
    dead = f"127.0.0.1:{_free_port()}"
    name = f"dead-{os.getpid()}"
    listen = api.create_proxy(name, dead)["listen"]  # allowed, as Toxiproxy allows it
    host, _, port = listen.rpartition(":")
    for _ in range(2):
        with tcp.connect((host, int(port)), timeout=5) as sock:
            try:
                assert sock.recv(10) == b""
            except ConnectionResetError:
                pass

    def logged() -> int:
        return sum(
            1
            for line in fault_proxy.log.read_text().splitlines()
            if f"proxy {name!r}: upstream {dead} does not answer" in line
        )

    tcp.wait_for(lambda: logged() == 2, what="two log lines about the upstream")
    time.sleep(0.2)
    assert logged() == 2


# --- the process -----------------------------------------------------------------------------


def test_stop_ends_the_process_and_closes_its_ports(tmp_path):
    proc = launch.start(tmp_path)
    try:
        assert proc.alive()
        assert json.loads(httpx.get(proc.url + "/version", timeout=5).text)["version"]
        proc.stop()
        assert not proc.alive() and _gone(proc.pid)
        assert _refused(proc.url)
        assert "fault proxy stopped" in (tmp_path / "fault-proxy.log").read_text()
    finally:
        proc.stop()


def test_sigint_stops_it_cleanly_closing_listeners_and_connections(tmp_path, echo, tcp):
    proc = launch.start(tmp_path)
    try:
        from crosscheck.services.toxiproxy import Toxiproxy

        with Toxiproxy(proc.url) as client:
            listen = client.create_proxy("ctrl-c", echo.address)["listen"]
        host, _, port = listen.rpartition(":")
        sock = tcp.connect((host, int(port)), timeout=5)
        assert tcp.round_trip(sock) < 1
        os.kill(proc.pid, signal.SIGINT)
        assert proc.proc.wait(5) == 0
        try:
            assert sock.recv(10) == b""  # its connection was closed
        except ConnectionResetError:
            pass
        sock.close()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((host, int(port)), timeout=2).close()
        assert _refused(proc.url)
    finally:
        proc.stop()


def test_it_stops_when_its_owner_is_gone(tmp_path):
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    proc = None
    try:
        created = psutil.Process(owner.pid).create_time()
        proc = launch.start(tmp_path, owner=(owner.pid, created))
        assert proc.alive()
        owner.kill()
        owner.wait(5)
        proc.proc.wait(5)  # polls its owner every 0.5 s
        assert "owner process" in (tmp_path / "fault-proxy.log").read_text()
    finally:
        owner.kill()
        owner.wait(5)
        if proc is not None:
            proc.stop()


def test_it_dies_with_the_process_that_started_it(tmp_path):
    starter = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from crosscheck.faults import launch
        proc = launch.start(Path({str(tmp_path)!r}))
        print(proc.pid, flush=True)
        time.sleep(60)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", starter], stdout=subprocess.PIPE, text=True)
    pid = None
    try:
        assert parent.stdout is not None
        pid = int(parent.stdout.readline())
        assert not _gone(pid)
        parent.kill()  # SIGKILL: no chance to stop its child; the kernel's parent-death signal does it
        parent.wait(5)
        deadline = time.monotonic() + 10
        while not _gone(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _gone(pid), f"fault proxy {pid} outlived its parent"
    finally:
        parent.kill()
        parent.wait(5)
        if pid is not None and not _gone(pid):
            os.kill(pid, signal.SIGKILL)


def test_a_proxy_that_cannot_start_raises_with_the_end_of_its_log(tmp_path):
    with pytest.raises(
        CrosscheckError, match=r"(?s)exited with code 1 while starting.*owner process \d+ is not running"
    ):
        launch.start(tmp_path, owner=(2**22 + 12345, 1.0))
