"""The crosscheck.Messaging library class: Redis pub-sub and streams checks with delivery
latency, ordering, volume, message contracts, offline catch-up and reconnection."""

from __future__ import annotations

from crosscheck.core import CleanupListener, CrosscheckLibrary
from crosscheck.messaging.context import Context
from crosscheck.messaging.keywords.connection import ConnectionKeywords
from crosscheck.messaging.keywords.contracts import ContractKeywords
from crosscheck.messaging.keywords.keys import KeyKeywords
from crosscheck.messaging.keywords.listening import ListeningKeywords
from crosscheck.messaging.keywords.publishing import PublishingKeywords
from crosscheck.messaging.keywords.replies import ReplyKeywords
from crosscheck.messaging.keywords.resilience import ResilienceKeywords
from crosscheck.messaging.keywords.statistics import StatisticsKeywords
from crosscheck.messaging.keywords.streams import StreamKeywords


class Messaging(CrosscheckLibrary):
    """Redis pub-sub, streams, lists and keys checks for integration tests of message-driven systems.

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
    their timestamp field (library argument ``timestamp_field``, default ``sent_at``; or
    per listener, ``Start Listening ... timestamp_field=result.date_done``) and their
    ``seq`` field (``seq_field``) for order and duplicates.

    = Timestamps =

    A send time is read wherever a system writes it and however it writes it:

    - where: a field name (``sent_at``), a dotted path (``result.date_done``) or a
      JSONPath (``$.meta.ts``);
    - how (``timestamp_format``): ``auto`` (the default) tells epoch seconds,
      milliseconds and microseconds apart by magnitude (below 1e11 seconds, below 1e14
      milliseconds, below 1e17 microseconds), in a number or a numeric string, and reads
      any other string as ISO-8601 (``2024-05-01T12:00:00.123Z``, ``+02:00``, fractional
      seconds; without a zone it is UTC, as task queues write ``date_done``); or declared:
      ``iso``, ``epoch_s``, ``epoch_ms``, ``epoch_us``.

    A send time that is there but cannot be read is never dropped silently: the
    statistics count it (``unreadable_timestamps``), the getters warn quoting the message
    and the value, and `Delivery Should Meet Targets` fails on it.

    = Requests and replies =

    `Start Reply Listener` listens for replies and matches each to a request by an id at a
    JSONPath (``task_id``); `Send Request` publishes (or pushes onto a list) a request and
    records when, `Record Request Sent` records a request the test sent another way (an
    HTTP call). `Get Reply Latency`, `Get Lost Reply Count`, `Get Duplicate Reply Count`,
    `Get Unmatched Reply Count` and `Reply Statistics Should Be Complete` judge the
    replies: latency is measured on this process's monotonic clock, so no clocks need agree.

    = Expected counts =

    Lost messages and the success rate need to know what was sent: what this library
    published, the span of the messages' seq numbers, or ``expected=N``. Messages of the
    system under test without a seq number, with nothing published by this library and no
    ``expected``, cannot be counted: the statistics say "no sequence numbers: lost messages
    cannot be counted" instead of 100 %, and `Get Success Rate`, `Get Lost Count` and
    `Delivery Should Meet Targets` fail with that reason.

    = Lists and keys =

    List-based brokers keep their queues in lists: `Push To List`, `Pop From List`
    (``BLPOP``/``BRPOP`` with a timeout), `Get List Length`, and for keys `Set Key`,
    `Get Key Count` (``SCAN``, never ``KEYS``) and `Get Key TTL`. What these keywords create
    is removed when the test ends; a key that existed before is restored or only the
    values the test pushed are removed.

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

    COMPONENTS = (
        ConnectionKeywords,
        ListeningKeywords,
        PublishingKeywords,
        StatisticsKeywords,
        ReplyKeywords,
        ContractKeywords,
        StreamKeywords,
        KeyKeywords,
        ResilienceKeywords,
    )

    def __init__(self, timestamp_field: str = "sent_at", seq_field: str = "seq", timestamp_format: str = "auto"):
        """``timestamp_field``: the payload field (or dotted path, or JSONPath) holding the
        send time of messages the system under test publishes; ``timestamp_format``: how it
        is written, ``auto``, ``iso``, ``epoch_s``, ``epoch_ms`` or ``epoch_us`` (see
        `Timestamps`). ``seq_field``: the payload field holding their per-channel sequence
        number.

        | Library | crosscheck.Messaging | timestamp_field=result.date_done | timestamp_format=iso | AS | TaskResults |
        | TaskResults.Start Listening | ${channel} |
        """
        super().__init__(
            Context(timestamp_field=timestamp_field, seq_field=seq_field, timestamp_format=timestamp_format)
        )

    def close(self) -> None:
        """Undo what this instance created and close its listeners and connections, as the
        end of a Robot run does; for use from Python (tests, benchmarks). Not a keyword."""
        listeners = self.ROBOT_LIBRARY_LISTENER
        for listener in listeners if isinstance(listeners, list) else [listeners]:
            if isinstance(listener, CleanupListener):
                listener.close()
