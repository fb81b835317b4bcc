"""The fault proxy: a TCP proxy with Toxiproxy's model and the HTTP API subset crosscheck uses.

Usage: python -m crosscheck.faults.proxy --host 127.0.0.1 --port 0 --ready-file PATH [--owner PID:CREATE_TIME]

One asyncio process serves the HTTP API and one TCP listener per proxy, all on 127.0.0.1. A
proxy passes bytes through unchanged until toxics (:mod:`crosscheck.faults.toxics`) are added;
toxics act on the open connections too. Disabling a proxy closes its listener and its
connections (the service looks down: connection refused); enabling it listens again on the same
address.

HTTP API (JSON; the shapes and status codes of Toxiproxy 2.x):

| ``GET /version`` | ``{"version": "2.12.0+crosscheck.<version>"}`` |
| ``GET /proxies`` | name -> proxy ``{"name", "listen", "upstream", "enabled", "toxics"}`` |
| ``POST /proxies`` | ``name``, ``upstream``, ``listen`` (port 0: a free one), ``enabled``; 201, 409 if it exists |
| ``POST /populate`` | a list of proxies, created or replaced; 201 ``{"proxies": [...]}`` |
| ``GET``, ``POST`` (``PATCH``), ``DELETE /proxies/{name}`` | show, update ``enabled``/``listen``/``upstream``, delete (204) |
| ``GET``, ``POST /proxies/{name}/toxics`` | list, add (200) |
| ``GET``, ``POST`` (``PATCH``), ``DELETE /proxies/{name}/toxics/{toxic}`` | show, update, remove (204) |
| ``POST /reset`` | every proxy enabled, every toxic removed; 204 |

Errors answer ``{"error": "...", "status": N}``: 400 for bad input, 404 for no such proxy or
toxic, 409 for a name that exists or a listen address another process holds.

When the HTTP API listens it writes ``{"url": "http://127.0.0.1:PORT", "pid": N}`` to the ready
file (atomically). It stops, closing every listener and connection, on SIGTERM, SIGINT or SIGHUP,
when the ``--owner`` process is gone, and when its parent dies (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import errno
import json
import logging
import os
import signal
import socket
import struct
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import psutil

from crosscheck import __version__
from crosscheck.faults.toxics import CLOSE, EOF, STREAMS, Item, Stage, Toxic, ToxicError, new_toxic

TOXIPROXY_API = "2.12.0"  # the Toxiproxy release whose HTTP API this server follows
VERSION = f"{TOXIPROXY_API}+crosscheck.{__version__}"  # semver build metadata marks crosscheck's proxy
HOST = "127.0.0.1"
HIGH_WATER = 1 << 20  # bytes a link's toxics may hold before its sender is paused
LOW_WATER = 1 << 18  # ... and resumed
UPSTREAM_TIMEOUT = 10.0  # seconds to open the upstream connection
OWNER_POLL = 0.5
IDLE_TIMEOUT = 60.0  # an idle HTTP keep-alive connection is closed after this
MAX_BODY = 1 << 20
MAX_HEADERS = 100

log = logging.getLogger("crosscheck.faults.proxy")

_REASONS = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 403: "Forbidden", 404: "Not Found"}
_REASONS.update({405: "Method Not Allowed", 409: "Conflict", 413: "Payload Too Large", 500: "Internal Server Error"})


class ApiError(Exception):
    """An HTTP error answer: ``{"error": message, "status": status}``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


# --- connections ---------------------------------------------------------------------------

PAUSE_DEST = 1  # the peer's write buffer is full
PAUSE_PIPELINE = 2  # the toxics hold too much
PAUSE_CONNECTING = 4  # the upstream connection is not open yet


