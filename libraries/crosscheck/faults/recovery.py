"""The timeline of a fault and what probes saw around it; recovery time read from it.

Pure: no Robot Framework, no service. A :class:`Timeline` records faults (switched on,
switched off) and probe attempts (start, end, success, detail) on one clock
(``time.monotonic``); :meth:`Timeline.recovery` answers, for one probe and one fault:
when the probe first failed after the fault went on, when it first succeeded after the
fault was cleared, and the seconds between clearing and that success.

Recovery time is measured **from the moment the fault is cleared to the end of the first
successful end-to-end operation** that the probe completed after it. Its resolution is
the probe's interval (an attempt every 50 ms by default) plus the attempt's own duration.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass
class Fault:
    """One fault: ``what`` (``cut of proxy 'redis'``), the service it hits, when it went on and off."""

    what: str
    service: str
    on: float
    off: float | None = None


@dataclass
class Attempt:
    probe: str
    started: float
    ended: float
    ok: bool
    detail: str = ""


@dataclass
class Recovery:
    """What :meth:`Timeline.recovery` found; ``seconds`` is None when the probe has not succeeded yet."""

    probe: str
    fault: Fault
    first_failure: Attempt | None
    first_success: Attempt | None
    last_error: str
    failures_during: int

    @property
    def seconds(self) -> float | None:
        if self.first_success is None or self.fault.off is None:
            return None
        return max(0.0, self.first_success.ended - self.fault.off)


@dataclass
class Timeline:
    """Faults and probe attempts of one test (or suite), thread-safe for the probes' threads."""

    faults: list[Fault] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def fault_on(self, what: str, service: str, at: float | None = None) -> Fault:
        fault = Fault(what, service, time.monotonic() if at is None else at)
        with self.lock:
            self.faults.append(fault)
        return fault

    def fault_off(self, fault: Fault, at: float | None = None) -> Fault:
        with self.lock:
            if fault.off is None:
                fault.off = time.monotonic() if at is None else at
        return fault

    def record(self, attempt: Attempt) -> None:
        with self.lock:
            self.attempts.append(attempt)

    def active(self) -> list[Fault]:
        with self.lock:
            return [f for f in self.faults if f.off is None]

    def last_cleared(self, service: str | None = None) -> Fault | None:
        """The fault cleared last (of ``service``, when given)."""
        with self.lock:
            cleared = [f for f in self.faults if f.off is not None and (service is None or f.service == service)]
        return max(cleared, key=lambda f: f.off or 0.0) if cleared else None

    def probe_attempts(self, probe: str) -> list[Attempt]:
        with self.lock:
            return [a for a in self.attempts if a.probe == probe]

    def recovery(self, probe: str, fault: Fault) -> Recovery:
        attempts = sorted(self.probe_attempts(probe), key=lambda a: a.ended)
        off = fault.off
        during = [a for a in attempts if a.ended >= fault.on and (off is None or a.started <= off)]
        first_failure = next((a for a in attempts if not a.ok and a.ended >= fault.on), None)
        first_success = None
        if off is not None:
            first_success = next((a for a in attempts if a.ok and a.ended >= off), None)
        errors = [a.detail for a in attempts if not a.ok and a.ended >= fault.on]
        return Recovery(
            probe,
            fault,
            first_failure,
            first_success,
            errors[-1] if errors else "",
            sum(not a.ok for a in during),
        )

    def clear(self) -> None:
        with self.lock:
            self.faults.clear()
            self.attempts.clear()

    def origin(self) -> float:
        """The earliest time on the timeline (the zero of its chart)."""
        with self.lock:
            times = [f.on for f in self.faults] + [a.started for a in self.attempts]
        return min(times) if times else time.monotonic()
