"""The Go/No-Go rules: a run's tests and figures, against a baseline, give GO, NO-GO or UNDECIDED.

Pure: nothing here imports Robot Framework. The rules (seed 004, with seed 001's regression
tolerance):

- **GO** when every test passed, no figure is ``warn`` % (5 %) or more worse than its
  baseline, no leak was detected, no exception was counted and every error rate is under
  0.1 %.
- **NO-GO** on a failed test tagged ``critical``, a figure more than ``fail`` % (10 %) worse
  than its baseline, a leak (a figure named ``*.leak`` with the value 1), exceptions (a figure
  whose name contains ``exceptions`` above 0), an error rate (unit ``%``, name containing
  ``error_rate``) over 0.1 %, or a figure beyond its ``target`` by more than ``tolerance`` % (25 %).
- **UNDECIDED** in between, each time with the rule and the reason: a failed test not tagged
  ``critical``, a skipped critical test, a figure between 5 and 10 % worse, a figure over its
  target but within the tolerance, a figure whose unit or direction changed, errors in the run,
  a run with no tests.

"Worse" follows the figure's direction: a lower-is-better figure that went up, a
higher-is-better figure that went down. A figure measured several times in a run (the same
name) is compared on its median; leaks, exceptions and error rates are judged on their worst
value. A figure on one side only is listed (severity ``info``), never skipped in silence; a
baseline from another machine is named as such.
"""

from __future__ import annotations

import fnmatch
import json
import math
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from crosscheck.errors import ConfigurationError
from crosscheck.variables import targets
from crosscheck.verdict.baseline import Baseline, BaselineFigure, describe_machine, same_machine

__all__ = [
    "GO",
    "NO_GO",
    "UNDECIDED",
    "SEVERITIES",
    "Figure",
    "TestOutcome",
    "Reason",
    "Row",
    "Rule",
    "Rules",
    "Verdict",
    "decide",
    "full_name",
    "kind_of",
]

GO, NO_GO, UNDECIDED = "GO", "NO-GO", "UNDECIDED"
# Worst first. ``no-go`` and ``undecided`` set the state; ``warning``, ``info`` and ``ok`` explain it.
SEVERITIES = ("no-go", "undecided", "warning", "info", "ok")

DEFAULT_WARN = float(targets.GO_MAX_PERFORMANCE_DEGRADATION_PERCENT)
DEFAULT_FAIL = float(targets.NO_GO_PERFORMANCE_DEGRADATION_PERCENT)
DEFAULT_ERROR_RATE = float(targets.GO_MAX_ERROR_RATE_PERCENT)
# seed 001: each regression threshold is its target plus 25 % (125 ms on a 100 ms target)
DEFAULT_TOLERANCE = 25.0
NO_BASELINE_NOTE = "performance was not compared: save a baseline with `crosscheck baseline save results/`"


def full_name(suite: str, test: str, figure: str) -> str:
    """The stable name of a figure: ``<suite full name> / <test name> / <figure>`` (no test part outside a test)."""
    return " / ".join(part for part in (suite, test, figure) if part)


@dataclass(frozen=True)
class Figure:
    """One measurement, as recorded by :func:`crosscheck.figures.record` and read back from output.xml."""

    suite: str
    test: str
    figure: str
    value: float
    unit: str
    better: str
    where: str = ""
    samples: int | None = None
    machine: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return full_name(self.suite, self.test, self.figure)


@dataclass(frozen=True)
class TestOutcome:
    """One test of the run: full name, PASS / FAIL / SKIP / NOT RUN, tags and message."""

    __test__ = False  # not a pytest test class

    name: str
    status: str
    tags: tuple[str, ...] = ()
    message: str = ""

    @property
    def critical(self) -> bool:
        return any(tag.lower().replace(" ", "").replace("_", "") == "critical" for tag in self.tags)


@dataclass(frozen=True)
class Reason:
    """Why the verdict is what it is: the rule, what it is about, the detail and how much it weighs."""

    rule: str
    what: str
    detail: str
    severity: str

    def line(self) -> str:
        """``NO-GO: critical test: Suites.Api.Health Answers: failed: ...``."""
        what = f"{self.what}: " if self.what else ""
        return f"{self.severity.upper()}: {self.rule}: {what}{self.detail}"