class Side(asyncio.Protocol):
    """One socket of a proxied connection: the client's or the upstream's."""

    def __init__(self, conn: Connection, role: str):
        self.conn = conn
        self.role = role
        self.transport: asyncio.Transport | None = None
        self.sink: Callable[[bytes], None] = self._early  # where received data goes (set by the link)
        self.out: Link | None = None  # the link this side sends into
        self.into: Link | None = None  # the link that writes to this side
        self.blocked = 0
        self.eof = False
        self.early = bytearray()  # what came before the connection was wired

    def _early(self, data: bytes) -> None:
        # A client that speaks at once (a database's start-up message) or a server that greets
        # first can send before both sockets are open and the toxics are in place; pausing in
        # connection_made does not stop the first read on every Python. Kept, sent once wired.
        self.early += data

    def flush_early(self) -> None:
        """Send what came before the connection was wired (and an EOF that followed it) on its way."""
        if self.early:
            data = bytes(self.early)
            self.early.clear()
            self.sink(data)
        if self.eof and self.out is not None:
            self.out.head(EOF)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if self.role == "client":
            self.conn.accepted()

    def data_received(self, data: bytes) -> None:
        self.sink(data)

    def eof_received(self) -> bool:
        if not self.eof and self.out is not None:
            self.eof = True
            if self.out.wired:  # else flush_early sends it, after the data that came before it
                self.out.head(EOF)
        return True  # keep the socket open to write what the other direction still sends

    def connection_lost(self, exc: Exception | None) -> None:
        self.conn.lost()

    def pause_writing(self) -> None:
        if self.into is not None:
            self.into.source.block(PAUSE_DEST)

    def resume_writing(self) -> None:
        if self.into is not None:
            self.into.source.unblock(PAUSE_DEST)

    def block(self, reason: int) -> None:
        if not self.blocked and self.transport is not None:
            self.transport.pause_reading()
        self.blocked |= reason

    def unblock(self, reason: int) -> None:
        if self.blocked & reason:
            self.blocked &= ~reason
            if not self.blocked and not self.eof and self.transport is not None and not self.transport.is_closing():
                self.transport.resume_reading()

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)


class Link:
    """One direction of a connection: the source side's data through the toxics to the other side."""

    def __init__(self, conn: Connection, stream: str, source: Side, dest: Side):
        self.conn = conn
        self.stream = stream
        self.source = source
        self.dest = dest
        source.out = self
        dest.into = self
        self.stages: list[Stage] = []
        self.head: Callable[[Item], None] = self.deliver
        self.held = 0
        self.done = False
        self.wired = False  # toxics change a link once both its sockets are open (before, wire() takes them all)

    def wire(self, toxics: list[Toxic]) -> None:
        loop = asyncio.get_running_loop()
        self.stages = [Stage.create(toxic, self, loop) for toxic in toxics]
        self.wired = True
        self.rewire()
        for stage in self.stages:
            stage.start()

    def rewire(self) -> None:
        nxt: Callable[[Item], None] = self.deliver
        for stage in reversed(self.stages):
            stage.output = nxt
            nxt = stage.push
        self.head = nxt
        if self.stages:
            self.source.sink = nxt
        else:  # no toxic: received data is written straight to the other socket
            transport = self.dest.transport
            self.source.sink = transport.write if transport is not None else self.dest.write

    def deliver(self, item: Item) -> None:
        if isinstance(item, bytes):
            if item:
                self.dest.write(item)
        elif item is EOF:
            self.done = True
            transport = self.dest.transport
            if transport is not None and not transport.is_closing() and transport.can_write_eof():
                transport.write_eof()
            self.conn.half_closed()
        elif item is CLOSE:
            self.conn.close()

    def add(self, toxic: Toxic) -> None:
        if not self.wired:
            return
        stage = Stage.create(toxic, self, asyncio.get_running_loop())
        self.stages.append(stage)
        self.rewire()
        stage.start()

    def remove(self, name: str) -> None:
        for i, stage in enumerate(self.stages):
            if stage.toxic.name == name:
                del self.stages[i]
                self.rewire()
                stage.remove()
                return

    def update(self, toxic: Toxic) -> None:
        for stage in self.stages:
            if stage.toxic.name == toxic.name:
                stage.update(toxic)

    def stop(self) -> None:
        for stage in self.stages:
            stage.stop()

    # what the stages ask of the link (crosscheck.faults.toxics.LinkHooks)
    def hold(self, size: int) -> None:
        self.held += size
        if self.held > HIGH_WATER:
            self.source.block(PAUSE_PIPELINE)

    def release(self, size: int) -> None:
        self.held -= size
        if self.held < LOW_WATER:
            self.source.unblock(PAUSE_PIPELINE)

    def reset(self) -> None:
        self.conn.reset()


