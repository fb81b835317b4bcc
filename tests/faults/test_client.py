"""crosscheck's Toxiproxy client (``crosscheck.services.toxiproxy``) against a real server.

Every test runs against crosscheck's fault proxy and, when ``CROSSCHECK_TOXIPROXY_URL`` is set,
against that server too (a real Toxiproxy): the same client must drive both. Against the
configured server only what Toxiproxy itself guarantees is checked (shapes, status codes); the
wording of errors is checked on crosscheck's server. The configured server must reach this
machine's 127.0.0.1 (run it here, or in a container with host networking): its proxies forward to
a test server there.
"""

from __future__ import annotations

import os
import socket
import time

import pytest

from crosscheck.errors import CrosscheckError, ServiceUnavailable
from crosscheck.services import toxiproxy
from crosscheck.services.toxiproxy import SERVICE, Toxiproxy, ToxiproxyError

CONFIGURED = os.environ.get("CROSSCHECK_TOXIPROXY_URL", "").strip()


@pytest.fixture(params=["crosscheck", "configured"])
def server(request, fault_proxy, echo):
    """A client of one server; the proxies a test creates are deleted when it ends."""
    if request.param == "configured":
        if not CONFIGURED:
            pytest.skip(
                "CROSSCHECK_TOXIPROXY_URL is not set: no Toxiproxy server of your own to test the client against"
            )
        url = CONFIGURED
    else:
        url = fault_proxy.url
    client = Toxiproxy(url)
    before = set(client.proxies())
    try:
        yield client
    finally:
        for name in set(client.proxies()) - before:
            client.delete_proxy(name)
        client.close()


def _name(prefix: str) -> str:
    return f"crosscheck-{prefix}-{os.getpid()}-{time.monotonic_ns() % 10**9}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_version_is_a_version_string(server):
    version = server.version()
    assert isinstance(version, str) and version, version  # "2.12.0"; a build from source says "git"


def test_create_list_show_update_and_delete_a_proxy(server, echo):
    name = _name("proxy")
    created = server.create_proxy(name, echo.address)
    assert created["name"] == name and created["upstream"] == echo.address and created["enabled"] is True
    assert not created["listen"].endswith(":0")
    assert server.proxies()[name]["listen"] == created["listen"]
    assert server.proxy(name)["toxics"] == []
    assert server.update_proxy(name, enabled=False)["enabled"] is False
    assert server.update_proxy(name, enabled=True)["enabled"] is True
    server.delete_proxy(name)
    assert name not in server.proxies()


def test_add_update_list_and_remove_toxics(server, echo, tcp):
    name = _name("toxics")
    listen = server.create_proxy(name, echo.address)["listen"]
    added = server.add_toxic(name, "latency", attributes={"latency": 200})
    assert (added["name"], added["type"], added["stream"], added["toxicity"]) == (
        "latency_downstream",
        "latency",
        "downstream",
        1.0,
    )
    assert added["attributes"]["latency"] == 200
    named = server.add_toxic(name, "limit_data", stream="upstream", toxicity=0.5, attributes={"bytes": 10}, name="cap")
    assert named["name"] == "cap" and named["toxicity"] == 0.5
    assert {t["name"] for t in server.toxics(name)} == {"latency_downstream", "cap"}
    changed = server.update_toxic(name, "latency_downstream", attributes={"latency": 300})
    assert changed["attributes"]["latency"] == 300 and changed["toxicity"] == 1.0
    assert server.update_toxic(name, "cap", toxicity=0.25)["toxicity"] == 0.25
    server.remove_toxic(name, "cap")
    host, _, port = listen.rpartition(":")
    with tcp.connect((host, int(port))) as sock:
        assert tcp.round_trip(sock) >= 0.3  # the updated latency is what the connection meets
    server.remove_toxic(name, "latency_downstream")
    assert server.toxics(name) == []