@dataclass(frozen=True)
class Row:
    """One figure in the comparison: baseline and now (medians and counts), the change and the outcome."""

    name: str
    figure: str
    unit: str
    better: str
    now: float | None
    now_count: int
    base: float | None
    base_count: int
    change: float | None  # (now - base) / |base| in %, as measured
    worse: float | None  # the change in the figure's bad direction, in %: positive is worse
    rule: str
    severity: str
    note: str = ""


def kind_of(figure: str, unit: str) -> str:
    """``leak``, ``exceptions``, ``error_rate`` or ``performance``, from the figure's own name and unit."""
    if figure == "leak" or figure.endswith(".leak"):
        return "leak"
    if "exceptions" in figure:
        return "exceptions"
    if "error_rate" in figure and unit.strip() == "%":
        return "error_rate"
    return "performance"


# --- rules --------------------------------------------------------------------------------

_NUMBER_KEYS = ("warn", "fail", "tolerance", "target", "error_rate")
KEYS = (*_NUMBER_KEYS, "ignore")


@dataclass(frozen=True)
class Rule:
    """The limits for one figure. Percentages are of the baseline (``warn``, ``fail``) or of the target."""

    warn: float = DEFAULT_WARN
    fail: float = DEFAULT_FAIL
    tolerance: float = DEFAULT_TOLERANCE
    target: float | None = None
    error_rate: float = DEFAULT_ERROR_RATE
    ignore: bool = False
    patterns: tuple[str, ...] = ()

    def describe(self, kind: str, unit: str) -> str:
        if self.ignore:
            return "ignored (" + ", ".join(self.patterns) + ")"
        if kind == "leak":
            return "no leak"
        if kind == "exceptions":
            return "no exceptions"
        if kind == "error_rate":
            return f"< {_num(self.error_rate)} %"
        text = f"worse < {_num(self.warn)} %, no-go > {_num(self.fail)} %"
        if self.target is not None:
            text += f"; target {_num(self.target)} {unit} + {_num(self.tolerance)} %"
        return text


@dataclass(frozen=True)
class Rules:
    """Default limits and per-figure overrides (globs, in file order; a later match overrides an earlier one).

    A glob matches the full name (``Suites.Load / Api Holds Up / load.*.p95_ms``) or the figure's
    own name (``load.*.p95_ms``).
    """

    defaults: Rule = field(default_factory=Rule)
    figures: tuple[tuple[str, Mapping[str, Any]], ...] = ()
    source: str = "built-in defaults"

    @classmethod
    def load(cls, path: str | Path) -> Rules:
        """Rules from a YAML or JSON file::

            defaults: {warn: 5, fail: 10, tolerance: 25, error_rate: 0.1}
            figures:
              "load.*.p95_ms": {warn: 8, fail: 15}
              "*.rps": {ignore: true}
              "*Delivery* / *.p95_ms": {target: 100, tolerance: 25}

        A missing or unreadable file, an unknown key or a value of the wrong kind is a
        :class:`~crosscheck.errors.ConfigurationError` naming the file.
        """
        file = Path(path)
        if not file.is_file():
            raise ConfigurationError(f"Rules file {file} does not exist: give the path of a YAML or JSON rules file.")
        text = file.read_text(encoding="utf-8", errors="replace")
        try:
            if file.suffix.lower() == ".json":
                data = json.loads(text)
            else:
                import yaml

                data = yaml.safe_load(text)
        except ValueError as exc:
            raise ConfigurationError(f"Rules file {file} is not valid JSON ({exc}): fix it.") from None
        except Exception as exc:  # yaml.YAMLError
            where = getattr(exc, "problem_mark", None)
            at = f" at line {where.line + 1}" if where is not None else ""
            raise ConfigurationError(f"Rules file {file} is not valid YAML{at}: fix it.") from None
        return cls.from_dict(data or {}, source=str(file))

    @classmethod
    def from_dict(cls, data: Any, source: str = "rules") -> Rules:
        if not isinstance(data, Mapping):
            raise ConfigurationError(f"{source}: expected a mapping with 'defaults' and 'figures', got {_kind(data)}.")
        unknown = sorted(set(data) - {"defaults", "figures"})
        if unknown:
            raise ConfigurationError(
                f"{source}: unknown section {', '.join(map(repr, unknown))}: use 'defaults' and 'figures'."
            )
        defaults = Rule(**_checked(data.get("defaults") or {}, f"{source}, defaults", allow_target=False))
        _check_order(defaults, f"{source}, defaults")
        figures_data = data.get("figures") or {}
        if not isinstance(figures_data, Mapping):
            raise ConfigurationError(
                f"{source}: 'figures' must map a figure glob to its rule, got {_kind(figures_data)}."
            )
        figures = []
        for pattern, rule in figures_data.items():
            if not isinstance(pattern, str) or not pattern.strip():
                raise ConfigurationError(f"{source}: figure glob {pattern!r} is not a text.")
            figures.append((pattern, _checked(rule or {}, f"{source}, figures {pattern!r}", allow_target=True)))
        return cls(defaults=defaults, figures=tuple(figures), source=source)

    def for_figure(self, name: str, figure: str = "") -> Rule:
        """The rule of the figure ``name`` (full name; ``figure`` its own name): defaults, then matching globs."""
        rule = self.defaults
        for pattern, overrides in self.figures:
            if fnmatch.fnmatchcase(name, pattern) or (figure and fnmatch.fnmatchcase(figure, pattern)):
                rule = replace(rule, **overrides, patterns=(*rule.patterns, pattern))
        _check_order(rule, f"{self.source}, rule for {name!r}")
        return rule


