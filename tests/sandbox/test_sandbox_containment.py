"""The containment battery against a real engine: each case is contained and names the limit that fired."""

import pytest

from crosscheck.sandbox import image, runner
from crosscheck.sandbox.policy import Limits

MEMORY_BOMB = "b = bytearray(400 << 20)\nb[::4096] = b'x' * (len(b) // 4096)\nprint('survived')"
FORK_BOMB = "import os\nwhile True:\n    os.fork()"
PROCESS_FLOOD = "import os, time\nwhile True:\n    if os.fork() == 0:\n        time.sleep(30)\n        os._exit(0)"


def run(engine, code, **changes):
    return runner.run_fresh(engine, code, Limits().with_changes(**changes), image.image_name())


def test_plain_run(engine):
    res = run(engine, "import os\nprint(os.getuid(), 6 * 7)")
    assert (res.status, res.exit_code, res.limit) == ("ok", 0, "none")
    assert res.stdout == "10001 42\n"


def test_runtime_error(engine):
    res = run(engine, "1/0")
    assert res.status == "error" and res.exit_code == 1 and "ZeroDivisionError" in res.stderr


def test_import_error(engine):
    res = run(engine, "import no_such_module_here")
    assert res.exit_code == 1 and "ModuleNotFoundError" in res.stderr


def test_memory_bomb_is_oom_killed(engine):
    res = run(engine, MEMORY_BOMB)
    assert res.oom_killed and res.status == "oom" and res.limit == "memory limit (OOM-killed)"
    assert "survived" not in res.stdout


def test_fork_bomb_is_stopped_by_the_pids_or_the_memory_limit(engine):
    # every copy forks again: on a loaded machine the memory limit may be reached before the pids limit
    res = run(engine, FORK_BOMB, timeout=10)
    assert not res.timed_out and res.limit in ("pids limit (EAGAIN)", "memory limit (OOM-killed)"), (
        res,
        res.stderr[-300:],
    )


def test_process_flood_hits_pids_limit(engine):
    res = run(engine, PROCESS_FLOOD, timeout=10)
    assert not res.timed_out and res.limit == "pids limit (EAGAIN)", (res, res.stderr[-300:])


def test_cpu_spin_is_killed_at_timeout(engine):
    res = run(engine, "while True: pass", timeout=1.0)
    assert res.timed_out and res.status == "timeout" and res.limit == "wall-clock timeout (killed)"
    assert 0.9 < res.duration < 4


def test_endless_output_is_capped(engine):
    res = run(engine, "while True: print('x' * 1000)", output=64 * 1024)
    assert res.truncated and res.status == "output capped" and res.limit == "output cap (killed)"
    assert len(res.stdout) == 64 * 1024 and res.output_bytes > 64 * 1024


def test_110_kb_of_output_is_delivered_whole(engine):
    res = run(engine, "print('y' * 110 * 1024)")
    assert res.status == "ok" and not res.truncated and len(res.stdout) == 110 * 1024 + 1


def test_filling_tmp_hits_tmpfs_size(engine):
    res = run(engine, "for i in range(64):\n    open(f'/tmp/f{i}', 'wb').write(b'x' * (1 << 20))")
    assert res.limit == "tmpfs full (ENOSPC)", res.stderr[-300:]


def test_writing_outside_tmp_hits_read_only_root(engine):
    res = run(engine, "open('/usr/evil', 'w').write('x')")
    assert res.limit == "read-only file system (EROFS)", res.stderr[-300:]


@pytest.mark.parametrize("target", ["('example.com', 80)", "('1.1.1.1', 53)"])
def test_network_by_name_and_ip_is_unreachable(engine, target):
    res = run(engine, f"import socket\nsocket.create_connection({target}, timeout=2)")
    assert res.limit == "network none", res.stderr[-300:]


def test_setuid_is_denied(engine):
    res = run(engine, "import os\nos.setuid(0)")
    assert res.limit == "seccomp or no capabilities (EPERM)"


def test_ptrace_is_denied_by_seccomp(engine):
    code = (
        "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "if libc.ptrace(0, 0, 0, 0) == -1:\n    e = ctypes.get_errno(); raise OSError(e, os.strerror(e))\n"
        "print('traced')"
    )
    res = run(engine, code)
    assert res.limit == "seccomp or no capabilities (EPERM)" and "traced" not in res.stdout


def test_ptrace_is_allowed_without_the_profile_so_the_test_can_fail(engine):
    code = "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nprint(libc.ptrace(0, 0, 0, 0))"
    res = run(engine, code, seccomp=False)
    assert res.stdout.strip() == "0"


def test_docker_socket_and_host_environment_are_absent(engine):
    res = run(engine, "import os, json\nprint(os.path.exists('/var/run/docker.sock'), json.dumps(sorted(os.environ)))")
    exists, names = res.stdout.split(" ", 1)
    assert exists == "False"
    assert set(eval(names)) <= {"PATH", "LANG", "HOME", "PYTHONDONTWRITEBYTECODE", "HOSTNAME"}


def test_masked_proc_paths_reveal_nothing(engine):
    code = (
        "import os\nfor p in ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/sys/firmware']:\n"
        "    try:\n        data = open(p, 'rb').read(64) if os.path.isfile(p) else b''.join(n.encode() for n in os.listdir(p))\n"
        "    except OSError as e:\n        data = b''\n    print(p, len(data))"
    )
    res = run(engine, code)
    assert res.exit_code == 0
    assert all(line.endswith(" 0") for line in res.stdout.splitlines()), res.stdout


def test_sleep_past_timeout_is_killed(engine):
    res = run(engine, "import time\ntime.sleep(30)", timeout=1.0)
    assert res.timed_out and res.duration < 5


def test_code_over_the_size_limit_is_refused(engine):
    from crosscheck.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="the sandbox takes at most"):
        run(engine, "#" * (runner.MAX_CODE_BYTES + 1))