def test_reset_enables_proxies_and_removes_toxics(server, echo):
    name = _name("reset")
    server.create_proxy(name, echo.address, enabled=False)
    server.add_toxic(name, "timeout", attributes={"timeout": 0})
    server.reset()
    assert server.proxy(name)["enabled"] is True and server.proxy(name)["toxics"] == []


def test_refusals_carry_the_status_and_name_the_proxy(server, echo):
    name = _name("refused")
    server.create_proxy(name, echo.address)
    with pytest.raises(ToxiproxyError) as conflict:
        server.create_proxy(name, echo.address)
    assert conflict.value.status == 409
    assert str(conflict.value).startswith(f"Toxiproxy at {server.url}: ")
    assert f"'{name}'" in str(conflict.value)
    with pytest.raises(ToxiproxyError) as missing:
        server.proxy(name + "-absent")
    assert missing.value.status == 404
    assert f"proxy '{name}-absent'" in str(missing.value)
    with pytest.raises(ToxiproxyError) as unknown:
        server.remove_toxic(name, "absent")
    assert unknown.value.status == 404
    with pytest.raises(ToxiproxyError) as bad:
        server.add_toxic(name, "latency", stream="sideways")
    assert bad.value.status == 400
    assert isinstance(bad.value, CrosscheckError)


def test_the_wording_of_a_refusal_is_toxiproxy_at_url_proxy_and_the_servers_message(fault_proxy, echo):
    with Toxiproxy(fault_proxy.url) as client:
        name = _name("wording")
        client.create_proxy(name, echo.address)
        try:
            with pytest.raises(ToxiproxyError) as caught:
                client.add_toxic(name, "latency", attributes={"latency": -5})
            assert str(caught.value) == (
                f"Toxiproxy at {fault_proxy.url}: toxic 'latency_downstream' on proxy '{name}': "
                "latency must be >= 0 ms, got -5; set it to 0 or more (HTTP 400)"
            )
            assert caught.value.message.startswith("toxic 'latency_downstream'") and caught.value.proxy == name
            with pytest.raises(ToxiproxyError, match=rf"^Toxiproxy at \S+: proxy '{name}-x': proxy not found"):
                client.delete_proxy(name + "-x")
        finally:
            client.delete_proxy(name)


def test_a_server_that_does_not_answer_is_one_line_naming_the_address_and_the_fix():
    url = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(ServiceUnavailable) as caught:
        Toxiproxy(url).proxies()
    text = str(caught.value)
    assert text.startswith(f"Toxiproxy at {url} refused the connection (nothing listens there)")
    assert "CROSSCHECK_TOXIPROXY_URL" in text
    with pytest.raises(ServiceUnavailable):
        SERVICE.version(url)


def test_check_upstream_names_an_upstream_that_does_not_answer(echo):
    Toxiproxy.check_upstream(echo.address)  # answers: no error
    dead = f"127.0.0.1:{_free_port()}"
    with pytest.raises(ServiceUnavailable) as caught:
        Toxiproxy.check_upstream(dead)
    assert str(caught.value).startswith(f"upstream {dead} does not answer (Connection refused)")
    assert "start the service there, or give the proxy the right upstream" in str(caught.value)
    with pytest.raises(ServiceUnavailable, match="is not 'host:port'"):
        Toxiproxy.check_upstream("localhost")


def test_the_service_reads_its_url_from_the_environment_and_reports_the_version(monkeypatch, fault_proxy):
    monkeypatch.setenv("CROSSCHECK_TOXIPROXY_URL", fault_proxy.url)
    assert toxiproxy.url() == fault_proxy.url
    assert SERVICE.version(fault_proxy.url).startswith("2.")
    assert SERVICE.doctor() == []
    with toxiproxy.client() as client:
        assert client.url == fault_proxy.url
    assert (SERVICE.name, SERVICE.title, SERVICE.env, SERVICE.embedded) == (
        "toxiproxy",
        "Toxiproxy",
        "CROSSCHECK_TOXIPROXY_URL",
        True,
    )
    from crosscheck import services

    assert services.get("toxiproxy") is SERVICE