class Connection:
    """A client connection accepted by a proxy and its connection to the upstream."""

    def __init__(self, proxy: Proxy):
        self.proxy = proxy
        self.generation = proxy.generation  # the listener that accepted it
        self.client = Side(self, "client")
        self.upstream = Side(self, "upstream")
        self.links = {
            "upstream": Link(self, "upstream", self.client, self.upstream),
            "downstream": Link(self, "downstream", self.upstream, self.client),
        }
        self.peer = "?"
        self.finished = False
        self.task: asyncio.Task[None] | None = None

    def accepted(self) -> None:
        self.client.block(PAUSE_CONNECTING)
        assert self.client.transport is not None
        if not self.proxy.enabled or self.proxy.generation != self.generation:
            self.client.transport.abort()  # accepted just before its listener was closed
            return
        peer = self.client.transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"
        self.proxy.connections.add(self)
        self.task = asyncio.get_running_loop().create_task(self.open())

    async def open(self) -> None:
        host, port = self.proxy.upstream_address()
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(loop.create_connection(lambda: self.upstream, host, port), UPSTREAM_TIMEOUT)
        except (TimeoutError, OSError) as exc:
            cause = f"no answer within {UPSTREAM_TIMEOUT:g} s" if isinstance(exc, TimeoutError) else exc
            log.warning(
                "proxy %r: upstream %s does not answer (%s); closed client %s. Start the upstream service "
                "or fix the proxy's upstream",
                self.proxy.name,
                self.proxy.upstream,
                cause,
                self.peer,
            )
            self.close()
            return
        if self.finished:
            self.close()
            return
        for stream, link in self.links.items():
            link.wire(self.proxy.chain(stream))
        for side in (self.client, self.upstream):
            side.flush_early()
        self.client.unblock(PAUSE_CONNECTING)

    def half_closed(self) -> None:
        if all(link.done for link in self.links.values()):
            self.close()

    def _end(self) -> list[asyncio.Transport]:
        if self.finished:
            return []
        self.finished = True
        self.proxy.connections.discard(self)
        if self.task is not None and not self.task.done() and self.task is not asyncio.current_task():
            self.task.cancel()
        for link in self.links.values():
            link.stop()
        return [t for t in (self.client.transport, self.upstream.transport) if t is not None and not t.is_closing()]

    def close(self) -> None:
        """Close both sockets after what was written to them has been sent."""
        for transport in self._end():
            transport.close()

    def abort(self) -> None:
        """Close both sockets at once (the proxy is disabled, deleted or stopping)."""
        for transport in self._end():
            transport.abort()

    def reset(self) -> None:
        """Reset both sockets: each peer sees a TCP RST (connection reset by peer)."""
        for transport in self._end():
            sock = transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()

    def lost(self) -> None:
        self.close()


# --- proxies ---------------------------------------------------------------------------------


def parse_listen(proxy: str, value: object) -> tuple[str, int]:
    """``127.0.0.1:PORT`` (also ``localhost:PORT``, ``:PORT``; empty: ``127.0.0.1:0``) as host and port."""
    if value is None or value == "":
        return HOST, 0
    if not isinstance(value, str):
        raise ApiError(400, f"proxy {proxy!r}: listen must be a string 'host:port', got {value!r}")
    host, sep, port_text = value.rpartition(":")
    host = host.strip("[]")
    if not sep or not port_text.isdigit() or int(port_text) > 65535:
        raise ApiError(
            400, f"proxy {proxy!r}: listen {value!r} is not 'host:port'; use 127.0.0.1:PORT (port 0 picks a free one)"
        )
    if host not in ("", "localhost", HOST):
        raise ApiError(
            400,
            f"proxy {proxy!r}: listen {value!r} is not on {HOST}; crosscheck's fault proxy listens on {HOST} only: "
            f"use {HOST}:{port_text} ({HOST}:0 picks a free port)",
        )
    return HOST, int(port_text)


