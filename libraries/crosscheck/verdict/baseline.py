"""Baselines: the figures of a good run, saved to compare later runs with.

Pure: nothing here imports Robot Framework. A baseline is one JSON file::

    {
      "format": 1,
      "crosscheck": "0.1.0",
      "when": "2026-01-31T12:00:00+00:00",
      "run": {"name": "Suites", "output": "/abs/results/output.xml", "started": "...",
              "tests": 57, "passed": 57, "failed": 0, "skipped": 0},
      "machine": {"hostname": "ci-3", "cpus": 8, "cpu_model": "...", "platform": "...", "python": "3.12.3"},
      "figures": {
        "Suites.Load / Api Holds Up / load.stage_100.all.p95_ms":
          {"figure": "load.stage_100.all.p95_ms", "median": 81.5, "count": 1, "unit": "ms", "better": "lower"}
      }
    }

``median`` is the median of every measurement of that name in the run, ``count`` how many
there were. ``machine`` is the machine that measured most of the figures (each figure
message says where it was measured), else the one that saved the baseline.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import crosscheck
from crosscheck.errors import ConfigurationError
from crosscheck.figures import machine as this_machine

__all__ = ["FORMAT", "Baseline", "BaselineFigure", "describe_machine", "from_results", "load", "same_machine", "save"]

FORMAT = 1
SAVE_HINT = "save one with `crosscheck baseline save results/ -o {path}`"


@dataclass(frozen=True)
class BaselineFigure:
    figure: str
    median: float
    count: int
    unit: str
    better: str


@dataclass
class Baseline:
    figures: dict[str, BaselineFigure]
    machine: dict[str, Any] = field(default_factory=dict)
    when: str = ""
    crosscheck: str = ""
    run: dict[str, Any] = field(default_factory=dict)
    path: str = ""  # the file it was read from or saved to

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "crosscheck": self.crosscheck,
            "when": self.when,
            "run": self.run,
            "machine": self.machine,
            "figures": {
                name: {"figure": f.figure, "median": f.median, "count": f.count, "unit": f.unit, "better": f.better}
                for name, f in sorted(self.figures.items())
            },
        }


def describe_machine(m: Mapping[str, Any]) -> str:
    """``host (8 CPUs, AMD EPYC 7763, Linux-6.8..., Python 3.12.3)``."""
    details = [
        f"{m['cpus']} CPUs" if m.get("cpus") else "",
        str(m.get("cpu_model") or ""),
        str(m.get("platform") or ""),
        f"Python {m['python']}" if m.get("python") else "",
    ]
    return f"{m.get('hostname') or 'an unnamed machine'} ({', '.join(d for d in details if d)})"


def same_machine(a: Mapping[str, Any], b: Mapping[str, Any]) -> tuple[bool, str]:
    """Whether ``a`` and ``b`` are the same machine (host name, CPU count and model), and what else differs."""
    same = all(a.get(key) == b.get(key) for key in ("hostname", "cpus", "cpu_model"))
    others = [
        f"{label} {a.get(key)} then, {b.get(key)} now"
        for key, label in (("platform", "platform"), ("python", "Python"))
        if a.get(key) != b.get(key)
    ]
    return same, "; ".join(others)


def _status_counts(tests: Any) -> dict[str, int]:
    statuses = Counter(t.status for t in tests)
    return {
        "tests": sum(statuses.values()),
        "passed": statuses["PASS"],
        "failed": statuses["FAIL"],
        "skipped": statuses["SKIP"] + statuses["NOT RUN"],
    }


def from_results(results: Any) -> Baseline:
    """The baseline of a run read by :func:`crosscheck.verdict.results.read` (anything with its attributes)."""
    values: dict[str, list[float]] = {}
    first: dict[str, Any] = {}
    machines: Counter[str] = Counter()
    described: dict[str, dict[str, Any]] = {}
    for f in results.figures:
        values.setdefault(f.name, []).append(float(f.value))
        first.setdefault(f.name, f)
        if f.machine:
            host = str(f.machine.get("hostname", ""))
            machines[host] += 1
            described.setdefault(host, dict(f.machine))
    figures = {
        name: BaselineFigure(
            figure=first[name].figure,
            median=float(statistics.median(v)),
            count=len(v),
            unit=first[name].unit,
            better=first[name].better,
        )
        for name, v in values.items()
    }
    measured_on = described[machines.most_common(1)[0][0]] if machines else dict(this_machine())
    return Baseline(
        figures=figures,
        machine=measured_on,
        when=datetime.now(UTC).isoformat(timespec="seconds"),
        crosscheck=crosscheck.__version__,
        run={
            "name": getattr(results, "name", ""),
            "output": str(getattr(results, "source", "")),
            "started": getattr(results, "started", ""),
            **_status_counts(results.tests),
        },
    )


def save(results: Any, path: str | Path, force: bool = False) -> Baseline:
    """Save the baseline of ``results`` to ``path`` (JSON) and return it.

    A run with failed tests is refused (:class:`~crosscheck.errors.ConfigurationError`, naming
    them) unless ``force``: a baseline should come from a run that passed.
    """
    failed = [t.name for t in results.tests if t.status == "FAIL"]
    if failed and not force:
        shown = ", ".join(failed[:5]) + (f" and {len(failed) - 5} more" if len(failed) > 5 else "")
        raise ConfigurationError(
            f"The run in {getattr(results, 'source', 'the results')} has {len(failed)} failed "
            f"test{'s' if len(failed) > 1 else ''} ({shown}): a baseline should come from a run that passed. "
            "Fix them and run again, or save it anyway with --force."
        )
    baseline = from_results(results)
    file = Path(path)
    if file.parent and not file.parent.exists():
        raise ConfigurationError(f"Cannot save the baseline to {file}: folder {file.parent} does not exist.")
    file.write_text(json.dumps(baseline.as_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    baseline.path = str(file)
    return baseline


def load(path: str | Path) -> Baseline:
    """The baseline in ``path``. A missing, corrupt or incompatible file is a
    :class:`~crosscheck.errors.ConfigurationError` that names the file and the fix."""
    file = Path(path)
    hint = SAVE_HINT.format(path=file)
    if not file.is_file():
        raise ConfigurationError(f"Baseline file {file} does not exist: {hint}.")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigurationError(f"Baseline file {file} is not text (not a crosscheck baseline): {hint}.") from None
    except ValueError as exc:
        raise ConfigurationError(f"Baseline file {file} is not valid JSON ({exc}): {hint}.") from None
    if not isinstance(data, dict) or "format" not in data or "figures" not in data:
        raise ConfigurationError(
            f"Baseline file {file} is not a crosscheck baseline (it has no 'format' and 'figures'): {hint}."
        )
    if data["format"] != FORMAT:
        raise ConfigurationError(
            f"Baseline file {file} has format {data['format']!r} (written by crosscheck "
            f"{data.get('crosscheck', 'of another version')}); this crosscheck ({crosscheck.__version__}) reads "
            f"format {FORMAT}: {hint} with this version."
        )
    figures: dict[str, BaselineFigure] = {}
    raw = data["figures"]
    if not isinstance(raw, dict):
        raise ConfigurationError(f"Baseline file {file}: 'figures' is not a mapping of names to figures: {hint}.")
    for name, f in raw.items():
        try:
            figures[name] = BaselineFigure(
                figure=str(f.get("figure") or name.rsplit(" / ", 1)[-1]),
                median=float(f["median"]),
                count=int(f.get("count", 1)),
                unit=str(f["unit"]),
                better=str(f.get("better", "lower")),
            )
        except (AttributeError, KeyError, TypeError, ValueError):
            raise ConfigurationError(
                f"Baseline file {file}: figure {name!r} lacks a numeric 'median' or a 'unit': {hint}."
            ) from None
        if figures[name].better not in ("lower", "higher"):
            raise ConfigurationError(
                f"Baseline file {file}: figure {name!r} has better={figures[name].better!r}, "
                f"expected 'lower' or 'higher': {hint}."
            )
    machine = data.get("machine") if isinstance(data.get("machine"), dict) else {}
    run = data.get("run") if isinstance(data.get("run"), dict) else {}
    return Baseline(
        figures=figures,
        machine=dict(machine or {}),
        when=str(data.get("when", "")),
        crosscheck=str(data.get("crosscheck", "")),
        run=dict(run or {}),
        path=str(file),
    )
