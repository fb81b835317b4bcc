"""The warm pool: pre-started containers reused for speed, wiped between runs.

The containment model of a pooled container (see docs/sandbox.md, "Warm pool"):

* The agent (``AGENT`` below) is the container's PID 1: there is no other init.
  It makes itself non-dumpable before anything else, so ``/proc/1/fd``,
  ``/proc/1/mem`` and ``/proc/1/environ`` are closed to run code even though
  both run as the same user: the container's stdin and stdout (which carry
  every request and every result) are held by PID 1 alone and cannot be opened
  by a run. As the namespace's init it ignores every signal a run can send it.
* Each run is a fresh ``python3 -I -c <code>`` forked by the agent in its own
  session, with a clean environment, ``/dev/null`` as stdin and pipes to the
  agent as stdout and stderr. When the run's main process ends (or the output
  cap is hit), the agent kills every other process in the container with
  ``kill(-1, SIGKILL)`` and reaps them before it reports the exit: no process
  of a run outlives its report.
* Between runs the agent wipes every writable place a run can reach: every
  read-write mount that is not a kernel pseudo file system (``/tmp``, the
  home and working folder, ``/dev/mqueue``, ``/dev/shm`` when present, any
  other tmpfs), found in ``/proc/self/mountinfo``. It snapshots those places
  at start and, after the wipe, compares. A run that left a process (ended by
  the agent) or a file anywhere (removed by the wipe) recycles the container all
  the same: the next run never shares a container with anything a run left, even
  wiped; so does a process the agent could not end or an entry that still differs
  from the snapshot.
* Every message of the agent carries an HMAC-SHA256 over a sequence number,
  its kind and its payload, keyed with a per-container secret that the host
  writes to the agent's stdin before any run starts and that lives only in the
  agent's (non-dumpable) memory; requests are authenticated the same way. The
  host accepts no byte it cannot verify: a bad frame recycles the container
  and the run is reported as failed.

A run that times out, fails, is truncated or hits a limit recycles its container
(removed before the result is returned, replaced in the background); only clean
runs return it to the pool.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import secrets
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

KEY_BYTES = 32
MAC_BYTES = 32
MAX_FRAME = 1024 * 1024

AGENT = r"""
import ctypes, hashlib, hmac, json, os, re, select, signal, stat, struct, sys, time
ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE=0: /proc/1/fd, mem, environ closed to run code
signal.signal(signal.SIGINT, signal.SIG_IGN)
ENV = {k: os.environ[k] for k in ("PATH", "LANG", "HOME", "PYTHONDONTWRITEBYTECODE") if k in os.environ}
PSEUDO = {"proc", "sysfs", "cgroup", "cgroup2", "devpts", "securityfs", "debugfs", "tracefs", "bpf",
          "pstore", "configfs", "fusectl", "binfmt_misc", "hugetlbfs", "nsfs"}
def readn(n):
    buf = b""
    while len(buf) < n:
        chunk = os.read(0, n - len(buf))
        if not chunk:
            os._exit(0)
        buf += chunk
    return buf
KEY = readn(32)
SEQ = [0, 0]
def mac(seq, data):
    return hmac.new(KEY, struct.pack(">Q", seq) + data, hashlib.sha256).digest()
def send(kind, data):
    msg = kind + struct.pack(">I", len(data)) + data + mac(SEQ[0], kind + data)
    SEQ[0] += 1
    while msg:
        msg = msg[os.write(1, msg):]
def request():
    body = readn(struct.unpack(">I", readn(4))[0])
    ok = hmac.compare_digest(readn(32), mac(SEQ[1], body))
    SEQ[1] += 1
    if not ok:
        os._exit(3)
    return json.loads(body)
def ooms():
    for path in ("/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events"):
        try:
            for line in open(path):
                if line.startswith("oom_kill "):
                    return int(line.split()[1])
        except OSError:
            pass
    return 0
def places():
    found = []
    for line in open("/proc/self/mountinfo"):
        left, _, right = line.partition(" - ")
        fields = left.split()
        if "rw" in fields[5].split(",") and right.split()[0] not in PSEUDO:
            found.append(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4]))
    return sorted(found)