def parse_upstream(proxy: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ApiError(400, f"missing required field: upstream (proxy {proxy!r}: the 'host:port' it forwards to)")
    host, sep, port_text = value.rpartition(":")
    if not sep or not host.strip("[]") or not port_text.isdigit() or not 0 < int(port_text) <= 65535:
        raise ApiError(400, f"proxy {proxy!r}: upstream {value!r} is not 'host:port' (for example 127.0.0.1:6379)")
    return value


class Proxy:
    """A listener that forwards every connection to ``upstream`` through the proxy's toxics."""

    def __init__(self, name: str, listen: tuple[str, int], upstream: str):
        self.name = name
        self.host, self.port = listen
        self.upstream = upstream
        self.enabled = False
        self.toxics: dict[str, Toxic] = {}
        self.server: asyncio.Server | None = None
        self.connections: set[Connection] = set()
        self.generation = 0  # counts the listeners opened, so a connection knows whether its own is still open

    @property
    def listen(self) -> str:
        return f"{self.host}:{self.port}"

    def upstream_address(self) -> tuple[str, int]:
        host, _, port = self.upstream.rpartition(":")
        return host.strip("[]"), int(port)

    def chain(self, stream: str) -> list[Toxic]:
        return [toxic for toxic in self.toxics.values() if toxic.stream == stream]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
            "toxics": self.toxics_json(),
        }

    def toxics_json(self) -> list[dict[str, Any]]:
        return [toxic.to_json() for stream in STREAMS for toxic in self.chain(stream)]

    async def start(self) -> None:
        if self.enabled:
            return
        loop = asyncio.get_running_loop()
        self.generation += 1
        try:
            self.server = await loop.create_server(
                lambda: Connection(self).client, self.host, self.port, reuse_address=True, backlog=1024
            )
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ApiError(
                    409,
                    f"proxy {self.name!r}: listen address {self.listen} is already in use: another process holds it; "
                    f"stop that process, or choose another port ({HOST}:0 picks a free one)",
                ) from None
            raise ApiError(400, f"proxy {self.name!r}: cannot listen on {self.listen}: {exc}") from None
        self.port = self.server.sockets[0].getsockname()[1]
        self.enabled = True
        log.info("proxy %r: listening on %s, upstream %s", self.name, self.listen, self.upstream)

    def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for conn in list(self.connections):
            conn.abort()
        if self.enabled:
            log.info("proxy %r: stopped listening on %s", self.name, self.listen)
        self.enabled = False

    def add_toxic(self, toxic: Toxic) -> None:
        self.toxics[toxic.name] = toxic
        for conn in list(self.connections):
            conn.links[toxic.stream].add(toxic)

    def update_toxic(self, toxic: Toxic) -> None:
        self.toxics[toxic.name] = toxic
        for conn in list(self.connections):
            conn.links[toxic.stream].update(toxic)

    def remove_toxic(self, name: str) -> None:
        toxic = self.toxics.pop(name)
        for conn in list(self.connections):
            conn.links[toxic.stream].remove(name)


# --- the HTTP API ----------------------------------------------------------------------------


def _json_body(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, f"bad request body: {exc}; send a JSON object") from None


