"""The crosscheck.Faults library class."""

from __future__ import annotations

from crosscheck.core import CrosscheckLibrary
from crosscheck.faults.context import FaultsContext
from crosscheck.faults.keywords.outages import OutageKeywords
from crosscheck.faults.keywords.proxies import ProxyKeywords
from crosscheck.faults.keywords.recovery import RecoveryKeywords
from crosscheck.faults.keywords.toxics import ToxicKeywords


class Faults(CrosscheckLibrary):
    """Faults puts latency, resets and outages between a system and its services, and measures how
    long the system takes to recover.

    = Proxies =
    A fault sits on a TCP proxy between the system under test and one of its services, in
    Toxiproxy's model: a proxy listens on 127.0.0.1 and forwards to its upstream; toxics change
    what passes. crosscheck carries its own proxy server (an asyncio process that speaks
    Toxiproxy's HTTP API); with ``CROSSCHECK_TOXIPROXY_URL`` set (or the import argument
    ``url``) the same keywords drive a real Toxiproxy server instead.

    The embedded stack routes the system under test through two proxies, ``redis`` and
    ``postgres``, and the suite's own connections stay direct: a fault on ``redis`` is seen by
    the system, not by the suite checking it. `Get Proxy Url` gives the address the system
    uses. Against configured services, `Create Proxy For Service` returns a URL to point the
    system at (its configuration, its environment), then the same keywords apply.

    | Cut Service    redis    duration=3 s
    | Add Latency    postgres    200 ms
    | Remove Toxic    postgres    latency_downstream

    = Faults =
    - `Add Toxic` (every Toxiproxy toxic: ``latency``, ``bandwidth``, ``slow_close``,
      ``timeout``, ``reset_peer``, ``limit_data``, ``slicer``; on the ``upstream`` or
      ``downstream`` stream, to a share of connections) and `Add Latency`; `Remove Toxic`.
    - `Cut Service` (the proxy refuses connections and closes open ones: the service is down
      for the system) and `Restore Service`; `Reset Connections` (a blip).
    - Real outages: `Restart Service` crashes an embedded Redis or Postgres (``mode=immediate``:
      ``pg_ctl stop -m immediate``) and lets the stack start it again, optionally after
      ``down_for``; `Terminate Database Sessions` ends an application's sessions in a
      configured database.

    = Recovery =
    `Start Probe` repeats an end-to-end operation in the background (an API request answered
    200, a Redis ``PING``, a Postgres ``SELECT 1``, a pub-sub round trip), every attempt recorded
    on a timeline. `Get Time To Recover` returns the seconds **from the moment the fault was
    cleared to the first successful operation** after it, and logs the timeline: fault on, fault
    off, first failure, first success. `Wait For Recovery` does the same with a keyword of the
    suite as the operation (the consumer received a message).

    | Start Probe    http    /health
    | Cut Service    redis    duration=3 s
    | Get Time To Recover    http    <=    ${REDIS_RECOVERY_TARGET}

    = Times =
    A time-valued assertion target (the expected value of `Get Time To Recover`, `Restart
    Service`) must carry a unit: ``5 s``, ``500 ms``, or a ``timedelta``; a bare number is refused,
    since it could mean seconds or milliseconds. The same holds for the size of a fault:
    ``latency``, ``jitter``, ``duration``, ``down_for`` (``Add Latency    postgres    200`` is refused:
    write ``200 ms``). `Add Toxic` takes Toxiproxy's attributes in Toxiproxy's units (``latency=200``
    is 200 ms, as Toxiproxy documents it) or a time with a unit. ``timeout`` and ``interval``
    arguments follow Robot Framework's time format, where a bare number means seconds.

    = Bad input =
    An unknown toxic or stream, a negative latency or rate, a toxicity outside 0..1, a listen
    address in use, an upstream that does not answer: each fails naming the proxy and what to
    do, before anything changes.

    = Cleanup =
    Every fault is removed when the test (or suite) that switched it on ends, also after a
    failure: toxics removed, cut proxies enabled again, proxies this run created deleted,
    probes stopped. The undo is registered before the fault goes on. The proxy server of the
    embedded stack stops with the stack. A suite that breaks shared services should run on a
    private stack (crosscheck.Stack's `Use A Private Stack`), so suites running beside it
    under pabot are not hit.
    """

    COMPONENTS = (ProxyKeywords, ToxicKeywords, OutageKeywords, RecoveryKeywords)

    def __init__(self, url: str | None = None) -> None:
        """``url`` is a Toxiproxy API (default: ``CROSSCHECK_TOXIPROXY_URL``, else the embedded stack's proxy server)."""
        super().__init__(FaultsContext(url))