def _kind(value: Any) -> str:
    return type(value).__name__ if value is not None else "nothing"


def _checked(data: Any, where: str, allow_target: bool) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise ConfigurationError(f"{where}: expected keys {', '.join(KEYS)}, got {_kind(data)}.")
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise ConfigurationError(f"{where}: unknown key {', '.join(map(repr, unknown))}: use {', '.join(KEYS)}.")
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "ignore":
            if not isinstance(value, bool):
                raise ConfigurationError(f"{where}: 'ignore' must be true or false, got {value!r}.")
            out[key] = value
            continue
        if key == "target" and not allow_target:
            raise ConfigurationError(f"{where}: a 'target' belongs to a figure, under 'figures'.")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigurationError(f"{where}: {key!r} must be a number, got {value!r}.")
        if key != "target" and value < 0:
            raise ConfigurationError(f"{where}: {key!r} must not be negative, got {value!r}.")
        out[key] = float(value)
    return out


def _check_order(rule: Rule, where: str) -> None:
    if rule.warn > rule.fail:
        raise ConfigurationError(f"{where}: 'warn' ({_num(rule.warn)} %) is above 'fail' ({_num(rule.fail)} %).")


# --- the verdict --------------------------------------------------------------------------


@dataclass
class Verdict:
    state: str
    reasons: list[Reason]
    rows: list[Row] = field(default_factory=list)
    compared: bool = False  # a baseline was given

    def counts(self) -> Counter[str]:
        return Counter(reason.severity for reason in self.reasons)

    @property
    def headline(self) -> str:
        """One line: the state and how many reasons of each weight, e.g. ``NO-GO (1 no-go, 2 undecided, 3 ok)``."""
        counts = self.counts()
        return f"{self.state} (" + ", ".join(f"{counts[s]} {s}" for s in SEVERITIES if counts[s]) + ")"


def _num(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.1f}"
    return f"{value:.4g}"


def _pct(value: float) -> str:
    return f"{value:+.1f} %"


def _first_line(text: str, limit: int = 300) -> str:
    text = re.sub(r"<[^>]+>", " ", text.removeprefix("*HTML*")).strip()
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


@dataclass
class _Group:
    figure: str
    unit: str
    better: str
    values: list[float]
    machines: list[Mapping[str, Any]]

    @property
    def median(self) -> float:
        return float(statistics.median(self.values))

    def worst(self) -> float:
        return max(self.values) if self.better == "lower" else min(self.values)