class Api:
    """The proxies and the HTTP API's handlers."""

    def __init__(self) -> None:
        self.proxies: dict[str, Proxy] = {}
        self.lock = asyncio.Lock()

    def get(self, name: str) -> Proxy:
        proxy = self.proxies.get(name)
        if proxy is None:
            known = ", ".join(repr(n) for n in sorted(self.proxies)) or "none"
            raise ApiError(404, f"proxy not found: {name!r} (proxies: {known}); create it with POST /proxies")
        return proxy

    def toxic(self, proxy: Proxy, name: str) -> Toxic:
        toxic = proxy.toxics.get(name)
        if toxic is None:
            known = ", ".join(repr(n) for n in proxy.toxics) or "none"
            raise ApiError(404, f"toxic not found: {name!r} on proxy {proxy.name!r} (its toxics: {known})")
        return toxic

    async def dispatch(self, method: str, target: str, body: bytes) -> tuple[int, Any]:
        try:
            async with self.lock:
                return await self.route(method, target, body)
        except ApiError as exc:
            return exc.status, {"error": exc.message, "status": exc.status}
        except ToxicError as exc:
            return exc.status, {"error": str(exc), "status": exc.status}
        except Exception as exc:  # noqa: BLE001 - answered as a 500 and logged, the server keeps serving
            log.exception("%s %s failed", method, target)
            return 500, {"error": f"internal error: {type(exc).__name__}: {exc}", "status": 500}

    async def route(self, method: str, target: str, body: bytes) -> tuple[int, Any]:
        path = urlsplit(target).path
        parts = [unquote(part) for part in path.strip("/").split("/")]
        patch = ("POST", "PATCH")
        routes: list[tuple[list[str], tuple[str, ...]]] = [
            (["version"], ("GET",)),
            (["reset"], ("POST",)),
            (["populate"], ("POST",)),
            (["proxies"], ("GET", "POST")),
            (["proxies", "*"], ("GET", "POST", "PATCH", "DELETE")),
            (["proxies", "*", "toxics"], ("GET", "POST")),
            (["proxies", "*", "toxics", "*"], ("GET", "POST", "PATCH", "DELETE")),
        ]
        for pattern, methods in routes:
            if len(pattern) == len(parts) and all(p in ("*", part) for p, part in zip(pattern, parts)):
                if method not in methods:
                    raise ApiError(405, f"method {method} is not allowed on {path}; use {', '.join(methods)}")
                break
        else:
            raise ApiError(404, f"no such endpoint: {method} {path}")
        if parts == ["version"]:
            return 200, {"version": VERSION}
        if parts == ["reset"]:
            await self.reset()
            return 204, None
        if parts == ["populate"]:
            return await self.populate(_json_body(body))
        if parts == ["proxies"]:
            if method == "GET":
                return 200, {name: proxy.to_json() for name, proxy in self.proxies.items()}
            return 201, (await self.create(_json_body(body))).to_json()
        proxy = self.get(parts[1])
        if len(parts) == 2:
            if method == "GET":
                return 200, proxy.to_json()
            if method in patch:
                await self.update(proxy, _json_body(body))
                return 200, proxy.to_json()
            proxy.stop()
            del self.proxies[proxy.name]
            log.info("proxy %r: deleted", proxy.name)
            return 204, None
        if len(parts) == 3:
            if method == "GET":
                return 200, proxy.toxics_json()
            toxic = new_toxic(proxy.name, _json_body(body))
            if toxic.name in proxy.toxics:
                raise ApiError(
                    409,
                    f"toxic already exists: {toxic.name!r} on proxy {proxy.name!r}; remove it first "
                    f"(DELETE /proxies/{proxy.name}/toxics/{toxic.name}) or give the new one another name",
                )
            proxy.add_toxic(toxic)
            log.info("proxy %r: added toxic %s", proxy.name, json.dumps(toxic.to_json()))
            return 200, toxic.to_json()
        toxic = self.toxic(proxy, parts[3])
        if method == "GET":
            return 200, toxic.to_json()
        if method in patch:
            changed = toxic.updated(proxy.name, _json_body(body))
            proxy.update_toxic(changed)
            log.info("proxy %r: updated toxic %s", proxy.name, json.dumps(changed.to_json()))
            return 200, changed.to_json()
        proxy.remove_toxic(toxic.name)
        log.info("proxy %r: removed toxic %r", proxy.name, toxic.name)
        return 204, None

    def _proxy_fields(self, body: object, what: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError(400, f"bad request body: {what} must be a JSON object with name, upstream, listen, enabled")
        unknown = sorted(set(body) - {"name", "listen", "upstream", "enabled", "toxics"})
        if unknown:
            raise ApiError(
                400,
                f"proxy {body.get('name')!r}: unknown field(s) {', '.join(unknown)}; "
                "a proxy has name, listen, upstream, enabled",
            )
        if "enabled" in body and not isinstance(body["enabled"], bool):
            raise ApiError(400, f"proxy {body.get('name')!r}: enabled must be true or false, got {body['enabled']!r}")
        return body

    def _new_proxy(self, body: object, what: str = "a proxy") -> tuple[Proxy, bool]:
        fields = self._proxy_fields(body, what)
        name = fields.get("name")
        if not isinstance(name, str) or not name:
            raise ApiError(400, "missing required field: name (the proxy's name, a non-empty string)")
        listen = parse_listen(name, fields.get("listen"))
        upstream = parse_upstream(name, fields.get("upstream"))
        return Proxy(name, listen, upstream), fields.get("enabled", True)

    async def create(self, body: object) -> Proxy:
        proxy, enabled = self._new_proxy(body)
        existing = self.proxies.get(proxy.name)
        if existing is not None:
            raise ApiError(
                409,
                f"proxy already exists: {proxy.name!r} (listen {existing.listen}, upstream {existing.upstream}); "
                f"delete it first (DELETE /proxies/{proxy.name}) or choose another name",
            )
        if enabled:
            await proxy.start()
        self.proxies[proxy.name] = proxy
        return proxy

    async def update(self, proxy: Proxy, body: object) -> None:
        fields = self._proxy_fields(body, "a proxy update")
        if fields.get("name") not in (None, "", proxy.name):
            raise ApiError(
                400, f"proxy {proxy.name!r}: its name cannot change (got {fields['name']!r}); delete it and create it"
            )
        host, port = parse_listen(proxy.name, fields["listen"]) if "listen" in fields else (proxy.host, proxy.port)
        upstream = parse_upstream(proxy.name, fields["upstream"]) if "upstream" in fields else proxy.upstream
        enabled = fields.get("enabled", proxy.enabled)
        if (host, port) != (proxy.host, proxy.port) or upstream != proxy.upstream:
            proxy.stop()  # as Toxiproxy: a new address drops the open connections
            proxy.host, proxy.port, proxy.upstream = host, port, upstream
        if enabled and not proxy.enabled:
            await proxy.start()
        elif not enabled and proxy.enabled:
            proxy.stop()

    async def reset(self) -> None:
        for proxy in self.proxies.values():
            await proxy.start()
            for name in list(proxy.toxics):
                proxy.remove_toxic(name)
        log.info("reset: every proxy enabled, every toxic removed")

    async def populate(self, body: object) -> tuple[int, Any]:
        if not isinstance(body, list):
            raise ApiError(400, "bad request body: /populate takes a JSON list of proxies")
        wanted = [self._new_proxy(item, f"proxy {i + 1}") for i, item in enumerate(body)]
        done: list[Proxy] = []
        try:
            for proxy, enabled in wanted:
                existing = self.proxies.get(proxy.name)
                if existing is not None:
                    if existing.listen == proxy.listen and existing.upstream == proxy.upstream:
                        done.append(existing)
                        continue
                    existing.stop()
                    del self.proxies[proxy.name]
                if enabled:
                    await proxy.start()
                self.proxies[proxy.name] = proxy
                done.append(proxy)
        except ApiError as exc:
            return exc.status, {"error": exc.message, "status": exc.status, "proxies": [p.to_json() for p in done]}
        return 201, {"proxies": [p.to_json() for p in done]}

    def shutdown(self) -> None:
        for proxy in self.proxies.values():
            proxy.stop()


class HttpServer:
    """A small HTTP/1.1 server (keep-alive, Content-Length or chunked bodies) for :class:`Api`."""

    def __init__(self, api: Api):
        self.api = api
        self.writers: set[asyncio.StreamWriter] = set()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        try:
            while await self.one(reader, writer):
                pass
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except ValueError as exc:  # a line beyond the reader's limit, a body too large, a bad chunk size
            with contextlib.suppress(ConnectionError):
                await self.answer(writer, 400, {"error": f"bad request: {exc}", "status": 400}, False)
        finally:
            self.writers.discard(writer)
            writer.close()

    async def one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        line = await asyncio.wait_for(reader.readline(), IDLE_TIMEOUT)
        if not line.strip():
            return bool(line)  # tolerate an empty line between requests; stop at EOF
        parts = line.decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            await self.answer(writer, 400, {"error": "bad request line", "status": 400}, False)
            return False
        method, target, version = parts
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADERS + 1):
            raw = await reader.readline()
            if raw in (b"\r\n", b"\n", b""):
                break
            key, _, value = raw.decode("latin-1").partition(":")
            headers[key.strip().lower()] = value.strip()
        else:
            await self.answer(writer, 400, {"error": "bad request: too many headers", "status": 400}, False)
            return False
        keep = headers.get("connection", "").lower() != "close" if version == "HTTP/1.1" else False
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = await self._chunked(reader)
        else:
            try:
                length = int(headers.get("content-length") or 0)
            except ValueError:
                length = -1
            if not 0 <= length <= MAX_BODY:
                status = 413 if length > MAX_BODY else 400
                await self.answer(
                    writer, status, {"error": f"bad request: Content-Length {length}", "status": status}, False
                )
                return False
            body = await reader.readexactly(length) if length else b""
        if headers.get("user-agent", "").startswith("Mozilla/"):  # as Toxiproxy: no requests from browsers
            status, payload = 403, {"error": "User agent not allowed", "status": 403}
        else:
            status, payload = await self.api.dispatch(method.upper(), target, body)
        await self.answer(writer, status, payload, keep)
        return keep

    async def _chunked(self, reader: asyncio.StreamReader) -> bytes:
        body = b""
        while True:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                return body
            body += await reader.readexactly(size)
            await reader.readline()
            if len(body) > MAX_BODY:
                raise ValueError("body too large")

    async def answer(self, writer: asyncio.StreamWriter, status: int, payload: Any, keep: bool) -> None:
        head = f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
        data = b""
        if status != 204:
            data = json.dumps(payload).encode()
            head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
        head += "Connection: keep-alive\r\n" if keep else "Connection: close\r\n"
        writer.write(head.encode("latin-1") + b"\r\n" + data)
        await writer.drain()

    def close(self) -> None:
        for writer in list(self.writers):
            writer.close()


