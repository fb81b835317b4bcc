"""What one sandbox run produced, and which limit (if any) stopped it."""

from __future__ import annotations

import re
import signal
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crosscheck.sandbox.risk import RiskReport

if TYPE_CHECKING:
    from crosscheck.sandbox.policy import Limits

# which limit fired, read from the errno text of stderr; the first six are resource limits:
# a run that reported one of them before it was killed at the timeout or the output cap
# was stopped by that limit (its process was only left waiting, e.g. on threads it could start)
_ERRNO_LIMITS = [
    (re.compile(r"\[Errno 11\]|BlockingIOError|can't start new thread"), "pids limit (EAGAIN)"),
    (re.compile(r"MemoryError"), "memory limit (MemoryError)"),
    (re.compile(r"\[Errno 12\]|Cannot allocate memory"), "memory limit (ENOMEM)"),
    (re.compile(r"\[Errno 28\]|No space left on device"), "tmpfs full (ENOSPC)"),
    (re.compile(r"\[Errno 27\]|File too large"), "file size ulimit (EFBIG)"),
    (re.compile(r"\[Errno 24\]|Too many open files"), "open files ulimit (EMFILE)"),
    (re.compile(r"\[Errno 30\]|Read-only file system"), "read-only file system (EROFS)"),
    (
        re.compile(
            r"\[Errno 101\]|Network is unreachable|\[Errno -3\]|\[Errno -2\]|"
            r"Temporary failure in name resolution|Name or service not known|\[Errno 99\]"
        ),
        "network none",
    ),
    (re.compile(r"\[Errno 1\]|Operation not permitted"), "seccomp or no capabilities (EPERM)"),
    (re.compile(r"\[Errno 13\]|Permission denied"), "non-root user (EACCES)"),
    (re.compile(r"\[Errno 2\]|No such file or directory"), "not present in the sandbox (ENOENT)"),
]
_RESOURCE_LIMITS = _ERRNO_LIMITS[:6]
# how much of the end of stderr is read: interleaved tracebacks of many processes
# (a fork bomb) can push the error line far from the last lines
STDERR_TAIL = 64 * 1024


def _first(patterns, text: str) -> str | None:
    for pattern, name in patterns:
        if pattern.search(text):
            return name
    return None


def signal_of(exit_code: int | None) -> int | None:
    """The signal that ended a run: a negative code (warm), or 128 + n (fresh, through docker-init)."""
    if exit_code is None:
        return None
    if exit_code < 0:
        return -exit_code
    if 128 < exit_code <= 128 + 64:
        return exit_code - 128
    return None


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"SIG{number}"


@dataclass
class Result:
    """One run: exit code, output, timing, the flags of the limits that fired, the risk."""

    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    duration: float = 0.0
    timed_out: bool = False
    oom_killed: bool = False
    truncated: bool = False
    refused: bool = False
    syntax_error: str | None = None
    unscored: str | None = None
    risk_score: int = 0
    findings: list = field(default_factory=list)
    container: str = ""
    mode: str = "fresh"
    output_bytes: int = 0
    recycled: bool = False
    total_time: float = 0.0
    channel_error: str | None = None
    limits: Limits | None = None  # the policy.Limits the run was under (None when no container started)

    @classmethod
    def from_risk(cls, report: RiskReport, mode: str) -> Result:
        res = cls(
            refused=True,
            syntax_error=report.syntax_error,
            unscored=report.unscored,
            risk_score=report.score,
            findings=[f.as_dict() for f in report.findings],
            mode=mode,
        )
        if report.syntax_error:
            res.stderr = f"SyntaxError: {report.syntax_error}"
        elif report.unscored:
            res.stderr = f"Refused: cannot score: {report.unscored}"
        else:
            res.stderr = (
                f"Refused: risk score {report.score} >= threshold {report.threshold} "
                f"({', '.join(f.rule for f in report.findings)})"
            )
        return res

    @property
    def status(self) -> str:
        """``ok``, ``error``, ``timeout``, ``oom``, ``output capped``, ``refused``, ``syntax error``."""
        if self.syntax_error:
            return "syntax error"
        if self.refused:
            return "refused"
        if self.timed_out:
            return "timeout"
        if self.oom_killed:
            return "oom"
        if self.truncated:
            return "output capped"
        return "ok" if self.exit_code == 0 else "error"

    @property
    def limit(self) -> str:
        """Which layer stopped the run, in words; ``none`` when nothing did.

        The memory cgroup's OOM kill comes first; then a resource limit the
        process reported in stderr (a thread or fork bomb that then waits until
        the timeout was stopped by the pids limit, not the clock); then the
        timeout and the output cap; then the errno of the final exception
        lines, else of the whole stderr tail; then a signal (negative exit code
        in warm mode, 128 + n in fresh mode).
        """
        if self.syntax_error:
            return "code validation (syntax error)"
        if self.unscored:
            return "code validation (cannot score)"
        if self.refused:
            return f"code validation (risk score {self.risk_score})"
        if self.channel_error:
            return "warm pool channel (result discarded)"
        if self.oom_killed:
            return "memory limit (OOM-killed)"
        tail = self.stderr[-STDERR_TAIL:]
        if self.timed_out or self.truncated:
            resource = _first(_RESOURCE_LIMITS, tail)
            if resource:
                return resource
            return "wall-clock timeout (killed)" if self.timed_out else "output cap (killed)"
        if self.exit_code not in (0, None) or tail.strip():
            last = "\n".join(tail.strip().splitlines()[-3:])
            name = _first(_ERRNO_LIMITS, last) or _first(_ERRNO_LIMITS, tail)
            if name:
                return name
        number = signal_of(self.exit_code)
        if number == signal.SIGKILL:
            return "killed (SIGKILL)"
        if number is not None:
            return f"signal {number} ({signal_name(number)})"
        return "none"

    def as_dict(self) -> dict:
        return {
            "status": self.status,
            "limit": self.limit,
            "exit_code": self.exit_code,
            "stdout": self.stdout,
            "stderr": self.stderr,
            "duration": self.duration,
            "timed_out": self.timed_out,
            "oom_killed": self.oom_killed,
            "truncated": self.truncated,
            "refused": self.refused,
            "syntax_error": self.syntax_error,
            "unscored": self.unscored,
            "risk_score": self.risk_score,
            "findings": self.findings,
            "container": self.container,
            "mode": self.mode,
            "output_bytes": self.output_bytes,
            "recycled": self.recycled,
            "limits": dict(self.limits.table()) if self.limits is not None else {},
        }

    def __getitem__(self, key: str):
        return self.as_dict()[key]

    def __str__(self) -> str:
        return f"{self.status} (exit {self.exit_code}, {self.duration * 1000:.0f} ms, limit: {self.limit}, {self.mode})"
