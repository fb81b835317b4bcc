"""Resource monitors on real processes: leaks and no leaks, by pid, port and name, cleanup, failures.

The processes are Python children of this test process (one allocating steadily, one idle,
one listening on a port with a child of its own, one spinning the CPU); each is killed, with
its children, when its test ends. The last test runs the day-4 load suite against a demo
started with the ``memory-leak`` fault.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import psutil
import pytest
from robot.api import ExecutionResult

from crosscheck import figures
from crosscheck.assertions import AssertionOperator
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.verdict.library import Verdict
from suite_runner import run_suites

OP = AssertionOperator
# 2 MB every 50 ms (about 40 MB/s), written so the pages are resident; it stops at 400 MB
ALLOCATES = textwrap.dedent(
    """
    import time
    keep = []
    while len(keep) < 200:
        keep.append(b"x" * (2 * 2**20))
        time.sleep(0.05)
    time.sleep(120)
    """
)
IDLE = "import time; time.sleep(120)"
SPINS = "import time\nend = time.monotonic() + 120\nwhile time.monotonic() < end: pass"
# listens on a free port, starts a child of its own, prints the port
LISTENS = textwrap.dedent(
    """
    import socket, subprocess, sys, time
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    print(s.getsockname()[1], flush=True)
    time.sleep(120)
    """
)


def kw(lib, name, *args, **kwargs):
    args = tuple(OP[a] if isinstance(a, str) and a in OP.__members__ else a for a in args)
    name = name if name in lib.keywords else name.lower().replace(" ", "_")  # a custom name is kept as written
    return lib.run_keyword(name, list(args), kwargs)


def monitor_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("crosscheck-monitor-")]


@pytest.fixture()
def spawn():
    """``spawn(code, *argv)`` starts ``python -c code``; each one and its children are killed at the end."""
    started: list[subprocess.Popen] = []

    def start(code: str, *argv: str) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-c", code, *argv], stdout=subprocess.PIPE, text=True)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        try:
            family = psutil.Process(proc.pid).children(recursive=True)
        except psutil.Error:
            family = []
        for child in family:
            child.kill()
        proc.kill()
        proc.wait(10)
        psutil.wait_procs(family, timeout=10)


@pytest.fixture()
def verdict():
    lib = Verdict()
    yield lib
    lib.cleanup.close()
    assert not monitor_threads(), "a monitor thread outlived its library"


def sampled(lib, name: str, seconds: float) -> None:
    time.sleep(seconds)
    kw(lib, "Stop Resource Monitor", name)


def test_a_process_that_allocates_steadily_leaks(verdict, spawn):
    proc = spawn(ALLOCATES)
    assert kw(verdict, "Start Resource Monitor", "grower", pid=proc.pid, interval="100 ms") == [proc.pid]
    sampled(verdict, "grower", 3.0)
    growth = kw(verdict, "Get Memory Growth", "grower", ">", "20 MB")
    with pytest.raises(CrosscheckError) as failure:
        kw(verdict, "Memory Should Not Leak", "grower", bound="20 MB")
    message = str(failure.value)
    assert re.match(
        rf"^Memory of resource monitor 'grower' \(python\S* \(pid {proc.pid}: -c import time .*\)\) leaks: "
        r"RSS grew \+\d+\.\d MB over \d+\.\d s after a \d\.\d s warm-up \(Theil-Sen slope \+[\d.]+ MB/min, "
        r"\d+ % of pairwise slopes positive, Mann-Kendall p = [\d.e-]+, \d+ samples\): "
        r"steady growth above the bound of 20 MB\.$",
        message,
    ), message
    assert 40 < growth < 400, growth  # about 40 MB/s over the 2.4 s after the warm-up


def test_an_idle_process_does_not_leak(verdict, spawn):
    proc = spawn(IDLE)
    kw(verdict, "Start Resource Monitor", "idle", pid=proc.pid, interval="100 ms")
    sampled(verdict, "idle", 2.0)
    growth = kw(verdict, "Memory Should Not Leak", "idle", bound="20 MB")
    assert abs(growth) < 1, growth
    assert kw(verdict, "Get Memory Growth", "idle", "<", 1) < 1


def test_a_port_means_the_processes_listening_on_it_with_their_children(verdict, spawn):
    proc = spawn(LISTENS)
    port = int(proc.stdout.readline())
    assert kw(verdict, "Start Resource Monitor", "server", port=port, interval="100 ms") == [proc.pid]
    time.sleep(0.5)
    assert kw(verdict, "Get Resource Peak", "server", "processes", "==", 2) == 2  # it and its child
    assert kw(verdict, "Get Resource Peak", "server", "threads", ">=", 2) >= 2
    assert kw(verdict, "Get Resource Peak", "server", "open_files", ">", 0) > 0
    figures_ = kw(verdict, "Stop Resource Monitor", "server")
    assert figures_["processes_peak"] == 2 and figures_["samples"] >= 3 and figures_["rss_peak_mb"] > 1


def test_a_name_pattern_finds_processes_by_their_command_line_but_never_this_one(verdict, spawn):
    marker = f"crosscheck-verdict-test-{uuid.uuid4().hex[:8]}"
    first, second = spawn(IDLE, marker), spawn(IDLE, marker)
    pids = kw(verdict, "Start Resource Monitor", "named", process=marker, interval="100 ms")
    assert sorted(pids) == sorted([first.pid, second.pid])
    time.sleep(0.3)
    assert kw(verdict, "Get Resource Peak", "named", "processes") == 2
    own = re.escape(" ".join(psutil.Process().cmdline()))
    with pytest.raises(CrosscheckError, match=r"^No process on this machine matches process="):
        kw(verdict, "Start Resource Monitor", "myself", process=own)


def test_a_monitor_stops_at_the_end_of_the_test_that_started_it_and_leaves_no_thread(verdict, spawn):
    proc = spawn(IDLE)
    verdict.cleanup.push("test", "Suite.A Test")
    kw(verdict, "Start Resource Monitor", "scoped", pid=proc.pid, interval="100 ms")
    monitor = verdict.ctx.monitor("scoped")
    assert monitor.running and len(monitor_threads()) == 1
    time.sleep(0.3)
    verdict.cleanup.pop()  # the test ends
    assert not monitor.running and not monitor_threads()
    count = len(monitor.samples)
    time.sleep(0.3)
    assert len(monitor.samples) == count  # no sampling after the end
    assert kw(verdict, "Get Resource Peak", "scoped", "rss_mb") > 1  # its samples stay readable
    # the name is free again once stopped
    kw(verdict, "Start Resource Monitor", "scoped", pid=proc.pid, interval="100 ms")
    verdict.cleanup.close()  # the run ends
    assert not monitor_threads()


def test_average_cpu_of_a_spinning_process_fails_a_low_limit_with_the_figures(verdict, spawn):
    proc = spawn(SPINS)
    kw(verdict, "Start Resource Monitor", "spinner", pid=proc.pid, interval="200 ms")
    sampled(verdict, "spinner", 1.5)
    with pytest.raises(AssertionError) as failure:
        kw(verdict, "Get Average CPU", "spinner", "<", "10 %")
    assert re.match(
        rf"^Average CPU of resource monitor 'spinner' \(python\S* \(pid {proc.pid}: .*\)\) is \d+\.\d % of one core over "
        r"\d\.\d s \(\d+ samples, peak \d+\.\d %\), expected < 10 %\.$",
        str(failure.value),
    ), str(failure.value)
    assert kw(verdict, "Get Average CPU", "spinner", ">", 50) > 50


def test_database_connections_are_counted_by_application(verdict, spawn, pg_conn):
    proc = spawn(IDLE)
    kw(verdict, "Start Resource Monitor", "db", pid=proc.pid, interval="100 ms", database=True)
    time.sleep(0.3)
    assert kw(verdict, "Get Resource Peak", "db", "db_connections", ">=", 1, application="crosscheck-pytest") >= 1
    kw(verdict, "Stop Resource Monitor", "db")
    assert verdict.ctx.monitor("db").database is None  # its connection is closed


def test_what_cannot_be_monitored_or_judged_fails_at_once_saying_why(verdict, spawn):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once it is closed
    with pytest.raises(CrosscheckError, match=rf"^No process listens on port {port} on this machine"):
        kw(verdict, "Start Resource Monitor", "none", port=port)
    with pytest.raises(CrosscheckError, match=r"^No process with pid 999999999 on this machine"):
        kw(verdict, "Start Resource Monitor", "none", pid=999999999)
    with pytest.raises(ConfigurationError, match=r"^Give exactly one of port=, pid= or process=.*\.$"):
        kw(verdict, "Start Resource Monitor", "none")
    with pytest.raises(ConfigurationError, match=r"not port and pid\.$"):
        kw(verdict, "Start Resource Monitor", "none", port=80, pid=1)
    with pytest.raises(ConfigurationError, match=r"^interval must be at least 50 ms"):
        kw(verdict, "Start Resource Monitor", "none", pid=spawn(IDLE).pid, interval="1 ms")
    with pytest.raises(CrosscheckError, match=r"^No resource monitor named 'nope' \(known: none\)"):
        kw(verdict, "Get Average CPU", "nope")
    proc = spawn(IDLE)
    kw(verdict, "Start Resource Monitor", "short", pid=proc.pid, interval="1 s")
    with pytest.raises(ConfigurationError, match=r"^Resource monitor 'short' is already running"):
        kw(verdict, "Start Resource Monitor", "short", pid=proc.pid)
    with pytest.raises(
        CrosscheckError,
        match=r"^Cannot judge the memory of resource monitor 'short' .*: 1 sample after a warm-up of 0\.0 s, "
        r"at least 8 are needed \(the monitor has 1 sample over 0\.0 s, one every 1 s; running\)\. Monitor longer",
    ):
        kw(verdict, "Memory Should Not Leak", "short")
    with pytest.raises(CrosscheckError, match=r"^No CPU figure for resource monitor 'short'"):
        kw(verdict, "Get Average CPU", "short")
    with pytest.raises(CrosscheckError, match=r"^No db_connections for .*: it was started without database=True\.$"):
        kw(verdict, "Get Resource Peak", "short", "db_connections")
    with pytest.raises(ConfigurationError, match=r"^figure must be one of rss_mb, cpu_percent"):
        kw(verdict, "Get Resource Peak", "short", "swap")
    with pytest.raises(ConfigurationError, match=r"^bound='lots' is not a size"):
        kw(verdict, "Memory Should Not Leak", "short", bound="lots")
    with pytest.raises(ConfigurationError, match=r"^warmup='soon' is neither a time nor a share"):
        kw(verdict, "Get Memory Growth", "short", warmup="soon")


def test_a_monitor_whose_processes_end_says_so_when_it_cannot_judge(verdict, spawn):
    proc = spawn("import time; time.sleep(0.4)")
    kw(verdict, "Start Resource Monitor", "brief", pid=proc.pid, interval="100 ms")
    proc.wait(10)
    time.sleep(0.5)
    with pytest.raises(CrosscheckError, match=r"running; its processes ended \d\.\d s after it started\)"):
        kw(verdict, "Memory Should Not Leak", "brief")


def test_figures_and_the_chart_reach_the_robot_log(tmp_path, spawn):
    proc = spawn(ALLOCATES)
    suite = tmp_path / "monitor.robot"
    suite.write_text(
        textwrap.dedent(
            """
            *** Settings ***
            Library    crosscheck.Verdict

            *** Test Cases ***
            Memory Is Watched
                Start Resource Monitor    worker    pid=${PID}    interval=100 ms
                Sleep    2.5 s
                Stop Resource Monitor    worker
                Get Memory Growth    worker    >    10 MB
                Get Average CPU    worker    <    400
                Get Resource Peak    worker    rss_mb    >    10
                Memory Should Not Leak    worker    bound=10 MB
            """
        )
    )
    run = subprocess.run(
        [sys.executable, "-m", "robot", "--outputdir", str(tmp_path), "--variable", f"PID:{proc.pid}", str(suite)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    result = ExecutionResult(str(tmp_path / "output.xml"))
    test = result.suite.tests[0]
    assert (
        test.message.startswith("Memory of resource monitor 'worker' (python") and "leaks: RSS grew +" in test.message
    )
    recorded = {}
    svg = 0
    for step in test.body:
        for message in step.body:
            if getattr(message, "type", "") == "MESSAGE":
                svg += "<svg" in message.message
                recorded.update({f["figure"]: f for f in figures.parse(message.message)})
    assert set(recorded) == {
        "monitor.worker.rss_growth_mb",
        "monitor.worker.cpu_mean_percent",
        "monitor.worker.peak_rss_mb",
        "monitor.worker.leak",
    }, recorded
    assert recorded["monitor.worker.leak"]["value"] == 1.0 and recorded["monitor.worker.leak"]["better"] == "lower"
    assert (
        recorded["monitor.worker.rss_growth_mb"]["unit"] == "MB"
        and recorded["monitor.worker.rss_growth_mb"]["value"] > 10
    )
    assert recorded["monitor.worker.cpu_mean_percent"]["unit"] == "%"
    assert "pid" in recorded["monitor.worker.leak"]["where"]
    assert svg >= 4  # Stop, the growth, the CPU, the peak and the leak each show the chart


def test_the_day4_load_suite_calls_the_demo_memory_leak_a_leak_naming_the_process_and_the_growth(tmp_path: Path):
    run = run_suites(tmp_path, "04_day4_load/api_load.robot", faults="memory-leak")
    assert run.rc != 0, run.describe()
    leak = "The API Does Not Leak Memory Under Load"
    assert leak in run.failed, run.describe()
    match = re.match(
        r"^Memory of resource monitor 'demo-api' \(the processes listening on port \d+: python\S* \(pid \d+: "
        r"-m demo_gateway\.cli serve --fd \d+\)\) leaks: RSS grew \+(\d+\.\d) MB over \d+\.\d s after a "
        r"\d+\.\d s warm-up \(Theil-Sen slope \+[\d.]+ MB/min, \d+ % of pairwise slopes positive, "
        r"Mann-Kendall p = [\d.e-]+, \d+ samples\): steady growth above the bound of 100 MB\.$",
        run.failed[leak],
    )
    assert match, run.failed[leak]
    assert float(match.group(1)) > 100
    # the rest of the suite is not what caught it: error rate, CPU and logs pass
    for name in (
        "The Error Rate Stays Below The Go Threshold At Every Stage",
        "The API's Average CPU Stays Below The Limit Under Load",
        "The System Under Test Logged No Unhandled Exceptions",
    ):
        assert run.statuses[name] == "PASS", run.describe()
