"""The crosscheck.Sandbox library class: untrusted Python in Docker with risk scoring, six
isolation layers, limits, a warm pool and a containment battery.

Built on the docker SDK (the client from :mod:`crosscheck.services.docker`). See docs/sandbox.md.
"""

from __future__ import annotations

from datetime import timedelta

from robot.utils import timestr_to_secs

from crosscheck.core import CrosscheckLibrary
from crosscheck.sandbox.context import Context
from crosscheck.sandbox.keywords.execution import ExecutionKeywords
from crosscheck.sandbox.keywords.load import LoadKeywords
from crosscheck.sandbox.keywords.pool import PoolKeywords
from crosscheck.sandbox.keywords.results import ResultKeywords
from crosscheck.sandbox.keywords.risk import RiskKeywords
from crosscheck.sandbox.policy import Limits, parse_size
from crosscheck.sandbox.risk import DEFAULT_THRESHOLD
from crosscheck.variables.targets import SANDBOX_MEMORY_LIMIT_MB, SANDBOX_TIMEOUT

__all__ = ["Sandbox"]


# seed 003's limits (crosscheck.variables.targets) as the library's defaults
DEFAULT_TIMEOUT = timedelta(seconds=timestr_to_secs(SANDBOX_TIMEOUT))
DEFAULT_MEMORY = f"{SANDBOX_MEMORY_LIMIT_MB} MB"


class Sandbox(CrosscheckLibrary):
    """Runs untrusted Python code in Docker containers and checks how it is contained.

    Every run passes six layers:

    1. *Code validation*: static, AST-based risk scoring; code scoring at or above
       ``risk_threshold`` (30, seed 003) or with a syntax error is refused
       without starting a container.
    2. *No network*: ``network_mode=none``.
    3. *Read-only root*; ``/tmp`` is a size-capped tmpfs (``noexec``, ``nosuid``); no ``/dev/shm``.
    4. *No privileges*: all capabilities dropped, ``no-new-privileges``, a non-root user.
    5. *Limits*: memory (swap equal), CPU quota, pids, open files, file size,
       a wall-clock timeout that kills, output capped with the truncation reported.
    6. *Seccomp*: a custom allow-list profile, stricter than Docker's default.

    Runs use a fresh container each by default, or a warm pool (`Start Warm Pool`),
    whose agent is PID 1, kills every process of a run before reporting it, wipes
    every writable place between runs and signs its messages (see `Start Warm Pool`).

    = Times =
    A time-valued assertion target (the expected value of a latency, duration or
    recovery-time getter) must carry a unit: ``100 ms``, ``0.2 s``, ``1 min``, or a
    ``timedelta``. A bare number such as ``0.2`` or ``50`` is refused, because it could
    mean seconds or milliseconds: the failure names the figure, the value given and
    the fix (``Expected value '0.2' for run duration ... has no unit: write it as
    '0.2 ms' or '0.2 s'.``). Arguments that are not assertion targets (``timeout=``,
    ``block=``, ``hold=``, ``duration=``) follow Robot Framework's own time format,
    where a bare number means seconds.

    `Get Run Duration` returns milliseconds and `Measure Cold Start` seconds; the
    target may be written in either unit (``4 s`` and ``4000 ms`` are the same target).

    Every container is labelled ``crosscheck=1`` and ``crosscheck.run=<run id>``; the
    library removes its own at the end of each test and suite, and at the first
    use removes what crashed earlier runs left behind. Each container in flight and
    each warm pool is registered as an undo action of the test (the pool: of the
    suite) that started it, so it is removed also after a failure; a removal that
    fails fails that test (at the end of a suite it is logged as an error).

    The image is ``CROSSCHECK_SANDBOX_IMAGE``, by default ``crosscheck-sandbox:py3.X``,
    built locally from this machine's Python when absent (`crosscheck sandbox-image`).
    Without a reachable Docker engine every keyword that needs one skips the test.

    = Examples =

    | ***** Settings *****
    | Library    crosscheck.Sandbox    timeout=3 s    memory=128 MB
    |
    | ***** Test Cases *****
    | Runtime Error Is Reported
    |     Execute Python    1/0
    |     Get Run Status    ==    error
    |     Get Stderr    contains    ZeroDivisionError
    |
    | Memory Bomb Is Killed
    |     Execute Python    b = bytearray(400 << 20); b[::4096] = b"x" * (len(b) // 4096)
    |     Get Limit Fired    ==    memory limit (OOM-killed)
    """

    COMPONENTS = (ExecutionKeywords, ResultKeywords, RiskKeywords, PoolKeywords, LoadKeywords)

    def __init__(
        self,
        timeout: timedelta = DEFAULT_TIMEOUT,
        memory: str = DEFAULT_MEMORY,
        cpus: float = 1.0,
        pids: int = 64,
        tmpfs: str = "16 MB",
        output_limit: str = "1 MB",
        risk_threshold: int = DEFAULT_THRESHOLD,
        image: str | None = None,
    ) -> None:
        """Sets the default limits, the risk threshold and the image.

        | Library | crosscheck.Sandbox | timeout=5 s | memory=256 MB | risk_threshold=30 |
        """
        limits = Limits(
            timeout=timeout.total_seconds(),
            memory=parse_size(memory),
            cpus=cpus,
            pids=pids,
            tmpfs=parse_size(tmpfs),
            output=parse_size(output_limit),
        )
        super().__init__(Context(limits, image, risk_threshold))
