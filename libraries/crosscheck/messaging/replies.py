"""Request-to-response latency, pure computation: requests recorded by id, replies matched by
an id at a JSONPath, latency percentiles, lost, late, duplicate and unmatched replies.

Nothing here touches Redis or Robot Framework: :func:`compute_replies` takes received
messages (anything with ``is_json``, ``payload``, ``mono``, optionally ``index``, ``channel``
and ``short``) and the requests of a :class:`RequestLog`, so it is tested on its own.
Times are this process's monotonic clock: a request's send time and its reply's arrival
are both taken here, so no clocks need agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crosscheck.errors import ConfigurationError
from crosscheck.messaging.timestamps import FieldPath
from crosscheck.reporting import summary

SHOWN = 5
STATISTICS = ("min", "p50", "p95", "p99", "max", "mean")


def id_text(value: Any) -> str:
    """An id as compared: ``7`` and ``"7"`` are the same request."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, (dict, list)) or value is None or isinstance(value, bool):
        raise ConfigurationError(f"A request id must be text or a number, got {value!r}.")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


class RequestLog:
    """The requests a test sent, by id, with their monotonic send times; replies are matched
    to them by the id at ``id_path``; a reply later than ``timeout`` seconds is late."""

    def __init__(self, id_path: str = "task_id", timeout: float = 5.0):
        self.id_path = FieldPath(id_path, "reply id path")
        if timeout <= 0:
            raise ConfigurationError(f"The reply timeout must be above zero, got {timeout:g} s.")
        self.timeout = float(timeout)
        self.sent: dict[str, float] = {}  # id -> monotonic send time
        self.resent: list[str] = []  # ids recorded again (the first send time is kept)

    def record(self, request_id: Any, mono: float) -> str:
        key = id_text(request_id)
        if key in self.sent:
            self.resent.append(key)
        else:
            self.sent[key] = mono
        return key

    def forget(self, request_id: str) -> None:
        self.sent.pop(request_id, None)

    def last_deadline(self) -> float:
        return max(self.sent.values(), default=0.0) + self.timeout


@dataclass
class ReplyStats:
    """Figures of the replies to the requests of one :class:`RequestLog`."""

    where: str
    requests: int = 0
    replied: int = 0  # requests answered within the timeout
    late: int = 0  # requests answered only after the timeout (counted as lost)
    pending: int = 0  # requests without a reply whose timeout has not passed yet
    duplicates: int = 0  # replies to a request that had its reply already
    unmatched: int = 0  # replies whose id names no recorded request
    without_id: int = 0  # replies with no id at the id path (or not JSON); counted in unmatched
    early: int = 0  # replies that arrived before their request was recorded
    latencies: list[float] = field(default_factory=list)  # ms, replies within the timeout
    lost_ids: list[str] = field(default_factory=list)
    unmatched_examples: list[str] = field(default_factory=list)
    resent: int = 0

    @property
    def lost(self) -> int:
        """Requests with no reply within the timeout (late replies included)."""
        return self.requests - self.replied - self.pending - self.early

    def latency(self, statistic: str) -> float | None:
        if not self.latencies:
            return None
        return summary(self.latencies)[statistic]

    def as_dict(self) -> dict:
        out: dict[str, Any] = {
            "requests": self.requests,
            "replied": self.replied,
            "lost": self.lost,
            "late": self.late,
            "pending": self.pending,
            "duplicates": self.duplicates,
            "unmatched": self.unmatched,
            "without_id": self.without_id,
            "early": self.early,
            "lost_ids": list(self.lost_ids),
            "latency_count": len(self.latencies),
        }
        for name in STATISTICS:
            out[f"latency_{name}_ms"] = self.latency(name)
        return out

    def lost_text(self) -> str:
        shown = ", ".join(self.lost_ids[:SHOWN]) + (", ..." if len(self.lost_ids) > SHOWN else "")
        late = f", {self.late:,} of them late" if self.late else ""
        return f"{self.lost:,} lost (no reply within the timeout{late}: {shown})"

    def figures(self) -> str:
        parts = [f"{self.replied:,} of {self.requests:,} requests replied"]
        if self.latencies:
            s = summary(self.latencies)
            parts.append(f"latency p50 {s['p50']:.1f} ms, p95 {s['p95']:.1f} ms, max {s['max']:.1f} ms")
        parts.append(f"{self.lost:,} lost, {self.duplicates:,} duplicates, {self.unmatched:,} unmatched")
        if self.early:
            parts.append(f"{self.early:,} arrived before their request was recorded")
        return "; ".join(parts)


def _describe(message: Any) -> str:
    short = getattr(message, "short", None)
    text = short(100) if callable(short) else str(getattr(message, "raw", ""))[:100]
    index = getattr(message, "index", None)
    return f"#{index} {text}" if index is not None else text


def compute_replies(messages: list[Any], log: RequestLog, now: float, where: str = "") -> ReplyStats:
    """Match ``messages`` (in arrival order) to the requests of ``log`` at monotonic time ``now``."""
    stats = ReplyStats(where, requests=len(log.sent), resent=len(log.resent))
    first: dict[str, float] = {}
    for m in messages:
        payload = m.payload if m.is_json else None
        found, value = log.id_path.find(payload)
        key = None
        if found:
            try:
                key = id_text(value)
            except ConfigurationError:
                key = None
        if key is None:
            stats.without_id += 1
            stats.unmatched += 1
            if len(stats.unmatched_examples) < SHOWN:
                stats.unmatched_examples.append(f"{_describe(m)} (no id at {log.id_path.path!r})")
            continue
        sent = log.sent.get(key)
        if sent is None:
            stats.unmatched += 1
            if len(stats.unmatched_examples) < SHOWN:
                stats.unmatched_examples.append(f"{_describe(m)} (id {key!r} was not requested)")
            continue
        if key in first:
            stats.duplicates += 1
            continue
        first[key] = m.mono
    for key, sent in log.sent.items():
        arrived = first.get(key)
        if arrived is None:
            if now < sent + log.timeout:
                stats.pending += 1
            else:
                stats.lost_ids.append(key)
        elif arrived < sent:
            stats.early += 1
        elif arrived - sent <= log.timeout:
            stats.replied += 1
            stats.latencies.append((arrived - sent) * 1000.0)
        else:
            stats.late += 1
            stats.lost_ids.append(key)
    return stats
