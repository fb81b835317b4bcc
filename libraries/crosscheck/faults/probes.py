"""Probes: one end-to-end operation, repeated in a thread of its own, every attempt recorded.

A probe is a name and a function that performs one operation and answers ``(ok, detail)``;
:class:`ProbeRunner` calls it every ``interval`` seconds until stopped and records each
attempt on the :class:`~crosscheck.faults.recovery.Timeline`. The operations:

* ``http``: a request to the API under test (or any URL); answered with the expected status;
* ``redis``: ``PING`` on a new connection;
* ``postgres``: ``SELECT 1`` on a new connection;
* ``pubsub``: a message published on a private channel and received on a subscription,
  both at the same Redis.

Connections come from :mod:`crosscheck.services` only.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from crosscheck.faults.recovery import Attempt, Timeline

Operation = Callable[[], tuple[bool, str]]


def _error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip(": ")


def http_operation(url: str, method: str = "GET", expect: int = 200, timeout: float = 2.0, **request: Any) -> Operation:
    """``method url`` answered with status ``expect``."""
    from crosscheck.services import api

    client = api.client(url, timeout=timeout)

    def run() -> tuple[bool, str]:
        try:
            response = client.request(method, url, **request)  # absolute: the base URL adds nothing
        except Exception as exc:  # noqa: BLE001 - any failure is an attempt that failed
            return False, _error(exc)
        if response.status_code == expect:
            return True, f"HTTP {response.status_code}"
        body = " ".join(response.text.split())[:120]
        return False, f"HTTP {response.status_code} {body}".strip()

    run.close = client.close  # type: ignore[attr-defined]
    return run


def _no_retry() -> dict[str, Any]:
    """redis-py options for one attempt only: its default retries back off for seconds, hiding the recovery."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {"retry": Retry(NoBackoff(), 0)}


def redis_operation(url: str, timeout: float = 1.0) -> Operation:
    """``PING`` on a new connection to ``url``."""
    from crosscheck.services import redis

    def run() -> tuple[bool, str]:
        client = redis.client(url, socket_timeout=timeout, socket_connect_timeout=timeout, **_no_retry())
        try:
            client.ping()
            return True, "PONG"
        except Exception as exc:  # noqa: BLE001
            return False, _error(exc)
        finally:
            client.close()

    return run


def postgres_operation(url: str, timeout: float = 2.0) -> Operation:
    """``SELECT 1`` on a new connection to ``url``."""
    from crosscheck.services import postgres

    def run() -> tuple[bool, str]:
        try:
            conn = postgres.connect(url, application_name="crosscheck-probe", timeout=timeout)
        except Exception as exc:  # noqa: BLE001
            return False, _error(exc)
        try:
            with conn.cursor() as cur:
                cur.execute("SET statement_timeout = %s", (int(timeout * 1000),))
                cur.execute("SELECT 1")
                cur.fetchone()
            return True, "SELECT 1"
        except Exception as exc:  # noqa: BLE001
            return False, _error(exc)
        finally:
            conn.close()

    return run


def pubsub_operation(url: str, timeout: float = 1.0) -> Operation:
    """A message published on a private channel arrives on a subscription (both at ``url``)."""
    from crosscheck.services import redis

    channel = f"crosscheck:probe:{uuid.uuid4().hex[:12]}"

    def run() -> tuple[bool, str]:
        client = redis.client(url, socket_timeout=timeout, socket_connect_timeout=timeout, **_no_retry())
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(channel)
            token = uuid.uuid4().hex
            client.publish(channel, token)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                message = pubsub.get_message(timeout=max(0.0, deadline - time.monotonic()))
                if message and message.get("data") in (token, token.encode()):
                    return True, "received"
            return False, f"published on {channel} but not received within {timeout:g} s"
        except Exception as exc:  # noqa: BLE001
            return False, _error(exc)
        finally:
            try:
                pubsub.close()
            finally:
                client.close()

    return run


class ProbeRunner:
    """Runs ``operation`` every ``interval`` s in a daemon thread, recording each attempt."""

    def __init__(self, name: str, operation: Operation, timeline: Timeline, interval: float = 0.05) -> None:
        self.name, self.operation, self.timeline, self.interval = name, operation, timeline, interval
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, name=f"probe {name}", daemon=True)

    def start(self) -> ProbeRunner:
        self.thread.start()
        return self

    def _loop(self) -> None:
        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                ok, detail = self.operation()
            except Exception as exc:  # noqa: BLE001 - an operation that raises is a failed attempt
                ok, detail = False, _error(exc)
            ended = time.monotonic()
            self.timeline.record(Attempt(self.name, started, ended, ok, detail))
            self.stopping.wait(max(0.0, self.interval - (ended - started)))

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        self.thread.join(timeout)
        close = getattr(self.operation, "close", None)
        if close is not None:
            close()

    @property
    def running(self) -> bool:
        return self.thread.is_alive()
