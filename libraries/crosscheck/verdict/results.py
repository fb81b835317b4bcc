"""A run's results, read from output.xml: its tests, the figures its keywords recorded, its errors.

Figures come from the log messages :func:`crosscheck.figures.record` writes; the suite and the
test of each are where the message sits. Works on a plain robot run, a pabot run, a
``rebot --merge`` of shards and a plain ``rebot`` combination of shards (whose extra top level,
``Suites & Suites``, is left out of the names so they match a whole run's).

:func:`write_figures` writes them to ``figures.json``::

    {"format": 1, "crosscheck": "0.1.0", "output": "/abs/results/output.xml",
     "figures": [{"name": "Suites.Load / Api Holds Up / load.stage_100.all.p95_ms",
                  "suite": "Suites.Load", "test": "Api Holds Up", "figure": "load.stage_100.all.p95_ms",
                  "value": 81.5, "unit": "ms", "better": "lower", "where": "...", "samples": 2481,
                  "machine": {"hostname": "...", ...}}, ...]}

one entry per measurement, in the order of the run.

:func:`annotate_reports` re-renders report.html and log.html with ``rebot``, the verdict in the
top-level metadata.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import crosscheck
from crosscheck import figures as figure_messages
from crosscheck.errors import ConfigurationError
from crosscheck.verdict.rules import Figure, TestOutcome, Verdict

__all__ = [
    "RunError",
    "RunResults",
    "annotate_reports",
    "figures_document",
    "metadata",
    "output_file",
    "read",
    "write_figures",
]

OUTPUT = "output.xml"


@dataclass(frozen=True)
class RunError:
    level: str
    message: str
    timestamp: str = ""


@dataclass
class RunResults:
    source: Path  # the output.xml read
    name: str  # the top-level suite
    started: str = ""
    tests: list[TestOutcome] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    errors: list[RunError] = field(default_factory=list)

    @property
    def folder(self) -> Path:
        return self.source.parent

    def count(self, status: str) -> int:
        return sum(1 for t in self.tests if t.status == status)

    @property
    def machines(self) -> list[str]:
        return sorted({str(f.machine.get("hostname", "")) for f in self.figures if f.machine})


def output_file(path: str | Path) -> Path:
    """The output.xml of ``path``: a results folder or the file itself.

    A folder without output.xml, or a path that does not exist, is a
    :class:`~crosscheck.errors.ConfigurationError` that says what to do.
    """
    given = Path(path)
    if given.is_dir():
        file = given / OUTPUT
        if not file.is_file():
            others = sorted(p.name for p in given.glob("*.xml"))
            hint = f" (it has {', '.join(others)}: pass the one robot wrote)" if others else ""
            raise ConfigurationError(
                f"No {OUTPUT} in {given}{hint}: run the suites first (make run), or give the path of the output file."
            )
        return file
    if not given.exists():
        raise ConfigurationError(
            f"{given} does not exist: give a results folder with {OUTPUT} in it, or the output file itself."
        )
    return given


def _text(message: str) -> str:
    return message.removeprefix("*HTML*").strip()


def read(path: str | Path) -> RunResults:
    """The tests, figures and errors of the run in ``path`` (a results folder or an output.xml)."""
    from robot.api import ExecutionResult
    from robot.errors import DataError

    file = output_file(path)
    try:
        result = ExecutionResult(str(file))
    except DataError as exc:
        cause = str(exc).split("\n")[0]
        raise ConfigurationError(
            f"{file} is not a readable Robot Framework output ({cause}): run the suites again, "
            "or merge the shards again with rebot."
        ) from None
    suite = result.suite
    prefix = ""
    if _is_combination(suite):
        prefix = suite.name + "."
    tests = []
    for test in suite.all_tests:
        tests.append(
            TestOutcome(
                name=test.full_name.removeprefix(prefix),
                status=test.status,
                tags=tuple(str(t) for t in test.tags),
                message=_text(test.message),
            )
        )
    run = RunResults(
        source=file,
        name=suite.suites[0].name if prefix else suite.name,
        started=str(suite.start_time or ""),
        tests=tests,
        figures=_figures(suite, prefix),
        errors=[
            RunError(level=m.level, message=_text(m.message), timestamp=str(m.timestamp or ""))
            for m in result.errors.messages
        ],
    )
    return run


def _is_combination(suite: Any) -> bool:
    """A top suite made by ``rebot`` combining outputs of the same suites (shards): no source, no tests,
    no setup or teardown of its own, and children that all bear the same name."""
    children = list(suite.suites)
    return (
        suite.source is None
        and not suite.tests
        and not suite.has_setup
        and not suite.has_teardown
        and len(children) > 1
        and len({child.name for child in children}) == 1
    )


def _figures(top: Any, prefix: str) -> list[Figure]:
    from robot.api import ResultVisitor
    from robot.result import TestCase, TestSuite

    found: list[Figure] = []

    class Collect(ResultVisitor):
        def visit_message(self, msg: Any) -> None:
            if not msg.html or "crosscheck-figure" not in msg.message:
                return
            node = msg.parent
            while node is not None and not isinstance(node, (TestCase, TestSuite)):
                node = node.parent
            if isinstance(node, TestCase):
                suite_name, test_name = node.parent.full_name, node.name
            elif isinstance(node, TestSuite):
                suite_name, test_name = node.full_name, ""
            else:  # pragma: no cover - every message sits in a suite
                return
            suite_name = suite_name.removeprefix(prefix)
            for data in figure_messages.parse(msg.message):
                try:
                    found.append(
                        Figure(
                            suite=suite_name,
                            test=test_name,
                            figure=str(data["figure"]),
                            value=float(data["value"]),
                            unit=str(data.get("unit", "")),
                            better=str(data.get("better", "lower")),
                            where=str(data.get("where", "")),
                            samples=data.get("samples"),
                            machine=data.get("machine") or {},
                        )
                    )
                except (TypeError, ValueError):
                    continue

    top.visit(Collect())
    return found


def figures_document(results: RunResults) -> dict[str, Any]:
    return {
        "format": 1,
        "crosscheck": crosscheck.__version__,
        "output": str(results.source.resolve()),
        "figures": [
            {
                "name": f.name,
                "suite": f.suite,
                "test": f.test,
                "figure": f.figure,
                "value": f.value,
                "unit": f.unit,
                "better": f.better,
                "where": f.where,
                "samples": f.samples,
                "machine": dict(f.machine),
            }
            for f in results.figures
        ],
    }


def write_figures(results: RunResults, path: str | Path | None = None) -> Path:
    """Write the run's figures as JSON to ``path`` (default: ``figures.json`` beside output.xml)."""
    file = Path(path) if path is not None else results.folder / "figures.json"
    file.write_text(json.dumps(figures_document(results), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return file


# --- report.html and log.html with the verdict --------------------------------------------

_SETTINGS = re.compile(r"window\.settings = (\{.*?\});")


def _settings(page: Path) -> dict[str, Any]:
    try:
        match = _SETTINGS.search(page.read_text(encoding="utf-8", errors="replace"))
        return json.loads(match.group(1)) if match else {}
    except (OSError, ValueError):
        return {}


def _pages(folder: Path) -> tuple[str, str]:
    """The names of the run's report and log in ``folder`` (``report.html`` and ``log.html`` by default).

    A report is found by its settings (``"background"``, ``"logURL"``), so ``--report mine.html``
    keeps its name; its ``logURL`` names the log. No log link means the run wrote none (``NONE``).
    """
    candidates = [folder / "report.html"] + sorted(p for p in folder.glob("*.html") if p.name != "report.html")
    for page in candidates:
        if not page.is_file():
            continue
        settings = _settings(page)
        if "background" in settings:
            return page.name, str(settings.get("logURL") or "NONE")
    log = "log.html"
    for page in sorted(folder.glob("*.html")):
        settings = _settings(page)
        if "splitLogBase" in settings or "minLevel" in settings:
            log = page.name
            break
    return "report.html", log


def _doc(text: str) -> str:
    """``text`` for Robot's documentation formatting, shown as it is: no accidental bold, italics, code or link.

    Robot starts bold, italics and code only at a word that begins with ``*``, ``_`` or two backquotes;
    an invisible word joiner (U+2060) in front of such a word keeps it literal. ``[a|b]`` would be a
    link: its bar becomes U+2223.
    """
    text = re.sub(r"(^| )([\"'(]*)(?=[*_`])", "\\1\\2\u2060", " ".join(text.split()))
    return text.replace("|", "\u2223") if "[" in text else text


def metadata(verdict: Verdict, page: str = "verdict.html") -> list[str]:
    """``--metadata`` values for rebot: the verdict, and every reason as a list."""
    counts = verdict.counts()
    summary = ", ".join(f"{counts[s]} {s}" for s in ("no-go", "undecided", "warning", "info", "ok") if counts[s])
    head = f"*{verdict.state}* ({summary}): see [{page}|{page}]"
    reasons = "\n".join(
        f"- *{r.severity.upper()}* {_doc(r.rule)}" + (f": {_doc(r.what)}" if r.what else "") + f": {_doc(r.detail)}"
        for r in verdict.reasons
    )
    return [f"Verdict:{head}", f"Verdict reasons:{reasons}"]


def annotate_reports(results: RunResults, verdict: Verdict, page: str = "verdict.html") -> list[Path]:
    """Re-render the run's report.html and log.html (same names) with the verdict in the top-level metadata.

    output.xml itself is left as it is. Returns the pages written.
    """
    from robot.rebot import rebot

    folder = results.folder
    report, log = _pages(folder)
    out = io.StringIO()
    rc = rebot(
        str(results.source),
        outputdir=str(folder),
        output="NONE",
        report=report,
        log=log,
        xunit="NONE",
        metadata=metadata(verdict, page),
        processemptysuite=True,
        stdout=out,
        stderr=out,
    )
    if rc >= 250:
        raise ConfigurationError(
            f"rebot could not re-render the report from {results.source} (rc {rc}): {out.getvalue().strip()}"
        )
    written = [folder / report] + ([folder / log] if log.upper() != "NONE" else [])
    return written
