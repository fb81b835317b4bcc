"""crosscheck.Messaging: Redis pub-sub and streams checks with delivery latency,
ordering, volume, message contracts, offline catch-up and reconnection."""

from __future__ import annotations

import redis
from robot.api import logger
from robotlibcore import DynamicCore

from crosscheck import __version__, config
from crosscheck.messaging.connection import ConnectionKeywords
from crosscheck.messaging.contracts import ContractKeywords
from crosscheck.messaging.core import Context
from crosscheck.messaging.listening import ListeningKeywords
from crosscheck.messaging.publishing import PublishingKeywords
from crosscheck.messaging.resilience import ResilienceKeywords
from crosscheck.messaging.statistics import StatisticsKeywords
from crosscheck.messaging.streams import StreamKeywords

__all__ = ["Messaging"]


class Messaging(DynamicCore):
    """Redis pub-sub and streams checks for integration tests of message-driven systems.

    = What it checks =

    - Delivery of pub-sub messages: received vs published, success rate, latency
      percentiles, out-of-order and duplicate messages (`Delivery Should Meet Targets`,
      `Get Delivery Latency`, `Get Success Rate`, ...). Seed 001's targets are the
      defaults: latency below 100 ms, success rate at least 95 %.
    - Message contracts: a JSON Schema per channel (`Load Channel Schemas`), the channel
      naming convention and required subscribers.
    - Streams and consumer groups: add, read, acknowledge, pending, claim, offline
      catch-up and entries lost to ``MAXLEN`` trimming.
    - Resilience: time to re-subscribe and receive again after Redis restarts or our
      connections are killed.

    = Connections =

    `Connect To Redis` opens a connection by alias; without one, the first keyword
    connects to ``CROSSCHECK_REDIS_URL`` or the embedded Redis. The database index comes
    from the URL (``redis://host:6379/14``).

    = Listening =

    `Start Listening` returns once Redis confirmed the subscription; a background thread
    stamps each arriving message on the monotonic and wall clock. Messages sent with
    `Publish Messages` carry ``seq``, ``sent_at`` and a run tag: their latency is
    measured in-process on the monotonic clock. Messages of the system under test use
    their timestamp field (library argument ``timestamp_field``, default ``sent_at``,
    epoch seconds) and their ``seq`` field (``seq_field``) for order and duplicates.

    = Namespaces and cleanup =

    `Test Channel` and `Test Key` give names private to the running test, so suites run
    in parallel under pabot. Listeners, connections, streams and consumer groups a test
    created are removed when it ends (suite setup: when the suite ends), also after a
    failure; keys of the test's namespace are deleted by ``SCAN``, never ``FLUSHDB``.

    = Times =
    A time-valued assertion target (the expected value of a latency, duration or
    recovery-time getter) must carry a unit: ``100 ms``, ``0.2 s``, ``1 min``, or a
    ``timedelta``. A bare number such as ``0.2`` or ``50`` is refused, because it could
    mean seconds or milliseconds: the failure names the figure, the value given and
    the fix (``Expected value '0.2' for p95 delivery latency ... has no unit: write it
    as '0.2 ms' or '0.2 s'.``). Arguments that are not assertion targets
    (``timeout=``, ``block=``, ``hold=``, ``duration=``) follow Robot Framework's own
    time format, where a bare number means seconds.

    `Get Delivery Latency` returns milliseconds and `Get Recovery Time` seconds; the
    target may be written in either unit (``0.1 s`` and ``100 ms`` are the same target).
    The ``latency=`` of `Delivery Should Meet Targets` and the ``target=`` of
    `Log Delivery Statistics` are targets too, with the same rule.

    = Example =

    | ***** Settings *****
    | Library    crosscheck.Messaging
    |
    | ***** Test Cases *****
    | Messages arrive in order and on time
    |     ${channel}=    Test Channel    tickstock.universe.updated
    |     Start Listening    ${channel}
    |     Publish Messages    ${channel}    1000
    |     Delivery Should Meet Targets    ${channel}
    |     Get Delivery Latency    p95    <    100 ms    channel=${channel}
    """

    ROBOT_LIBRARY_SCOPE = "GLOBAL"
    ROBOT_LIBRARY_VERSION = __version__
    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self, timestamp_field: str = "sent_at", seq_field: str = "seq"):
        """``timestamp_field``: the payload field holding the send time (epoch seconds) of
        messages the system under test publishes. ``seq_field``: the payload field
        holding their per-channel sequence number."""
        self.ctx = Context(timestamp_field=timestamp_field, seq_field=seq_field)
        self.ROBOT_LIBRARY_LISTENER = self
        components = [cls(self.ctx) for cls in (
            ConnectionKeywords, ListeningKeywords, PublishingKeywords, StatisticsKeywords,
            ContractKeywords, StreamKeywords, ResilienceKeywords)]
        super().__init__(components)

    # --- listener interface: cleanup at the end of each test and suite -------------
    def start_suite(self, data, result):
        self.ctx.push_scope(data.name)

    def start_test(self, data, result):
        self.ctx.push_scope(data.name)

    def end_test(self, data, result):
        self.cleanup()

    def end_suite(self, data, result):
        self.cleanup()

    def close(self):
        while len(self.ctx.scopes) > 1:
            self.cleanup()
        self.cleanup()

    def cleanup(self) -> None:
        """Removes what the innermost scope (test or suite) created, and leaves it."""
        ctx = self.ctx
        scope = ctx.scopes.pop() if len(ctx.scopes) > 1 else ctx.scopes[0]
        for name in scope["listeners"]:
            listener = ctx.listeners.pop(name, None)
            if listener is not None:
                listener.stop()
            if ctx.last_listener == name:
                ctx.last_listener = next(reversed(ctx.listeners), None) if ctx.listeners else None
        for alias, stream, group in scope["groups"]:
            conn = ctx.connections.get(alias)
            if conn is not None:
                self._quietly(conn, lambda c=conn, s=stream, g=group: c.client.xgroup_destroy(s, g))
        for alias, key, existed in scope["keys"]:
            conn = ctx.connections.get(alias)
            if conn is None:
                continue
            if existed:
                ids = ctx.stream_adds.get((alias, key), [])
                if ids:
                    self._quietly(conn, lambda c=conn, k=key, i=ids: c.client.xdel(k, *i))
            else:
                self._quietly(conn, lambda c=conn, k=key: c.client.delete(k))
            ctx.stream_adds.pop((alias, key), None)
        if scope["namespace"]:
            for conn in list(ctx.connections.values()):
                self._quietly(conn, lambda c=conn, ns=scope["namespace"]: self._delete_namespace(c, ns))
        for alias in scope["connections"]:
            conn = ctx.connections.pop(alias, None)
            if conn is not None:
                conn.client.close()
                if ctx.current == alias:
                    ctx.current = next(iter(ctx.connections), None)
        scope.update(listeners=[], groups=[], keys=[], connections=[])
        if not ctx.scopes:
            ctx.scopes.append(scope)

    @staticmethod
    def _delete_namespace(conn, ns: str) -> None:
        keys = list(conn.client.scan_iter(match=f"{ns}:*", count=1000))
        if keys:
            conn.client.delete(*keys)

    @staticmethod
    def _quietly(conn, action) -> None:
        try:
            action()
        except (redis.RedisError, OSError) as exc:
            logger.warn(f"Cleanup at {conn.where} failed: {config.scrub(exc, conn.url)}")