def _groups(figures: Iterable[Figure]) -> dict[str, _Group]:
    groups: dict[str, _Group] = {}
    for f in figures:
        group = groups.get(f.name)
        if group is None:
            groups[f.name] = _Group(f.figure, f.unit, f.better, [float(f.value)], [f.machine] if f.machine else [])
        else:
            group.values.append(float(f.value))
            if f.machine:
                group.machines.append(f.machine)
    return groups


def _judge_tests(tests: Sequence[TestOutcome]) -> list[Reason]:
    reasons = []
    if not tests:
        return [Reason("tests", "", "the run has no tests: there is nothing to decide on", "undecided")]
    failed = [t for t in tests if t.status == "FAIL"]
    skipped = [t for t in tests if t.status in ("SKIP", "NOT RUN")]
    for t in failed:
        why = f": {_first_line(t.message)}" if t.message else ""
        if t.critical:
            reasons.append(Reason("critical test", t.name, f"failed{why}", "no-go"))
        else:
            reasons.append(Reason("failed test", t.name, f"failed (not tagged critical){why}", "undecided"))
    for t in skipped:
        word = "skipped" if t.status == "SKIP" else "not run"
        why = f": {_first_line(t.message)}" if t.message else ""
        if t.critical:
            reasons.append(Reason("critical test", t.name, f"{word}, so it checked nothing{why}", "undecided"))
        else:
            reasons.append(Reason("skipped test", t.name, f"{word}{why}", "warning"))
    passed = len(tests) - len(failed) - len(skipped)
    if not failed:
        text = (
            f"all {len(tests)} tests passed" if not skipped else f"{passed} of {len(tests)} tests passed, none failed"
        )
        reasons.append(Reason("tests", "", text, "ok"))
    return reasons


def _judge_errors(errors: Sequence[str], shown: int = 10) -> list[Reason]:
    reasons = [
        Reason("run errors", "", f"the run logged an error: {_first_line(text)}", "undecided")
        for text in errors[:shown]
    ]
    if len(errors) > shown:
        reasons.append(Reason("run errors", "", f"and {len(errors) - shown} more errors (see log.html)", "undecided"))
    return reasons


def _target_check(rule: Rule, group: _Group) -> tuple[str, str]:
    """(severity, detail) of the median against the figure's target and tolerance."""
    assert rule.target is not None
    value, target = group.median, rule.target
    limit = target * (1 + rule.tolerance / 100) if group.better == "lower" else target * (1 - rule.tolerance / 100)
    beyond = value > target if group.better == "lower" else value < target
    past_limit = value > limit if group.better == "lower" else value < limit
    side = "over" if group.better == "lower" else "under"
    where = f"{_num(value)} {group.unit}" + (f" (median of {len(group.values)})" if len(group.values) > 1 else "")
    if past_limit:
        return "no-go", (
            f"{where} is {side} its target {_num(target)} {group.unit} by more than the "
            f"{_num(rule.tolerance)} % tolerance (limit {_num(limit)} {group.unit})"
        )
    if beyond:
        return "undecided", (
            f"{where} is {side} its target {_num(target)} {group.unit}, within the "
            f"{_num(rule.tolerance)} % tolerance (limit {_num(limit)} {group.unit})"
        )
    return "ok", f"{where} meets its target {_num(target)} {group.unit}"


def _worst(severities: Iterable[str]) -> str:
    found = set(severities)
    return next((s for s in SEVERITIES if s in found), "ok")


Note = tuple[str, str, str]  # (rule, detail, severity)


def _judge_safety(kind: str, group: _Group, rule: Rule) -> list[Note]:
    """Leaks, exceptions and error rates: judged on the worst measurement, with no baseline needed."""
    worst, unit = group.worst(), group.unit
    if kind == "leak" and worst >= 1:
        times = sum(1 for v in group.values if v >= 1)
        of = f" ({times} of {len(group.values)} checks)" if len(group.values) > 1 else ""
        return [("leak", f"a leak was detected{of}", "no-go")]
    if kind == "exceptions" and worst > 0:
        return [("exceptions", f"{_num(worst)} {unit} counted, expected none", "no-go")]
    if kind == "error_rate" and worst > rule.error_rate:
        return [("error rate", f"{_num(worst)} % is over the {_num(rule.error_rate)} % limit", "no-go")]
    if kind == "error_rate" and worst == rule.error_rate:
        return [
            ("error rate", f"{_num(worst)} % is at the limit: GO needs under {_num(rule.error_rate)} %", "undecided")
        ]
    return []


