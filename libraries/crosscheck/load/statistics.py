"""Figures of a load run from its raw samples: per stage, per request name and aggregated.

Pure: imports nothing from Robot Framework. Percentiles are exact (linear interpolation
over every sample, as numpy's default), not Locust's rounded buckets.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from crosscheck.load.stages import Stage

STATISTICS = ("p50", "p95", "p99", "max", "mean", "min")
ALL = "all"


@dataclass(frozen=True)
class Sample:
    """One request as the load generator saw it: when it ended (epoch s), what, how long, how it went."""

    t: float
    method: str
    name: str
    ms: float
    ok: bool
    error: str = ""


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, linear interpolation between the closest ranks."""
    if not values:
        raise ValueError("no values to take a percentile of")
    data = sorted(values)
    if len(data) == 1:
        return float(data[0])
    pos = (len(data) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return float(data[lo] + (data[hi] - data[lo]) * (pos - lo))


def parse_line(line: str) -> Sample | None:
    """A sample from one line the child writes (tab-separated); None for a torn or foreign line."""
    parts = line.rstrip("\n").split("\t")
    if len(parts) < 5:
        return None
    try:
        return Sample(
            float(parts[0]), parts[1], parts[2], float(parts[3]), parts[4] == "1", parts[5] if len(parts) > 5 else ""
        )
    except ValueError:
        return None


@dataclass
class Figures:
    """The figures of a set of samples over ``seconds`` of wall time."""

    requests: int = 0
    failures: int = 0
    seconds: float = 0.0
    times: list[float] = field(default_factory=list, repr=False)
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def error_rate(self) -> float:
        """Failed requests in percent of all requests (0 when there were none)."""
        return 100.0 * self.failures / self.requests if self.requests else 0.0

    def statistic(self, name: str) -> float:
        if not self.times:
            return math.nan
        if name == "max":
            return float(max(self.times))
        if name == "min":
            return float(min(self.times))
        if name == "mean":
            return float(sum(self.times) / len(self.times))
        if name.startswith("p"):
            return percentile(self.times, float(name[1:]))
        raise ValueError(f"unknown statistic {name!r}")

    def as_dict(self) -> dict[str, float | int]:
        out: dict[str, float | int] = {
            "requests": self.requests,
            "failures": self.failures,
            "rps": round(self.rps, 3),
            "error_rate_percent": round(self.error_rate, 4),
        }
        for name in ("p50", "p95", "p99", "max", "mean"):
            value = self.statistic(name)
            out[f"{name}_ms"] = round(value, 3) if not math.isnan(value) else value
        return out


def figures(samples: Iterable[Sample], seconds: float) -> Figures:
    out = Figures(seconds=seconds)
    for s in samples:
        out.requests += 1
        out.times.append(s.ms)
        if not s.ok:
            out.failures += 1
            request = s.name if s.name.startswith(f"{s.method} ") else f"{s.method} {s.name}"
            key = f"{request}: {s.error or 'failed'}"
            out.errors[key] = out.errors.get(key, 0) + 1
    return out


def stage_of(t: float, t0: float, stages: Sequence[Stage]) -> Stage | None:
    """The stage whose hold ``t`` falls in (None: during a ramp or outside the run)."""
    offset = t - t0
    for stage in stages:
        if stage.hold_start <= offset < stage.end:
            return stage
    return None


@dataclass
class Breakdown:
    """Figures keyed by (stage label or ``all``, request name or ``all``)."""

    stages: list[Stage]
    t0: float
    duration: float
    table: dict[tuple[str, str], Figures]
    names: list[str]

    def get(self, stage: Stage | None, name: str | None) -> Figures | None:
        return self.table.get((stage.label if stage else ALL, name or ALL))


def breakdown(samples: Sequence[Sample], stages: Sequence[Stage], t0: float, duration: float) -> Breakdown:
    """Group samples by stage hold and request name; ``all`` counts every sample of the run."""
    grouped: dict[tuple[str, str], list[Sample]] = {}
    names: list[str] = []
    for s in samples:
        if s.name not in names:
            names.append(s.name)
        stage = stage_of(s.t, t0, stages)
        keys = [(ALL, ALL), (ALL, s.name)]
        if stage is not None:
            keys += [(stage.label, ALL), (stage.label, s.name)]
        for key in keys:
            grouped.setdefault(key, []).append(s)
    table: dict[tuple[str, str], Figures] = {}
    for stage in stages:
        for name in [ALL, *names]:
            table[(stage.label, name)] = figures(grouped.get((stage.label, name), []), stage.hold)
    for name in [ALL, *names]:
        table[(ALL, name)] = figures(grouped.get((ALL, name), []), duration)
    return Breakdown(list(stages), t0, duration, table, names)


def degradation(first: float, later: float) -> float:
    """How much worse ``later`` is than ``first``, in percent of ``first`` (negative: better)."""
    if math.isnan(first) or math.isnan(later):
        return math.nan
    if first == 0:
        return 0.0 if later == 0 else math.inf
    return 100.0 * (later - first) / first


@dataclass
class Second:
    """One second of the run: when it starts (offset s), requests, failures, p95 (ms)."""

    offset: float
    requests: int
    failures: int
    p95: float


def timeline(samples: Sequence[Sample], t0: float, duration: float, step: float = 1.0) -> list[Second]:
    """Requests, failures and p95 per whole ``step`` seconds from ``t0`` over ``duration`` (a last,
    partial step is left out: it would read as a drop in throughput)."""
    count = max(1, int(duration // step + 1e-9))
    bins: list[list[Sample]] = [[] for _ in range(count)]
    for s in samples:
        i = int((s.t - t0) // step)
        if 0 <= i < count:
            bins[i].append(s)
    return [
        Second(
            i * step,
            len(b),
            sum(1 for s in b if not s.ok),
            percentile([s.ms for s in b], 95) if b else math.nan,
        )
        for i, b in enumerate(bins)
    ]