def snapshot():
    seen = {}
    for root in PLACES:
        try:
            dev = os.lstat(root).st_dev
        except OSError:
            continue
        todo = [root]
        while todo:
            path = todo.pop()
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if st.st_dev != dev:
                continue
            kind = stat.S_IFMT(st.st_mode)
            if kind == stat.S_IFDIR:
                seen[path] = (kind, st.st_mode, st.st_uid)
                try:
                    todo.extend(os.path.join(path, name) for name in os.listdir(path))
                except OSError:
                    pass
            else:
                seen[path] = (kind, st.st_mode, st.st_uid, st.st_size, st.st_mtime_ns)
    return seen
def remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        try:
            os.chmod(path, 0o700)
        except OSError:
            pass
        for name in os.listdir(path):
            remove(os.path.join(path, name))
        os.rmdir(path)
    else:
        os.unlink(path)
def others():
    return [p for p in os.listdir("/proc") if p.isdigit() and p != "1"]
def reap(main):
    status = None
    try:
        while True:
            pid, st = os.waitpid(-1, os.WNOHANG)
            if not pid:
                break
            if pid == main:
                status = os.waitstatus_to_exitcode(st)
    except ChildProcessError:
        pass
    return status
def end_processes(main):
    count, status, end = len(others()), None, time.monotonic() + 2.0
    while True:
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        got = reap(main)
        status = got if got is not None else status
        if not others() or time.monotonic() > end:
            return count, status
        time.sleep(0.001)
def wipe():
    removed, error = 0, None
    try:
        now = snapshot()
        for path in sorted((p for p in now if p not in BASE), key=len):
            if os.path.lexists(path):
                remove(path)
                removed += 1
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    after = snapshot()
    changed = sorted(p for p in set(after) | set(BASE) if after.get(p) != BASE.get(p))
    return removed, changed, error
PLACES = places()
BASE = snapshot()
send(b"R", json.dumps({"clean": True, "places": PLACES}).encode())
while True:
    req = request()
    cap = req["cap"]
    oom_before = ooms()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            null = os.open("/dev/null", os.O_RDONLY)
            os.dup2(null, 0); os.dup2(out_w, 1); os.dup2(err_w, 2)
            os.closerange(3, 65536)
            os.chdir("/tmp")
            os.execve(sys.executable, [sys.executable, "-I", "-c", req["code"]], ENV)
        finally:
            os._exit(127)
    os.close(out_w); os.close(err_w)
    t0 = time.monotonic()
    total, truncated, status, duration, fds = 0, False, None, 0.0, {out_r: b"O", err_r: b"E"}
    def relay(wait):
        global total, truncated
        for fd in (select.select(list(fds), [], [], wait)[0] if fds else []):
            data = os.read(fd, 65536)
            if not data:
                del fds[fd]; os.close(fd); continue
            room = cap - total
            total += len(data)
            if room > 0:
                send(fds[fd], data[:room])
            if total > cap and not truncated:
                truncated = True
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
    while status is None:
        if fds:
            relay(0.05)
            status = reap(pid)
        else:
            try:
                status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
            except ChildProcessError:
                status = -9
    duration = time.monotonic() - t0
    killed, _ = end_processes(pid)
    while fds:
        relay(0.05)
    send(b"X", json.dumps({"exit_code": status, "truncated": truncated, "total": total,
                           "duration": duration, "oom": ooms() - oom_before}).encode())
    removed, changed, error = wipe()
    left = others()
    send(b"R", json.dumps({"killed": killed, "removed": removed, "changed": changed[:20],
                           "processes": left[:20], "error": error,
                           "clean": not killed and not removed and not left and not changed and error is None}).encode())
"""


class ChannelError(CrosscheckError):
    """A frame on a pooled container's channel that did not come from its agent."""


