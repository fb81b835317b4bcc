"""Fresh-container runs: one container per run, created, attached, started, removed.

The output is read from the attach stream as it is produced, so the output cap
holds (the container is killed once it is exceeded) and a wall-clock deadline
kills the container however busy it is. Every container is labelled
(:func:`crosscheck.sandbox.policy.labels`) and removed in ``finally``;
:func:`reap` removes what a crashed earlier run left behind.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import threading
import time

import docker.errors

from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.sandbox import image as image_mod
from crosscheck.sandbox import policy, risk
from crosscheck.sandbox.policy import Limits
from crosscheck.sandbox.result import Result
from crosscheck.services import docker as docker_service

MAX_CODE_BYTES = risk.MAX_CODE_BYTES
PYTHON = ["python3", "-I", "-c"]


def connect(url: str | None = None, pool_size: int = 64):
    """A client with room for many concurrent attach streams (:mod:`crosscheck.services.docker`); one line on failure."""
    return docker_service.connect(url, pool_size=pool_size)


def raw_socket(sock):
    """The plain socket under docker-py's attach stream (unix or TCP)."""
    inner = getattr(sock, "_sock", sock)
    return inner


class StreamReader:
    """Demultiplexes docker's attach stream (8-byte frame headers) with a deadline."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""
        self.eof = False

    def _fill(self, timeout: float) -> bool:
        if self.eof:
            return False
        ready, _, _ = select.select([self.sock], [], [], max(timeout, 0))
        if not ready:
            return False
        try:
            chunk = self.sock.recv(65536)
        except (ConnectionError, OSError):
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def frames(self, deadline: float):
        """Yield ``(stream, bytes)`` until EOF; yield ``(None, b"")`` when the deadline passes."""
        while True:
            while len(self.buf) >= 8:
                stream, size = struct.unpack(">BxxxL", self.buf[:8])
                if len(self.buf) < 8 + size:
                    break
                data = self.buf[8 : 8 + size]
                self.buf = self.buf[8 + size :]
                yield stream, data
            if self.eof:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                yield None, b""
                return
            self._fill(min(remaining, 0.5))


def check_code(code: str) -> None:
    """Refuse code over the size cap (``risk.MAX_CODE_BYTES``) before anything else is done with it."""
    problem = risk.size_problem(code)
    if problem:
        raise ConfigurationError(
            f"Refused: {problem}; the sandbox takes at most {MAX_CODE_BYTES} bytes "
            "of source. Split it or load data from output."
        )


def kill_quietly(api, cid: str) -> None:
    try:
        api.kill(cid)
    except docker.errors.APIError:
        pass


def remove_quietly(api, cid: str) -> None:
    try:
        api.remove_container(cid, force=True, v=True)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as exc:
        if "already in progress" not in str(exc):
            raise


def run_fresh(client, code: str, limits: Limits, image: str, owner: str = "", on_create=None, on_remove=None) -> Result:
    """Run ``code`` in a new container under ``limits``; the container is removed before returning."""
    check_code(code)
    api = client.api
    t0 = time.monotonic()
    try:
        cid = api.create_container(
            image,
            command=PYTHON + [code],
            labels=policy.labels(owner, "run"),
            host_config=policy.host_config(api, limits),
            **policy.container_config(limits),
        )["Id"]
    except docker.errors.ImageNotFound:
        image_mod.ensure(client, image)
        return run_fresh(client, code, limits, image, owner, on_create, on_remove)
    except docker.errors.APIError as exc:
        raise CrosscheckError(f"Creating a sandbox container from {image} failed: {exc.explanation or exc}") from None
    if on_create:
        on_create(cid)
    res = Result(container=cid[:12], mode="fresh", limits=limits)
    try:
        attach = api.attach_socket(cid, params={"stdout": 1, "stderr": 1, "stream": 1})
        try:
            api.start(cid)
            started = time.monotonic()
            collect(
                StreamReader(raw_socket(attach)), res, limits, started + limits.timeout, lambda: kill_quietly(api, cid)
            )
        finally:
            attach.close()
        status = api.wait(cid, timeout=30)
        res.duration = time.monotonic() - started
        res.exit_code = status.get("StatusCode")
        if res.exit_code not in (0, 1):
            state = api.inspect_container(cid)["State"]
            res.oom_killed = bool(state.get("OOMKilled")) and not res.timed_out
    finally:
        remove_quietly(api, cid)
        if on_remove:
            on_remove(cid)
    res.total_time = time.monotonic() - t0
    return res


def collect(reader: StreamReader, res: Result, limits: Limits, deadline: float, kill) -> None:
    """Read stdout/stderr into ``res`` up to the output cap, killing on cap or deadline.

    The kill runs in a thread while the stream keeps being drained: the engine
    will not finish killing a container whose output nobody reads.
    """
    out, err = bytearray(), bytearray()
    total = 0
    killer = None

    def fire():
        nonlocal killer, deadline
        if killer is None:
            killer = threading.Thread(target=kill, daemon=True)
            killer.start()
            deadline = time.monotonic() + 10

    for stream, data in reader.frames(deadline):
        if stream is None:
            if killer is None:
                res.timed_out = True
                fire()
                yield_more = reader.frames(deadline)
                for stream2, data2 in yield_more:
                    if stream2 is None:
                        break
                    total += len(data2)
            break
        total += len(data)
        room = limits.output - (len(out) + len(err))
        if room > 0:
            (out if stream == 1 else err).extend(data[:room])
        if total > limits.output and not res.truncated:
            res.truncated = True
            fire()
            for stream2, data2 in reader.frames(deadline):
                if stream2 is None:
                    break
                total += len(data2)
            break
    if killer is not None:
        killer.join(10)
    res.output_bytes = total
    res.stdout = out.decode("utf-8", "replace")
    res.stderr = err.decode("utf-8", "replace")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap(client, current_run: bool = False) -> int:
    """Remove containers labelled ``crosscheck=1`` whose run's process is gone.

    With ``current_run``, also remove this process's own containers (teardown).
    Containers of other live processes (pabot siblings) are left alone; those
    made on another host are left alone unless their host label matches.
    """
    from crosscheck.namespace import run_id

    removed = 0
    me = run_id()
    host = os.uname().nodename
    for info in client.api.containers(all=True, filters={"label": f"{policy.LABEL}=1"}):
        labels = info.get("Labels") or {}
        run = labels.get(policy.LABEL_RUN, "")
        if labels.get(policy.LABEL_HOST, host) != host:
            continue
        if run == me:
            if not current_run:
                continue
        else:
            try:
                pid = int(run.rsplit("_", 1)[-1])
            except ValueError:
                continue
            if _pid_alive(pid):
                continue
        remove_quietly(client.api, info["Id"])
        removed += 1
    return removed


def ours(client) -> list[dict]:
    """This process's containers, still present."""
    from crosscheck.namespace import run_id

    return client.api.containers(all=True, filters={"label": f"{policy.LABEL_RUN}={run_id()}"})