@dataclass
class _Change:
    notes: list[Note]
    change: float | None = None
    worse: float | None = None
    compared: bool = False


def _judge_change(group: _Group, old: BaselineFigure, rule: Rule) -> _Change:
    """A performance figure against its baseline: median against median, in the figure's bad direction."""
    unit, better = group.unit, group.better
    if old.unit != unit or old.better != better:
        detail = (
            f"the baseline has it in {old.unit} ({old.better} is better), now in {unit} ({better} is better): "
            "not compared"
        )
        return _Change([("not comparable", detail, "undecided")])
    now = group.median
    if old.median == 0:
        if now == 0:
            return _Change([], 0.0, 0.0, compared=True)
        worse_now = (now > 0) == (better == "lower")
        detail = f"was 0 {unit}, now {_num(now)} {unit}: the change has no percentage"
        return _Change([("degradation", detail, "undecided" if worse_now else "info")], compared=True)
    change = (now - old.median) / abs(old.median) * 100
    worse = change if better == "lower" else -change
    text = (
        f"{_num(now)} {unit}"
        + (f" (median of {len(group.values)})" if len(group.values) > 1 else "")
        + f" vs {_num(old.median)} {unit} in the baseline"
        + (f" (median of {old.count})" if old.count > 1 else "")
        + f": {abs(worse):.1f} % {'worse' if worse > 0 else 'better'} ({better} is better)"
    )
    judged = round(worse, 9)  # 100 ms -> 110 ms is 10 % worse, not 10.000000000000014 %
    if judged > rule.fail:
        notes = [("degradation", f"{text}, over the {_num(rule.fail)} % no-go limit", "no-go")]
    elif judged >= rule.warn:
        notes = [("degradation", f"{text}: between {_num(rule.warn)} and {_num(rule.fail)} %", "undecided")]
    else:
        notes = []
    return _Change(notes, change, worse, compared=True)


def decide(
    now: Sequence[Figure],
    tests: Sequence[TestOutcome],
    baseline: Baseline | None,
    rules: Rules | None = None,
    errors: Sequence[str] = (),
) -> Verdict:
    """The verdict on a run: its figures ``now``, its ``tests``, the ``baseline`` (or None), the ``rules``.

    ``errors`` are the run's own ERROR messages (Robot's execution errors): each makes the
    verdict at least UNDECIDED.
    """
    rules = rules or Rules()
    reasons = _judge_tests(tests) + _judge_errors(list(errors))
    groups = _groups(now)
    base = baseline.figures if baseline is not None else {}
    rows: list[Row] = []
    compared = within = 0
    safety: dict[str, list[tuple[float, float]]] = {"leak": [], "exceptions": [], "error_rate": []}
    for name in sorted(set(groups) | set(base)):
        group, old = groups.get(name), base.get(name)
        either: _Group | BaselineFigure = group or base[name]
        figure, unit, better = either.figure, either.unit, either.better
        rule = rules.for_figure(name, figure)
        kind = kind_of(figure, unit)
        notes: list[Note] = []
        moved = _Change([])
        if rule.ignore:
            notes.append(("ignored", f"ignored by the rule for {', '.join(rule.patterns)}", "info"))
        elif group is None:
            notes.append(
                (
                    "missing figure",
                    f"in the baseline ({_num(base[name].median)} {unit}), not measured in this run",
                    "info",
                )
            )
        elif kind != "performance":
            safety[kind].append((group.worst(), rule.error_rate))
            notes += _judge_safety(kind, group, rule)
        else:
            if rule.target is not None:
                severity, detail = _target_check(rule, group)
                if severity != "ok":
                    notes.append(("target", detail, severity))
            if old is not None:
                moved = _judge_change(group, old, rule)
                notes += moved.notes
                compared += moved.compared
                within += moved.compared and not moved.notes
            elif baseline is not None:
                notes.append(
                    ("new figure", f"measured in this run ({_num(group.median)} {unit}), not in the baseline", "info")
                )
        reasons += [Reason(rule_name, name, detail, severity) for rule_name, detail, severity in notes]
        rows.append(
            Row(
                name=name,
                figure=figure,
                unit=unit,
                better=better,
                now=group.median if group else None,
                now_count=len(group.values) if group else 0,
                base=old.median if old else None,
                base_count=old.count if old else 0,
                change=moved.change,
                worse=moved.worse,
                rule=rule.describe(kind, unit),
                severity=_worst(note[2] for note in notes),
                note="; ".join(note[1] for note in notes),
            )
        )
    reasons += _safety_summary(safety)
    if baseline is None:
        reasons.append(Reason("baseline", "", NO_BASELINE_NOTE, "info"))
    else:
        reasons += _baseline_reasons(baseline, groups, compared, within, rules)
    severities = {r.severity for r in reasons}
    state = NO_GO if "no-go" in severities else UNDECIDED if "undecided" in severities else GO
    reasons.sort(key=lambda r: SEVERITIES.index(r.severity))
    rows.sort(key=lambda r: (SEVERITIES.index(r.severity), r.name))
    return Verdict(state=state, reasons=reasons, rows=rows, compared=baseline is not None)


