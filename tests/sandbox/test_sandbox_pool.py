"""The warm pool: reuse, isolation between runs, recycling after failures."""

import pytest

from crosscheck.sandbox import image, runner
from crosscheck.sandbox.policy import Limits
from crosscheck.sandbox.pool import WarmPool

LEAVE_TRACES = (
    "import os, subprocess, sys\nopen('/tmp/trace', 'w').write('x')\nos.makedirs('/tmp/d/e')\n"
    "os.environ['LEAK'] = '1'\n"
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)  # leftover_mark'], start_new_session=True)\n"
    "print('left traces')"
)
LOOK_FOR_TRACES = (
    "import os\nprocs = [open(f'/proc/{p}/cmdline', 'rb').read() for p in os.listdir('/proc') if p.isdigit()]\n"
    "print(sorted(os.listdir('/tmp')), os.environ.get('LEAK'), sum(b'leftover' + b'_mark' in c for c in procs), len(procs))"
)


@pytest.fixture
def pool(engine):
    p = WarmPool(engine, Limits(timeout=2.0), image.image_name(), size=1)
    p.start()
    yield p
    p.close()
    assert [c for c in runner.ours(engine) if c["Labels"].get("crosscheck.sandbox") == "pool"] == []


def test_clean_runs_reuse_the_container(pool):
    first = pool.run("print('a')")
    second = pool.run("print('b')")
    assert (first.stdout, second.stdout) == ("a\n", "b\n")
    assert first.container == second.container and not first.recycled and second.mode == "warm"


def test_nothing_of_one_run_is_visible_to_the_next(pool):
    first = pool.run(LEAVE_TRACES)
    assert first.stdout == "left traces\n"
    assert first.recycled  # a run that left files or processes never shares its container again
    second = pool.run(LOOK_FOR_TRACES)
    assert second.container != first.container
    assert second.stdout.startswith("[] None 0 "), second.stdout


def test_failed_run_recycles_its_container(pool):
    ok = pool.run("print(1)")
    bad = pool.run("1/0")
    assert bad.status == "error" and bad.recycled
    after = pool.run("print(2)")
    assert after.container != ok.container and after.stdout == "2\n"


def test_timeout_recycles(pool):
    res = pool.run("while True: pass")
    assert res.timed_out and res.recycled and res.status == "timeout"
    assert pool.run("print(3)").stdout == "3\n"


def test_memory_bomb_is_reported_as_oom(pool):
    res = pool.run("b = bytearray(400 << 20)\nb[::4096] = b'x' * (len(b) // 4096)")
    assert res.oom_killed and res.limit == "memory limit (OOM-killed)" and res.recycled


def test_output_cap_holds_in_the_pool(pool):
    res = pool.run("while True: print('x' * 1000)", Limits(timeout=2.0, output=32 * 1024))
    assert res.truncated and len(res.stdout) == 32 * 1024 and res.recycled
