"""The warm pool: pre-started containers reused for speed, wiped between runs.

Each pooled container runs a small agent (``AGENT`` below) under the same six
layers as a fresh container. Per run the host sends the code over the attach
stream; the agent forks and execs a fresh ``python3 -I -c <code>`` with a clean
environment, relays its output up to the cap, reports the exit status, then
kills every process but itself and the init, and empties ``/tmp``. The agent is
not dumpable, so run code cannot read its memory or file descriptors.

A run that times out, fails, is truncated or hits a limit recycles its container
(removed, replaced in the background); only clean runs return it to the pool.
"""

from __future__ import annotations

import json
import queue
import struct
import threading
import time

import docker.errors

from crosscheck.errors import CrosscheckError
from crosscheck.sandbox import image as image_mod
from crosscheck.sandbox import policy
from crosscheck.sandbox.policy import Limits
from crosscheck.sandbox.result import Result
from crosscheck.sandbox.runner import StreamReader, check_code, raw_socket, remove_quietly

AGENT = r'''
import ctypes, json, os, select, shutil, signal, struct, sys, time
ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)
ME = os.getpid()
ENV = {k: os.environ[k] for k in ("PATH", "LANG", "HOME", "PYTHONDONTWRITEBYTECODE") if k in os.environ}
def send(kind, data):
    msg = kind + struct.pack(">I", len(data)) + data
    while msg:
        msg = msg[os.write(1, msg):]
def readn(n):
    buf = b""
    while len(buf) < n:
        chunk = os.read(0, n - len(buf))
        if not chunk:
            sys.exit(0)
        buf += chunk
    return buf
def ooms():
    for path in ("/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events"):
        try:
            for line in open(path):
                if line.startswith("oom_kill "):
                    return int(line.split()[1])
        except OSError:
            pass
    return 0
def others():
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, ME)]
def wipe():
    killed = 0
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        pids = others()
        if not pids:
            break
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL); killed += 1
            except OSError:
                pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass
        time.sleep(0.005)
    removed = 0
    for name in os.listdir("/tmp"):
        path = os.path.join("/tmp", name)
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
            removed += 1
        except OSError:
            pass
    return {"killed": killed, "removed": removed,
            "clean": not others() and not os.listdir("/tmp")}
send(b"R", json.dumps({"clean": True}).encode())
while True:
    req = json.loads(readn(struct.unpack(">I", readn(4))[0]))
    cap = req["cap"]
    oom_before = ooms()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            null = os.open("/dev/null", os.O_RDONLY)
            os.dup2(null, 0); os.dup2(out_w, 1); os.dup2(err_w, 2)
            os.closerange(3, 65536)
            os.chdir("/tmp")
            os.execve(sys.executable, [sys.executable, "-I", "-c", req["code"]], ENV)
        finally:
            os._exit(127)
    os.close(out_w); os.close(err_w)
    t0 = time.monotonic()
    total, truncated, status, open_fds = 0, False, None, {out_r: b"O", err_r: b"E"}
    while True:
        ready = select.select(list(open_fds), [], [], 0.05)[0] if open_fds else []
        for fd in ready:
            data = os.read(fd, 65536)
            if not data:
                del open_fds[fd]; os.close(fd); continue
            room = cap - total
            total += len(data)
            if room > 0:
                send(open_fds[fd], data[:room])
            if total > cap and not truncated:
                truncated = True
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
        if status is None:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = os.waitstatus_to_exitcode(st)
                duration = time.monotonic() - t0
        if status is not None and (not open_fds or not ready):
            break
    for fd in open_fds:
        os.close(fd)
    send(b"X", json.dumps({"exit_code": status, "truncated": truncated, "total": total,
                           "duration": duration, "oom": ooms() - oom_before}).encode())
    send(b"R", json.dumps(wipe()).encode())
'''


class Member:
    """One pooled container and its attach stream."""

    def __init__(self, api, cid: str, sock) -> None:
        self.api = api
        self.cid = cid
        self.sock = sock
        self.raw = raw_socket(sock)
        self.reader = StreamReader(self.raw)
        self.pending = b""
        self.runs = 0
        self.last_ready: dict = {}

    def message(self, deadline: float):
        """The next agent message ``(kind, payload)``; ``(None, b"")`` on deadline or EOF."""
        while True:
            if len(self.pending) >= 5:
                kind = self.pending[:1]
                size = struct.unpack(">I", self.pending[1:5])[0]
                if len(self.pending) >= 5 + size:
                    data = self.pending[5:5 + size]
                    self.pending = self.pending[5 + size:]
                    return kind, data
            got = False
            for stream, data in self.reader.frames(deadline):
                if stream is None:
                    return None, b""
                if stream == 1:
                    self.pending += data
                    got = True
                    break
            if not got:
                return None, b""

    def send(self, code: str, cap: int) -> None:
        body = json.dumps({"code": code, "cap": cap}).encode()
        self.raw.sendall(struct.pack(">I", len(body)) + body)