class Member:
    """One pooled container, its attach stream and the secret its agent signs with."""

    def __init__(self, api, cid: str, sock) -> None:
        self.api = api
        self.cid = cid
        self.sock = sock
        self.raw = raw_socket(sock)
        self.reader = StreamReader(self.raw)
        self.pending = b""
        self.runs = 0
        self.last_ready: dict = {}
        self.places: list[str] = []
        self.key = secrets.token_bytes(KEY_BYTES)
        self.seq_in = 0
        self.seq_out = 0

    def _mac(self, seq: int, data: bytes) -> bytes:
        return hmac.new(self.key, struct.pack(">Q", seq) + data, hashlib.sha256).digest()

    def hand_over_key(self) -> None:
        """Give the agent its secret: the first bytes on its stdin, before any run exists."""
        self.raw.sendall(self.key)

    def message(self, deadline: float):
        """The next authenticated agent message ``(kind, payload)``; ``(None, b"")`` on deadline or EOF.

        Raises :class:`ChannelError` for a frame whose MAC does not verify.
        """
        while True:
            if len(self.pending) >= 5:
                kind = self.pending[:1]
                size = struct.unpack(">I", self.pending[1:5])[0]
                if kind not in (b"O", b"E", b"X", b"R") or size > MAX_FRAME:
                    raise ChannelError(f"malformed frame from container {self.cid[:12]}")
                end = 5 + size + MAC_BYTES
                if len(self.pending) >= end:
                    data = self.pending[5 : 5 + size]
                    mac = self.pending[5 + size : end]
                    self.pending = self.pending[end:]
                    ok = hmac.compare_digest(mac, self._mac(self.seq_in, kind + data))
                    self.seq_in += 1
                    if not ok:
                        raise ChannelError(f"a frame from container {self.cid[:12]} failed authentication")
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
        mac = self._mac(self.seq_out, body)
        self.seq_out += 1
        self.raw.sendall(struct.pack(">I", len(body)) + body + mac)


class WarmPool:
    """``size`` pre-started containers under ``limits``; thread-safe."""

    agent = AGENT

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
        errors: list[str] = []
        threads = [threading.Thread(target=self._add_quietly, args=(errors,), daemon=True) for _ in range(self.size)]
        for t in threads:
            t.start()
        if wait:
            for t in threads:
                t.join(60)
            if self.idle.qsize() < self.size:
                why = f": {errors[0]}" if errors else ""
                raise CrosscheckError(
                    f"Warm pool: only {self.idle.qsize()} of {self.size} containers from {self.image} became ready{why}"
                )

    def _add(self) -> None:
        if self.closed:
            return
        api = self.api
        cid = api.create_container(
            self.image,
            command=["python3", "-I", "-c", self.agent],
            labels=policy.labels(self.owner, "pool"),
            host_config=policy.host_config(api, self.limits, init=False),
            stdin_open=True,
            **policy.container_config(self.limits),
        )["Id"]
        try:
            sock = api.attach_socket(cid, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            api.start(cid)
            member = Member(api, cid, sock)
            member.hand_over_key()
            try:
                kind, data = member.message(time.monotonic() + 30)
            except ChannelError as exc:
                raise CrosscheckError(f"Warm pool container {cid[:12]} did not report ready: {exc}") from None
            if kind != b"R":
                raise CrosscheckError(f"Warm pool container {cid[:12]} did not report ready")
            member.places = json.loads(data).get("places", [])
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

    def _add_quietly(self, errors: list | None = None) -> None:
        try:
            self._add()
        except Exception as exc:  # a failed replacement shrinks the pool; start() and run() report it
            if errors is not None:
                errors.append(str(exc))

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
        """Run ``code`` in an idle member; the pool's limits apply (timeout and cap may be lowered).

        The container is wiped before the result is returned, or removed when the
        run failed, timed out, was truncated, left anything behind or when a frame
        on its channel failed authentication.
        """
        check_code(code)
        limits = limits or self.limits
        t0 = time.monotonic()
        try:
            member = self.idle.get(timeout=30)
        except queue.Empty:
            raise CrosscheckError(
                f"Warm pool: no container became idle within 30 s ({len(self.members)} of {self.size} alive)."
            ) from None
        effective = self.limits.with_changes(
            timeout=min(limits.timeout, self.limits.timeout), output=min(limits.output, self.limits.output)
        )
        res = Result(container=member.cid[:12], mode="warm", limits=effective)
        out, err = bytearray(), bytearray()
        healthy = False
        try:
            member.send(code, effective.output)
            started = time.monotonic()
            deadline = started + effective.timeout
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
                    healthy = res.exit_code == 0 and not res.truncated and member.last_ready.get("clean", False)
                    break
            if res.exit_code is None:
                self._check_oom(member, res)
            if res.timed_out:
                res.duration = time.monotonic() - started
        except ChannelError as exc:
            healthy = False
            res.exit_code = None
            res.channel_error = str(exc)
            out.clear()
            err[:] = f"[sandbox] {exc}; the container was removed and this run's output discarded\n".encode()
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
