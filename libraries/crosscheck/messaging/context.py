"""Shared state of one Messaging library instance: connections, listeners, what was
published and added, the loaded channel schemas, the namespaces of running scopes.

Keyword components (``keywords/<concern>.py``) all hold a reference to one
:class:`Context`; nothing here is a keyword. What a keyword creates is undone through
``cleanup`` (:class:`crosscheck.core.Cleanup`), which the library base gives the context.
"""

from __future__ import annotations

import itertools
import threading

from crosscheck import namespace
from crosscheck.contracts.jsonschema_check import SchemaRegistry
from crosscheck.core import Cleanup
from crosscheck.core.cleanup import Scope
from crosscheck.errors import CrosscheckError
from crosscheck.messaging.connection import Connection, delete_namespace, open_connection
from crosscheck.messaging.listener import Listener
from crosscheck.messaging.replies import RequestLog
from crosscheck.messaging.statistics import Published
from crosscheck.messaging.timestamps import TimestampReader
from crosscheck.services import redis as redis_service


class Context:
    """State shared by the keyword components of one library instance."""

    cleanup: Cleanup  # given by CrosscheckLibrary

    def __init__(self, timestamp_field: str = "sent_at", seq_field: str = "seq", timestamp_format: str = "auto"):
        self.connections: dict[str, Connection] = {}
        self.current: str | None = None
        self._auto: Connection | None = None  # the connection to the default server opened on first use
        self.listeners: dict[str, Listener] = {}
        self.last_listener: str | None = None
        self.listener_names = itertools.count(1)
        self.requests: dict[str, RequestLog] = {}  # reply listeners' requests, by listener name
        self.published: dict[str, Published] = {}
        self.tag = namespace.run_id() + f"_{id(self) % 100000}"
        self.timestamp_field = timestamp_field
        self.timestamp = TimestampReader(timestamp_field, timestamp_format)  # how send times are read
        self.seq_field = seq_field
        self.lock = threading.Lock()
        self.fault: dict | None = None
        self.schemas = SchemaRegistry()
        # streams being tracked for cleanup: (alias, key) -> whether the stream existed before
        self.tracked_streams: dict[tuple[str, str], bool] = {}
        self.stream_adds: dict[tuple[str, str], list[str]] = {}
        self.stream_reads: dict[tuple[str, str, str | None], set[str]] = {}
        self._namespaces: list[tuple[Scope, str]] = []

    # --- namespaces: one per running scope (test, suite, run) ------------------------
    def scope_namespace(self) -> str | None:
        """The namespace of the innermost scope, if it has one yet."""
        scope = self.cleanup.current
        return next((ns for owner, ns in self._namespaces if owner is scope), None)

    def namespace(self) -> str:
        """The namespace of the innermost scope (test, suite), created on first use.

        Its keys (``<ns>:*``) are deleted on every open connection when the scope ends.
        """
        ns = self.scope_namespace()
        if ns is not None:
            return ns
        scopes = self.cleanup.scopes
        scope = scopes[-1]
        ns = namespace.new(_short_name(scopes))
        self._namespaces.append((scope, ns))
        self.cleanup.add(f"keys {ns}:*", lambda: self._drop_namespace(scope, ns))
        return ns

    def _drop_namespace(self, scope: Scope, ns: str) -> None:
        self._namespaces = [(s, n) for s, n in self._namespaces if s is not scope]
        self._follow_default()  # not the servers of a private stack that has stopped since
        for conn in list(self.connections.values()):
            delete_namespace(conn, ns)

    # --- connections ----------------------------------------------------------------
    def connection(self, alias: str | None = None) -> Connection:
        """The connection ``alias`` (default: the current one; the default server on first use).

        The connection opened on first use follows the default server: when
        ``services.redis.url()`` answers another address (a private stack is in use, or no
        longer), it is replaced by one to that address.
        """
        if alias is None:
            if self.current is None:
                # opened for the whole run: closed by :meth:`close`
                self._auto = self.add_connection(open_connection(redis_service.url(), "default"))
            alias = self.current
        try:
            conn = self.connections[alias]  # type: ignore[index]
        except KeyError:
            known = ", ".join(self.connections) or "none"
            raise CrosscheckError(
                f"No Redis connection with alias {alias!r}; open ones: {known}. Use 'Connect To Redis' first."
            ) from None
        if conn is self._auto:
            conn = self._follow_default() or conn
        return conn

    def _follow_default(self) -> Connection | None:
        """The connection opened on first use, replaced by one to the default server's address
        if ``services.redis.url()`` now answers another one; None if there is none."""
        conn = self._auto
        if conn is None or self.connections.get(conn.alias) is not conn:
            return None
        url = redis_service.url()
        if url != conn.url:  # the default server moved: its listeners go with the old connection
            current = self.current
            self.close_connection(conn)
            self._auto = conn = self.add_connection(open_connection(url, conn.alias))
            self.current = current if current in self.connections else conn.alias
        return conn

    def add_connection(self, conn: Connection) -> Connection:
        """Make ``conn`` the current connection; one open under the same alias is closed."""
        old = self.connections.pop(conn.alias, None)
        if old is not None:
            old.close()
        self.connections[conn.alias] = conn
        self.current = conn.alias
        return conn

    def close_connection(self, conn: Connection) -> None:
        """Close ``conn`` and the listeners on it (nothing if already closed)."""
        for name, listener in list(self.listeners.items()):
            if listener.connection is conn:
                self.drop_listener(name, listener)
        if self.connections.get(conn.alias) is conn:
            del self.connections[conn.alias]
            if self.current == conn.alias:
                self.current = next(iter(self.connections), None)
        if conn is self._auto:
            self._auto = None
        conn.close()

    # --- listeners ------------------------------------------------------------------
    def start_listener(
        self,
        channels: list[str],
        patterns: list[str],
        name: str | None,
        alias: str | None,
        timeout: float,
        timestamp: TimestampReader | None = None,
    ) -> Listener:
        """A listener subscribed (confirmed by Redis), registered, and stopped when the scope ends."""
        conn = self.connection(alias)
        name = name or f"listener{next(self.listener_names)}"
        if name in self.listeners:
            raise CrosscheckError(f"A listener named {name!r} is already running; stop it or pick another name.")
        listener = Listener(name, conn, channels, patterns)
        listener.timestamp = timestamp
        listener.start(timeout)
        self.add_listener(listener)
        self.cleanup.add(f"listener {name!r} at {conn.where}", lambda: self.drop_listener(name, listener))
        return listener

    def add_listener(self, listener: Listener) -> None:
        self.listeners[listener.name] = listener
        self.last_listener = listener.name

    def drop_listener(self, name: str, listener: Listener) -> None:
        """Stop ``listener`` and forget it (nothing if another one took its name)."""
        listener.stop()
        if self.listeners.get(name) is listener:
            del self.listeners[name]
            self.requests.pop(name, None)
            if self.last_listener == name:
                self.last_listener = next(reversed(self.listeners), None) if self.listeners else None

    def listener(self, name: str | None = None) -> Listener:
        name = name or self.last_listener
        if name is None or name not in self.listeners:
            known = ", ".join(self.listeners) or "none"
            what = f"{name!r}" if name else "(none started)"
            raise CrosscheckError(f"No listener {what}; active listeners: {known}. Use 'Start Listening' first.")
        return self.listeners[name]

    def listener_for(self, channel: str | None, name: str | None = None) -> Listener:
        """The named listener, else the latest one that covers ``channel``."""
        if name or channel is None:
            return self.listener(name)
        for listener in reversed(list(self.listeners.values())):
            if listener.covers(channel):
                return listener
        known = ", ".join(f"{n} ({', '.join(lst.subscriptions)})" for n, lst in self.listeners.items()) or "none"
        raise CrosscheckError(
            f"No listener covers channel {channel!r}; active listeners: {known}. Use 'Start Listening' on it first."
        )

    # --- what was published -----------------------------------------------------------
    def published_on(self, channel: str) -> Published:
        with self.lock:
            record = self.published.get(channel)
            if record is None:
                record = self.published[channel] = Published()
            return record

    # --- the end of the run -------------------------------------------------------------
    def close(self) -> None:
        """Stop every listener and close every connection (after the run's cleanup)."""
        for name, listener in list(self.listeners.items()):
            self.drop_listener(name, listener)
        for conn in list(self.connections.values()):
            self.close_connection(conn)


def _short_name(scopes: list[Scope]) -> str:
    """The innermost scope's own name (a test's or suite's, without its parents'), as a label."""
    scope = scopes[-1]
    if scope.kind == "run":
        return "library"
    parent = scopes[-2].name if len(scopes) > 1 and scopes[-2].kind == "suite" else ""
    if parent and scope.name.startswith(parent + "."):
        return scope.name[len(parent) + 1 :]
    return scope.name