def _safety_summary(safety: Mapping[str, list[tuple[float, float]]]) -> list[Reason]:
    """One ``ok`` reason per safety rule that every one of its figures met."""
    out = []
    leaks, exceptions, rates = safety["leak"], safety["exceptions"], safety["error_rate"]
    if leaks and all(value < 1 for value, _ in leaks):
        out.append(Reason("leak", "", f"no leak detected ({_count(len(leaks), 'check')})", "ok"))
    if exceptions and all(value <= 0 for value, _ in exceptions):
        out.append(Reason("exceptions", "", f"no exceptions counted ({_count(len(exceptions), 'check')})", "ok"))
    if rates and all(value < limit for value, limit in rates):
        highest = max(value for value, _ in rates)
        limits = sorted({limit for _, limit in rates})
        out.append(
            Reason(
                "error rate",
                "",
                f"{'the error rate is' if len(rates) == 1 else f'all {len(rates)} error rates are'} under "
                f"{' / '.join(_num(v) for v in limits)} % (highest {_num(highest)} %)",
                "ok",
            )
        )
    return out


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _baseline_reasons(
    baseline: Baseline, groups: Mapping[str, _Group], compared: int, within: int, rules: Rules
) -> list[Reason]:
    out = []
    origin = f"baseline {baseline.path or '(unsaved)'} of {baseline.when or 'an unknown time'}"
    if compared:
        out.append(
            Reason(
                "degradation",
                "",
                f"{within} of {compared} figures compared with the {origin} are less than "
                f"{_num(rules.defaults.warn)} % worse",
                "ok",
            )
        )
    else:
        out.append(Reason("baseline", "", f"no figure of this run is in the {origin}: nothing was compared", "warning"))
    machines = [m for g in groups.values() for m in g.machines]
    if not machines:
        return out
    by_host = Counter(str(m.get("hostname", "")) for m in machines)
    host, _ = by_host.most_common(1)[0]
    run_machine = next(m for m in machines if str(m.get("hostname", "")) == host)
    if len(by_host) > 1:
        out.append(
            Reason(
                "machine",
                "",
                f"this run's figures come from {len(by_host)} machines: {', '.join(sorted(by_host))}",
                "info",
            )
        )
    if not baseline.machine:
        out.append(Reason("machine", "", "the baseline does not say which machine measured it", "warning"))
        return out
    same, differences = same_machine(baseline.machine, run_machine)
    if not same:
        out.append(
            Reason(
                "machine",
                "",
                f"the baseline comes from another machine: {describe_machine(baseline.machine)}; this run: "
                f"{describe_machine(run_machine)}. Its figures are compared as measured, differences may be the machine's",
                "warning",
            )
        )
    elif differences:
        out.append(Reason("machine", "", f"same machine as the baseline, but {differences}", "info"))
    return out