# --- the process -------------------------------------------------------------------------------


def owner_alive(pid: int, create_time: float) -> bool:
    try:
        proc = psutil.Process(pid)
        return abs(proc.create_time() - create_time) < 1.0 and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def die_with_parent() -> None:
    """Ask the kernel for SIGTERM when the parent dies (Linux PR_SET_PDEATHSIG); elsewhere a no-op."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def write_ready(path: Path, record: dict[str, Any]) -> None:
    """``record`` as JSON at ``path``, atomically (a temporary file renamed)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record))
    os.replace(tmp, path)


async def serve(host: str, port: int, ready_file: Path | None, owner: tuple[int, float] | None) -> int:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(signum, stopping.set)
    api = Api()
    http = HttpServer(api)
    server = await asyncio.start_server(http.serve, host, port, reuse_address=True)
    url = f"http://{HOST}:{server.sockets[0].getsockname()[1]}"
    log.info("crosscheck fault proxy %s: HTTP API at %s (pid %d)", VERSION, url, os.getpid())
    if ready_file is not None:
        write_ready(ready_file, {"url": url, "pid": os.getpid()})

    async def watch_owner(pid: int, create_time: float) -> None:
        while not stopping.is_set():
            if not owner_alive(pid, create_time):
                log.info("owner process %d is gone: stopping", pid)
                stopping.set()
                return
            await asyncio.sleep(OWNER_POLL)

    watcher = loop.create_task(watch_owner(*owner)) if owner else None
    await stopping.wait()
    if watcher is not None:
        watcher.cancel()
    server.close()
    http.close()
    api.shutdown()
    await asyncio.sleep(0)  # let the transports run their close callbacks
    log.info("crosscheck fault proxy stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crosscheck.faults.proxy", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=HOST, help=f"the HTTP API's address ({HOST} only)")
    parser.add_argument("--port", type=int, default=0, help="the HTTP API's port (0: a free one)")
    parser.add_argument("--ready-file", type=Path, help='written with {"url": ..., "pid": ...} once serving')
    parser.add_argument("--owner", help="PID:CREATE_TIME of the process whose end stops the proxy")
    args = parser.parse_args(argv)
    die_with_parent()
    if args.host not in (HOST, "localhost"):
        parser.error(f"--host must be {HOST}: the fault proxy listens on {HOST} only")
    owner = None
    if args.owner:
        pid, _, create_time = args.owner.partition(":")
        owner = (int(pid), float(create_time))
        if not owner_alive(*owner):
            print(f"owner process {pid} is not running: not starting", file=sys.stderr)
            return 1
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    return asyncio.run(serve(HOST, args.port, args.ready_file, owner))


if __name__ == "__main__":
    sys.exit(main())
