"""The locustfile crosscheck.Load runs in its child Locust process; the library never imports it.

It reads the run's plan from the JSON file that ``CROSSCHECK_LOAD_SPEC`` names:

- ``stages``: ``[end offset s, users, users/s]`` rows, run by a ``LoadTestShape`` that stops the
  test after the last one (on the master in distributed mode);
- ``requests``: the requests of the users a suite describes (method, path or URL, headers,
  JSON body, weight, name), run by a ``FastHttpUser``; empty when the suite's own locustfile
  provides the users;
- ``samples_dir``: where every process that runs users writes one line per request (end time,
  method, name, response time in ms, success, error), so the library computes exact percentiles;
- ``timeline``: where the shape writes the run's start time and the user count each tick.

Without ``CROSSCHECK_LOAD_SPEC`` (``locust --list``) it defines nothing.
"""

from __future__ import annotations

import atexit
import json
import os
import time
from typing import Any

import gevent
from locust import FastHttpUser, LoadTestShape, between, constant, events

_SPEC_PATH = os.environ.get("CROSSCHECK_LOAD_SPEC")
SPEC: dict[str, Any] = json.loads(open(_SPEC_PATH, encoding="utf-8").read()) if _SPEC_PATH else {}

_buffer: list[str] = []


def _one_line(error: object) -> str:
    code = getattr(error, "code", None)
    if type(error).__name__ == "LocustBadStatusCode" and code is not None:
        return f"HTTP {code}"
    text = " ".join(str(error).split()) or type(error).__name__
    return text.replace("\t", " ")[:160]


def _flush() -> None:
    if not _buffer or not SPEC:
        return
    lines = "".join(_buffer)
    _buffer.clear()
    path = os.path.join(SPEC["samples_dir"], f"samples-{os.getpid()}.tsv")
    with open(path, "a", encoding="utf-8") as out:
        out.write(lines)


if SPEC:

    @events.request.add_listener
    def _on_request(request_type, name, response_time, response_length, exception=None, **_kwargs) -> None:
        error = "" if exception is None else _one_line(exception)
        _buffer.append(
            f"{time.time():.6f}\t{request_type}\t{name}\t{float(response_time or 0):.3f}\t"
            f"{0 if exception is not None else 1}\t{error}\n"
        )

    def _flusher() -> None:
        while True:
            gevent.sleep(0.5)
            _flush()

    @events.init.add_listener
    def _on_init(environment, **_kwargs) -> None:
        gevent.spawn(_flusher)

    @events.test_stop.add_listener
    def _on_test_stop(**_kwargs) -> None:
        _flush()

    @events.quitting.add_listener
    def _on_quitting(**_kwargs) -> None:
        _flush()

    atexit.register(_flush)

    class CrosscheckStages(LoadTestShape):
        """The stages of the plan, one after another; None after the last stops the test."""

        plan: list[list[float]] = SPEC["stages"]
        started = False

        def tick(self) -> tuple[int, float] | None:
            run_time = self.get_run_time()
            now = time.time()
            with open(SPEC["timeline"], "a", encoding="utf-8") as out:
                if not self.started:
                    self.started = True
                    out.write(f"start\t{now - run_time:.6f}\n")
                users = self.runner.user_count if self.runner is not None else 0
                out.write(f"users\t{now:.6f}\t{users}\n")
            for end, users_wanted, rate in self.plan:
                if run_time < end:
                    return int(users_wanted), float(rate)
            return None

    def _task(request: dict[str, Any]):
        method, url, name = request["method"], request["url"], request["name"]
        headers = request.get("headers") or None
        has_body, body = "json" in request, request.get("json")

        def run(user: FastHttpUser) -> None:
            if has_body:
                user.client.request(method, url, name=name, headers=headers, json=body)
            else:
                user.client.request(method, url, name=name, headers=headers)

        run.__name__ = f"{method} {name}"
        return run

    if SPEC.get("requests"):
        _think = SPEC.get("think") or [0.0, 0.0]

        class CrosscheckUser(FastHttpUser):
            """A user sending the requests the suite described, chosen by weight."""

            host = SPEC["host"]
            wait_time = between(_think[0], _think[1]) if _think[1] > 0 else constant(0)
            network_timeout = float(SPEC.get("timeout", 10.0))
            connection_timeout = float(SPEC.get("timeout", 10.0))
            tasks = [task for r in SPEC["requests"] for task in [_task(r)] * int(r["weight"])]
