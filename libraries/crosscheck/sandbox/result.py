"""What one sandbox run produced, and which limit (if any) stopped it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crosscheck.sandbox.risk import RiskReport

# which limit fired, read from the exit and the last exception line of stderr
_ERRNO_LIMITS = [
    (re.compile(r"\[Errno 28\]|No space left on device"), "tmpfs full (ENOSPC)"),
    (re.compile(r"\[Errno 30\]|Read-only file system"), "read-only file system (EROFS)"),
    (re.compile(r"\[Errno 27\]|File too large"), "file size ulimit (EFBIG)"),
    (re.compile(r"\[Errno 24\]|Too many open files"), "open files ulimit (EMFILE)"),
    (re.compile(r"\[Errno 11\]|BlockingIOError|can't start new thread"), "pids limit (EAGAIN)"),
    (re.compile(r"\[Errno 101\]|Network is unreachable|\[Errno -3\]|\[Errno -2\]|"
                r"Temporary failure in name resolution|Name or service not known|\[Errno 99\]"),
     "network none"),
    (re.compile(r"\[Errno 1\]|Operation not permitted"), "seccomp or no capabilities (EPERM)"),
    (re.compile(r"\[Errno 13\]|Permission denied"), "non-root user (EACCES)"),
    (re.compile(r"\[Errno 2\]|No such file or directory"), "not present in the sandbox (ENOENT)"),
    (re.compile(r"MemoryError"), "memory limit (MemoryError)"),
]


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
    risk_score: int = 0
    findings: list = field(default_factory=list)
    container: str = ""
    mode: str = "fresh"
    output_bytes: int = 0
    recycled: bool = False
    total_time: float = 0.0

    @classmethod
    def from_risk(cls, report: RiskReport, mode: str) -> "Result":
        res = cls(refused=True, syntax_error=report.syntax_error, risk_score=report.score,
                  findings=[f.as_dict() for f in report.findings], mode=mode)
        if report.syntax_error:
            res.stderr = f"SyntaxError: {report.syntax_error}"
        else:
            res.stderr = (f"Refused: risk score {report.score} >= threshold {report.threshold} "
                          f"({', '.join(f.rule for f in report.findings)})")
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
        """Which layer stopped the run, in words; ``none`` when nothing did."""
        if self.syntax_error:
            return "code validation (syntax error)"
        if self.refused:
            return f"code validation (risk score {self.risk_score})"
        if self.oom_killed:
            return "memory limit (OOM-killed)"
        if self.timed_out:
            return "wall-clock timeout (killed)"
        if self.truncated:
            return "output cap (killed)"
        tail = "\n".join(self.stderr.strip().splitlines()[-3:])
        if self.exit_code not in (0, None) or tail:
            for pattern, name in _ERRNO_LIMITS:
                if pattern.search(tail):
                    return name
        if self.exit_code is not None and self.exit_code < 0:
            return f"signal {-self.exit_code}"
        if self.exit_code == 137:
            return "killed (SIGKILL)"
        return "none"

    def as_dict(self) -> dict:
        return {
            "status": self.status, "limit": self.limit, "exit_code": self.exit_code,
            "stdout": self.stdout, "stderr": self.stderr, "duration": self.duration,
            "timed_out": self.timed_out, "oom_killed": self.oom_killed,
            "truncated": self.truncated, "refused": self.refused,
            "syntax_error": self.syntax_error, "risk_score": self.risk_score,
            "findings": self.findings, "container": self.container, "mode": self.mode,
            "output_bytes": self.output_bytes, "recycled": self.recycled,
        }

    def __getitem__(self, key: str):
        return self.as_dict()[key]

    def __str__(self) -> str:
        return (f"{self.status} (exit {self.exit_code}, {self.duration * 1000:.0f} ms, "
                f"limit: {self.limit}, {self.mode})")
