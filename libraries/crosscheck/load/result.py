"""A finished load run: its stages, figures per stage and request name, resource use, stable names.

Pure: imports nothing from Robot Framework.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.load.monitor import GENERATOR_CPU_WARNING, ResourceSample
from crosscheck.load.stages import Stage
from crosscheck.load.statistics import ALL, STATISTICS, Breakdown, Figures, Second, degradation

RESOURCE_FIGURES = (
    "api_cpu_percent",
    "api_rss_mb",
    "api_rss_increase_mb",
    "generator_cpu_percent",
    "db_connections",
    "redis_clients",
)

# what the verdict records after a run: figure -> (unit, better)
REQUEST_FIGURES = {
    "rps": ("requests/s", "higher"),
    "error_rate_percent": ("%", "lower"),
    "p50_ms": ("ms", "lower"),
    "p95_ms": ("ms", "lower"),
    "p99_ms": ("ms", "lower"),
    "max_ms": ("ms", "lower"),
}
RECORDED_RESOURCES = {
    "api_cpu_percent": ("%", "lower"),
    "api_rss_mb": ("MB", "lower"),
    "api_rss_increase_mb": ("MB", "lower"),
    "db_connections": ("count", "lower"),
    "redis_clients": ("count", "lower"),
}


@dataclass(frozen=True)
class RecordedFigure:
    """One figure of a run as the verdict records it (see :meth:`LoadResult.recorded`)."""

    name: str
    value: float
    unit: str
    better: str
    where: str
    samples: list[float] | None = None


def figure_part(name: str) -> str:
    """A request name as one part of a figure name: lower case, ``_`` for anything but letters and digits."""
    return re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or "root"


def stage_name(stage: Stage | None) -> str:
    return f"stage {stage.users} users" if stage is not None else "the whole run"


@dataclass
class LoadResult:
    host: str
    stages: list[Stage]
    breakdown: Breakdown
    seconds: list[Second]
    users: list[tuple[float, int]]
    resources: list[ResourceSample] = field(default_factory=list)
    directory: Path | None = None
    workers: int = 0
    api_port: int | None = None
    database_error: str = ""
    redis_error: str = ""

    @property
    def t0(self) -> float:
        return self.breakdown.t0

    @property
    def names(self) -> list[str]:
        return self.breakdown.names

    def figures(self, stage: Stage | None, name: str | None = None) -> Figures:
        if name not in (None, "", ALL) and name not in self.names:
            known = ", ".join(repr(n) for n in self.names) or "none"
            raise ConfigurationError(f"No request named {name!r} in the last load run (requests: {known}).")
        found = self.breakdown.get(stage, name or None)
        if found is None:  # pragma: no cover - every stage and name has an entry
            raise CrosscheckError(f"No figures for {stage_name(stage)}.")
        return found

    def statistic(self, statistic: str, stage: Stage | None, name: str | None = None) -> float:
        if statistic not in STATISTICS and not _is_percentile(statistic):
            raise ConfigurationError(
                f"Unknown statistic {statistic!r}: use p50, p95, p99, max, mean, min or any p<N> such as p90."
            )
        figures = self.figures(stage, name)
        if not figures.requests:
            where = f"{stage_name(stage)}" + (f", request {name!r}" if name else "")
            raise CrosscheckError(
                f"No request completed during {where} of the load run against {self.host}: "
                "there is no response time to check."
            )
        return figures.statistic(statistic)

    def degradation(
        self, statistic: str, stage: Stage, baseline: Stage | None = None, name: str | None = None
    ) -> float:
        """How much worse ``statistic`` is in ``stage`` than in ``baseline`` (default: the first stage), in %."""
        base = baseline or self.stages[0]
        if statistic in ("rps_per_user", "throughput_per_user"):
            per_user = [self.figures(s, name).rps / s.users for s in (base, stage)]
            return -degradation(per_user[0], per_user[1])  # less throughput per user is worse
        if statistic in ("error_rate",):
            return self.figures(stage, name).error_rate - self.figures(base, name).error_rate
        return degradation(self.statistic(statistic, base, name), self.statistic(statistic, stage, name))

    # --- resources ---------------------------------------------------------------------

    def resource_samples(self, stage: Stage | None) -> list[ResourceSample]:
        if stage is None:
            return list(self.resources)
        lo, hi = self.t0 + stage.hold_start, self.t0 + stage.end
        return [r for r in self.resources if lo <= r.t < hi]

    def resource_figures(self, stage: Stage | None, application: str | None = None) -> dict[str, float]:
        samples = self.resource_samples(stage)
        cpu = [r.api_cpu for r in samples if r.api_cpu is not None]
        rss = [r.api_rss_mb for r in samples if r.api_rss_mb is not None]
        before = [r.api_rss_mb for r in self.resources if r.api_rss_mb is not None and r.t < self.t0 + 0.5]
        baseline = before[-1] if before else (rss[0] if rss else math.nan)
        db = [r.db_total(application) for r in samples if r.db]
        clients = [r.redis_clients for r in samples if r.redis_clients is not None]
        return {
            "api_cpu_percent": sum(cpu) / len(cpu) if cpu else math.nan,
            "api_rss_mb": max(rss) if rss else math.nan,
            "api_rss_increase_mb": (max(rss) - baseline) if rss else math.nan,
            "generator_cpu_percent": max((r.generator_cpu for r in samples), default=math.nan),
            "db_connections": float(max(db)) if db else math.nan,
            "redis_clients": float(max(clients)) if clients else math.nan,
        }

    def db_by_state(self, stage: Stage | None) -> dict[tuple[str, str], int]:
        """The highest count seen per (application, state) during ``stage``."""
        out: dict[tuple[str, str], int] = {}
        for r in self.resource_samples(stage):
            for key, n in r.db.items():
                out[key] = max(out.get(key, 0), n)
        return out

    def overloaded_generator(self) -> list[str]:
        """Stages during which a Locust process passed 90 % of a core (its figures are then not trustworthy)."""
        out = []
        for stage in self.stages:
            peak = self.resource_figures(stage)["generator_cpu_percent"]
            if not math.isnan(peak) and peak > GENERATOR_CPU_WARNING:
                out.append(f"stage {stage.users} users: {peak:.0f} %")
        return out

    # --- stable names for the verdict ----------------------------------------------------

    def stage_key(self, position: int, stage: Stage) -> str:
        """``stage_<users>``, or ``stage_<position>`` (from 1) when two stages have the same users."""
        return f"stage_{stage.users}" if [s.users for s in self.stages].count(stage.users) == 1 else f"stage_{position}"

    def recorded(self, host: str | None = None) -> list[RecordedFigure]:
        """The figures of every stage the verdict compares, under stable lower-case names:
        ``load.<stage>.<all or request>.<rps|error_rate_percent|p50_ms|p95_ms|p99_ms|max_ms>`` and
        ``load.<stage>.<api_cpu_percent|api_rss_mb|...>``. Undefined figures (a stage without a
        response, a resource not sampled) are left out. ``host`` names the target in ``where``
        (default: :attr:`host`; give it with its password masked)."""
        out = []
        for position, stage in enumerate(self.stages, 1):
            key = self.stage_key(position, stage)
            where = f"{stage_name(stage)} of the load on {host or self.host}"
            for name in [ALL, *self.names]:
                found = self.figures(stage, name)
                values = found.as_dict()
                part = ALL if name == ALL else figure_part(name)
                at = where if name == ALL else f"{where}, request {name!r}"
                for figure, (unit, better) in REQUEST_FIGURES.items():
                    value = float(values[figure])
                    if math.isfinite(value):
                        samples = found.times if figure.endswith("_ms") else None
                        out.append(RecordedFigure(f"load.{key}.{part}.{figure}", value, unit, better, at, samples))
            resources = self.resource_figures(stage)
            for figure, (unit, better) in RECORDED_RESOURCES.items():
                if math.isfinite(resources[figure]):
                    out.append(RecordedFigure(f"load.{key}.{figure}", resources[figure], unit, better, where))
        return out

    def statistics(self) -> dict[str, Any]:
        """Every figure of the run as a dict; ``figures`` holds them under stable names
        (``load.stage_<users>.<request or all>.<figure>``), units in the names."""
        flat: dict[str, float | int] = {}
        stages_out = []
        for position, stage in enumerate(self.stages, 1):
            key = self.stage_key(position, stage)
            per_name = {}
            for name in [ALL, *self.names]:
                figures = self.figures(stage, name).as_dict()
                per_name[name] = figures
                for figure, value in figures.items():
                    flat[f"load.{key}.{name}.{figure}"] = value
            resources = self.resource_figures(stage)
            for figure, value in resources.items():
                flat[f"load.{key}.{figure}"] = value
            degraded = {
                "p95_percent": _finite(self.degradation("p95", stage)) if self.figures(stage).requests else math.nan,
                "rps_per_user_percent": _finite(self.degradation("rps_per_user", stage)),
            }
            for figure, value in degraded.items():
                flat[f"load.{key}.degradation_{figure}"] = value
            stages_out.append(
                {
                    "users": stage.users,
                    "hold_s": round(stage.hold, 3),
                    "figures": per_name,
                    "resources": resources,
                    "degradation": degraded,
                }
            )
        whole = {name: self.figures(None, name).as_dict() for name in [ALL, *self.names]}
        for name, figures in whole.items():
            for figure, value in figures.items():
                flat[f"load.all.{name}.{figure}"] = value
        return {
            "host": self.host,
            "workers": self.workers,
            "stages": stages_out,
            "all": whole,
            "figures": flat,
        }


def _is_percentile(name: str) -> bool:
    if not name.startswith("p"):
        return False
    try:
        q = float(name[1:])
    except ValueError:
        return False
    return 0 <= q <= 100


def _finite(value: float) -> float:
    return round(value, 3) if math.isfinite(value) else value