class WarmPool:
    """``size`` pre-started containers under ``limits``; thread-safe."""

    def __init__(self, client, limits: Limits, image: str, size: int = 2, owner: str = "") -> None:
        self.client = client
        self.api = client.api
        self.limits = limits
        self.image = image
        self.size = size
        self.owner = owner
        self.idle: queue.Queue[Member] = queue.Queue()
        self.members: dict[str, Member] = {}
        self.lock = threading.Lock()
        self.closed = False
        self.recycled = 0
        self.threads: list[threading.Thread] = []

    # --- life cycle ---------------------------------------------------------------
    def start(self, wait: bool = True) -> None:
        image_mod.ensure(self.client, self.image)
        threads = [threading.Thread(target=self._add, daemon=True) for _ in range(self.size)]
        for t in threads:
            t.start()
        if wait:
            for t in threads:
                t.join(60)
            if self.idle.qsize() < self.size:
                raise CrosscheckError(f"Warm pool: only {self.idle.qsize()} of {self.size} containers "
                                      f"from {self.image} became ready.")

    def _add(self) -> None:
        if self.closed:
            return
        api = self.api
        cid = api.create_container(
            self.image, command=["python3", "-I", "-c", AGENT], labels=policy.labels(self.owner, "pool"),
            host_config=policy.host_config(api, self.limits), stdin_open=True,
            **policy.container_config(self.limits))["Id"]
        try:
            sock = api.attach_socket(cid, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            api.start(cid)
            member = Member(api, cid, sock)
            kind, _ = member.message(time.monotonic() + 30)
            if kind != b"R":
                raise CrosscheckError(f"Warm pool container {cid[:12]} did not report ready")
        except Exception:
            remove_quietly(api, cid)
            raise
        with self.lock:
            if self.closed:
                remove_quietly(api, cid)
                return
            self.members[cid] = member
        self.idle.put(member)

    def _replace(self, member: Member) -> None:
        self.recycled += 1
        with self.lock:
            self.members.pop(member.cid, None)
        try:
            member.sock.close()
        except OSError:
            pass
        remove_quietly(self.api, member.cid)
        if not self.closed:
            t = threading.Thread(target=self._add_quietly, daemon=True)
            self.threads.append(t)
            t.start()

    def _add_quietly(self) -> None:
        try:
            self._add()
        except Exception:  # a failed replacement shrinks the pool; acquire() reports it
            pass

    def close(self) -> None:
        self.closed = True
        for t in self.threads:
            t.join(30)
        with self.lock:
            members = list(self.members.values())
            self.members.clear()
        for m in members:
            try:
                m.sock.close()
            except OSError:
                pass
            remove_quietly(self.api, m.cid)

    # --- runs -----------------------------------------------------------------------
    def run(self, code: str, limits: Limits | None = None) -> Result:
        """Run ``code`` in an idle member; the pool's limits apply (timeout and cap may be lowered)."""
        check_code(code)
        limits = limits or self.limits
        t0 = time.monotonic()
        try:
            member = self.idle.get(timeout=30)
        except queue.Empty:
            raise CrosscheckError(f"Warm pool: no container became idle within 30 s "
                                  f"({len(self.members)} of {self.size} alive).") from None
        res = Result(container=member.cid[:12], mode="warm")
        out, err = bytearray(), bytearray()
        healthy = False
        try:
            member.send(code, min(limits.output, self.limits.output))
            started = time.monotonic()
            deadline = started + min(limits.timeout, self.limits.timeout)
            while True:
                kind, data = member.message(deadline)
                if kind is None:
                    res.timed_out = time.monotonic() >= deadline
                    break
                if kind == b"O":
                    out.extend(data)
                elif kind == b"E":
                    err.extend(data)
                elif kind == b"X":
                    info = json.loads(data)
                    res.exit_code = info["exit_code"]
                    res.truncated = info["truncated"]
                    res.output_bytes = info["total"]
                    res.duration = info["duration"]
                    res.oom_killed = info.get("oom", 0) > 0
                    ready_kind, ready = member.message(time.monotonic() + 5)
                    member.last_ready = json.loads(ready) if ready_kind == b"R" else {}
                    healthy = (res.exit_code == 0 and not res.truncated
                               and member.last_ready.get("clean", False))
                    break
            if res.exit_code is None:
                self._check_oom(member, res)
            if res.timed_out:
                res.duration = time.monotonic() - started
        finally:
            res.stdout = out.decode("utf-8", "replace")
            res.stderr = err.decode("utf-8", "replace")
            member.runs += 1
            if healthy and not self.closed:
                self.idle.put(member)
            else:
                res.recycled = True
                self._replace(member)
        res.total_time = time.monotonic() - t0
        return res

    def _check_oom(self, member: Member, res: Result) -> None:
        try:
            state = self.api.inspect_container(member.cid)["State"]
        except docker.errors.APIError:
            return
        res.oom_killed = bool(state.get("OOMKilled")) and not res.timed_out
        if res.exit_code is None and not state.get("Running"):
            res.exit_code = state.get("ExitCode")
