"""Attacks on the sandbox beyond the battery, in fresh and warm mode, against a real engine.

A run must not outlive its report, reach what carries the next run's code or
result, or leave anything to the next run; the limit reported must be the one
that fired.
"""

import pytest

from crosscheck.sandbox import image, runner
from crosscheck.sandbox.policy import Limits
from crosscheck.sandbox.pool import WarmPool

# Opens PID 1's stdout for writing and its stdin for reading (the warm pool's channel in a
# container whose PID 1 is reachable), writes fake agent messages (output, an exit of 0,
# "clean"), then keeps reading later requests and answering them with fake results.
ATTACK = r"""
import json, os, struct, sys, time
def frame(kind, data):
    return kind + struct.pack(">I", len(data)) + data
EXIT0 = json.dumps({"exit_code": 0, "truncated": False, "total": 7, "duration": 0.01, "oom": 0}).encode()
CLEAN = json.dumps({"clean": True}).encode()
def attack():
    try:
        w = os.open("/proc/1/fd/1", os.O_WRONLY)
        r = os.open("/proc/1/fd/0", os.O_RDONLY)
    except OSError as exc:
        return "blocked " + type(exc).__name__
    os.write(w, frame(b"O", b"FORGED\n") + frame(b"X", EXIT0) + frame(b"R", CLEAN))
    while True:
        head = os.read(r, 4)
        if len(head) < 4:
            return "stdin closed"
        body = os.read(r, struct.unpack(">I", head)[0])
        os.write(w, frame(b"O", b"STOLEN " + body[:60] + b"\n") + frame(b"X", EXIT0) + frame(b"R", CLEAN))
"""
# form 1: the run's own process does it, then exits 3 (a forged result would say 0)
INLINE = ATTACK + "print(attack(), flush=True)\nsys.exit(3)\n"
# form 2: a grandchild in its own session does it and stays; the run itself exits 0
DETACHED = (
    ATTACK
    + r"""
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.close(1)
        os.close(2)
        attack()
        time.sleep(60)  # attack_mark: outlive the run if nothing ends it
        os._exit(0)
    os._exit(0)
time.sleep(0.5)
print("parent done", flush=True)
"""
)
LOOK = (
    "import os\nmine = str(os.getpid())\n"
    "procs = [open(f'/proc/{p}/cmdline', 'rb').read() for p in os.listdir('/proc') if p.isdigit() and p != mine]\n"
    "print(sum(b'attack' + b'_mark' in c for c in procs), sorted(os.listdir('/tmp')), sorted(os.listdir('/dev/mqueue')))"
)


@pytest.fixture
def pool(engine):
    p = WarmPool(engine, Limits(timeout=3.0), image.image_name(), size=1)
    p.start()
    yield p
    p.close()


@pytest.fixture(params=["fresh", "warm"])
def run(request, engine):
    """``run(code, **limit_changes)`` in the mode of the parameter (warm: a pool of one container)."""
    if request.param == "fresh":

        def fresh(code, **changes):
            return runner.run_fresh(engine, code, Limits(timeout=3.0).with_changes(**changes), image.image_name())

        yield fresh
        return
    p = WarmPool(engine, Limits(timeout=3.0), image.image_name(), size=1)
    p.start()

    def warm(code, **changes):
        return p.run(code, Limits(timeout=3.0).with_changes(**changes))

    warm.pool = p
    yield warm
    p.close()


def gone(engine, container: str) -> bool:
    return engine.api.containers(all=True, filters={"id": container}) == []


# --- forged results, outliving the report, reading the next run's code ------------------------


def test_a_run_cannot_forge_its_result_or_read_the_next_runs(run, engine):
    attack = run(INLINE)
    # its own exit code (3), not the forged 0
    assert (attack.status, attack.exit_code) == ("error", 3), (attack, attack.stdout, attack.stderr)
    if attack.mode == "warm":
        assert attack.stdout == "blocked PermissionError\n" and attack.recycled
    assert gone(engine, attack.container)  # nothing of the run is left once its result is back
    for i in range(3):
        own = run(f"print('own-{i}')")
        assert (own.status, own.stdout) == ("ok", f"own-{i}\n"), (own, own.stdout)


def test_a_detached_process_cannot_forge_results_or_outlive_the_run(run, engine):
    attack = run(DETACHED)
    assert (attack.status, attack.exit_code) == ("ok", 0), (attack, attack.stderr)
    if attack.mode == "warm":
        # nothing but the run's own output: the grandchild could not open PID 1's pipes;
        # the agent ended the grandchild, and a run that left a process recycles its container
        assert attack.stdout == "parent done\n" and attack.recycled
    else:
        # fresh: PID 1 is docker-init, whose stdout is this run's own output; the container is gone
        assert attack.stdout.endswith("parent done\n") and gone(engine, attack.container)
    look = run(LOOK)
    assert look.stdout == "0 [] []\n", look.stdout  # no process of the attack alive, nothing left
    if attack.mode == "warm":
        assert look.container != attack.container  # a fresh container: the attack's was recycled
    for i in range(3):
        own = run(f"print('own-{i}')")
        assert (own.status, own.stdout) == ("ok", f"own-{i}\n"), (own, own.stdout)


