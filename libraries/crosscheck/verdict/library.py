"""The crosscheck.Verdict library class."""

from __future__ import annotations

from crosscheck.core import CrosscheckLibrary
from crosscheck.verdict.context import VerdictContext
from crosscheck.verdict.keywords.logs import LogKeywords
from crosscheck.verdict.keywords.monitors import MonitorKeywords


class Verdict(CrosscheckLibrary):
    """Verdict measures what a Go/No-Go decision needs beyond the tests' own checks: the system's
    memory and CPU over time, memory leaks, and unhandled exceptions in its logs (seeds 001 and 004).

    = Monitors =
    `Start Resource Monitor` samples local processes in a background thread: the processes
    listening on a ``port``, a ``pid``, or those whose command line matches a ``process``
    pattern, always with their children. Every ``interval`` (default 1 s) it reads RSS (MB),
    CPU (percent of one core), open file descriptors, threads, the number of processes, and
    with ``database=True`` the Postgres connections by application. `Stop Resource Monitor`
    ends it; the getters read its samples by name, while it runs or after it stopped.

    | Start Resource Monitor    api    port=${port}    interval=200 ms
    | Repeat Keyword    4 s    GET    ${API}/health
    | Stop Resource Monitor    api
    | Memory Should Not Leak    api    bound=${MEMORY_INCREASE_LIMIT_MB} MB
    | Get Average CPU    api    <    ${AVERAGE_CPU_LIMIT_PERCENT}

    In a day-4 suite the work in between is crosscheck.Load's ``Run Load Stages``.

    log.html shows each monitor as a chart over time: RSS in blue (left axis, MB), CPU in orange
    (right axis, %), the warm-up shaded grey, and for memory the fitted trend as a dashed red line
    with the growth written above it.

    = Leaks =
    Memory is judged after a warm-up (``warmup=``, default the first 20 % of the window, or a
    time such as ``30 s``): starting processes allocate pools, caches and threads once. Over
    the samples after it:

    - the growth is the Theil-Sen slope of RSS (the median of the slopes between every pair of
      samples) times the duration. Noise around a flat line gives a growth near zero however
      large the noise; a step or a few outliers barely move it;
    - `Memory Should Not Leak` calls it a leak when the one-sided Mann-Kendall test finds an
      upward trend at ``confidence`` (default 0.99, ties corrected) *and* the growth exceeds
      ``bound`` (MB over the window, default ``MEMORY_INCREASE_LIMIT_MB``, 100 MB).

    So steady growth beyond the bound is a leak; memory that is flat with noise, or that jumps
    during the warm-up and then stays, is not; and a significant rise below the bound (a cache
    filling up) is reported in the log but passes. At least 8 samples after the warm-up are
    needed: with fewer the keyword fails, saying how many it had, rather than pass unjudged.
    `Get Memory Growth` returns the same growth for any assertion, such as seed 001's
    ``Get Memory Growth    api    <    ${MEMORY_INCREASE_LIMIT_MB}``.

    = Logs =
    `Logs Should Have No Unhandled Exceptions` fails on a Python traceback or a line logged at
    ERROR, CRITICAL or FATAL, naming each file and line. By default it reads the logs of the
    system under test that this run's stack started (``results/stack/<key>/``, without the
    stack's own and its servers' logs); with an API configured by ``CROSSCHECK_API_URL`` there
    are none, and the test is skipped saying so: name the files instead. Only what the run
    appended is read: the library remembers where each file ended when it started,
    `Start Log Watch` sets a new mark, and each check moves the mark past what it read.
    `Get Unhandled Exception Count` counts without moving it.

    | Start Log Watch
    | Logs Should Have No Unhandled Exceptions

    = Times =
    No Verdict getter compares a time, so none takes a time-valued target: memory is in MB
    (``100``, ``100 MB``, ``1 GB``), CPU in percent (``80``, ``80 %``), counts are plain numbers.
    Elsewhere in crosscheck a time-valued target must carry a unit (``100 ms``, ``0.2 s``), and
    a bare number such as ``0.2`` is refused. The arguments ``interval=`` and ``warmup=``
    follow Robot Framework's own time format, where a bare number means seconds; ``warmup=``
    also takes a share of the window (``20 %``).

    = Figures and the verdict =
    Every figure a Verdict keyword measures is recorded in the log under a stable name, with
    its unit and direction: ``monitor.<name>.rss_growth_mb``, ``monitor.<name>.cpu_mean_percent``,
    ``monitor.<name>.peak_<figure>``, ``monitor.<name>.leak`` (1 for a leak, else 0) and
    ``logs.<file>.exceptions``, beside the figures of the other libraries
    (``load.stage_100.all.p95_ms``). ``crosscheck verdict results/`` reads them from output.xml
    and decides: a leak or an exception is NO-GO (seed 004), other figures are compared with
    their targets and, with ``--baseline``, with a saved run.

    = Cleanup =
    Verdict changes nothing in the system under test: it reads processes, log files and
    ``pg_stat_activity``. The one thing it starts is a monitor's sampling thread (and its
    database connection), and that stop is registered with the test's or suite's cleanup
    before the thread starts: a monitor ends with the test or suite that started it, also after
    a failure, and any still running when the run ends is stopped then.
    """

    COMPONENTS = (MonitorKeywords, LogKeywords)

    def __init__(self) -> None:
        """Verdict takes no arguments. At import it remembers where the system under test's logs end."""
        super().__init__(VerdictContext())