def test_pid_1_and_its_pipes_are_out_of_reach_in_the_pool(pool):
    code = (
        "import os\nfor p in ('/proc/1/fd/0', '/proc/1/fd/1', '/proc/1/fd/2', '/proc/1/mem', '/proc/1/environ'):\n"
        "    try:\n        os.close(os.open(p, os.O_RDONLY)); print(p, 'open')\n"
        "    except OSError as e:\n        print(p, type(e).__name__)\n"
        "try:\n    print(os.listdir('/proc/1/fd'))\nexcept OSError as e:\n    print('fd dir', type(e).__name__)\n"
        "print(os.getppid())"
    )
    res = pool.run(code)
    lines = res.stdout.splitlines()
    assert all(line.endswith("PermissionError") for line in lines[:-1]), res.stdout
    assert lines[-1] == "1"  # the agent is PID 1: no other init shares its pipes


def test_signals_from_a_run_do_not_stop_the_agent(pool):
    res = pool.run(
        "import os, signal\nfor s in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL, signal.SIGSTOP):\n"
        "    os.kill(1, s)\nprint('sent')"
    )
    assert res.stdout == "sent\n" and not res.recycled
    assert pool.run("print('still here')").stdout == "still here\n"


def test_a_pool_whose_agent_signs_with_another_key_never_becomes_ready(engine):
    class Impostor(WarmPool):
        agent = WarmPool.agent.replace("KEY = readn(32)", "KEY = readn(32)[::-1]")

    p = Impostor(engine, Limits(timeout=3.0), image.image_name(), size=1)
    try:
        with pytest.raises(Exception, match="failed authentication"):
            p.start()
    finally:
        p.close()
    assert [c for c in runner.ours(engine) if c["Labels"].get("crosscheck.sandbox") == "pool"] == []


# --- nothing left to the next run ------------------------------------------------------------------


def test_a_message_queue_is_not_seen_by_the_next_run(run):
    first = run(
        "import os\nos.close(os.open('/dev/mqueue/cc_leak', os.O_CREAT | os.O_RDWR, 0o600))\n"
        "print(sorted(os.listdir('/dev/mqueue')))"
    )
    assert first.stdout == "['cc_leak']\n", (first, first.stderr)
    second = run("import os\nprint(sorted(os.listdir('/dev/mqueue')))")
    assert second.stdout == "[]\n"


def test_files_in_every_writable_place_are_wiped(run):
    code = (
        "import os\nmade = []\nfor d in ('/tmp', os.environ['HOME'], os.getcwd(), '/dev/mqueue', '/dev/shm', '/dev', '/run'):\n"
        "    try:\n        os.close(os.open(os.path.join(d, 'cc_trace'), os.O_CREAT | os.O_WRONLY, 0o600)); made.append(d)\n"
        "    except OSError:\n        pass\n"
        "os.makedirs('/tmp/a/b/c')\nos.chmod('/tmp/a/b', 0)\nprint(sorted(set(made)))"
    )
    first = run(code)
    assert first.stdout == "['/dev/mqueue', '/tmp']\n", (first, first.stderr)
    second = run("import os\nprint([d for d in ('/tmp', '/dev/mqueue') if os.listdir(d)])")
    assert second.stdout == "[]\n"
    if second.mode == "warm":
        assert second.container != first.container  # wiped, and recycled all the same


def test_the_pool_wipes_every_read_write_mount(pool):
    member = next(iter(pool.members.values()))
    assert {"/tmp", "/dev/mqueue"} <= set(member.places), member.places
    pool.run("print(1)")
    assert member.last_ready["clean"] and member.last_ready["changed"] == []


# --- causes ------------------------------------------------------------------------------------------

THREAD_BOMB = (
    "import threading, time\ndef wait():\n    time.sleep(60)\nwhile True:\n    threading.Thread(target=wait).start()"
)
SEGFAULT = "import ctypes\nctypes.string_at(0)"


def test_a_thread_bomb_is_reported_as_the_pids_limit_not_the_timeout(run):
    res = run(THREAD_BOMB, timeout=2.0)
    assert "can't start new thread" in res.stderr, res.stderr[-300:]
    assert res.limit == "pids limit (EAGAIN)", (res, res.stderr[-300:])


def test_a_segfault_is_reported_as_signal_11_in_both_modes(run):
    res = run(SEGFAULT)
    assert res.exit_code in (-11, 139) and res.limit == "signal 11 (SIGSEGV)", res


def test_every_run_reports_the_limits_it_was_under(run):
    res = run("print(1)", timeout=1.5)
    assert res.limits.timeout == 1.5 and res.as_dict()["limits"]["timeout"] == "1.5 s"


# --- size cap before parsing, before a container or a pool ------------------------------------------


def test_ten_megabytes_are_refused_before_a_pool_starts(engine):
    from crosscheck.errors import ConfigurationError

    p = WarmPool(engine, Limits(), image.image_name(), size=1)  # not started
    with pytest.raises(ConfigurationError, match="over the 102400-byte cap"):
        p.run("x = 1\n" * (10 * 1024 * 1024 // 6))
    assert p.members == {} and runner.ours(engine) == []
