"""Unhandled exceptions in logs: watch log files, and fail on tracebacks and ERROR / CRITICAL lines."""

from __future__ import annotations

import glob
import re
from pathlib import Path
from typing import Any

from robot.api import SkipExecution
from robot.api.deco import keyword

from crosscheck import figures
from crosscheck.assertions import AssertionOperator, check
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.reporting import html_table, log_html
from crosscheck.verdict.context import VerdictContext
from crosscheck.verdict.logs import Appended, Finding

SHOWN = 10  # findings named in a failure message; log.html lists them all


def _figure_name(path: Path) -> str:
    return "logs." + "_".join(path.stem.split()) + ".exceptions"


class LogKeywords(Component[VerdictContext]):
    def _files(self, files: tuple[str, ...] | list[str], must_exist: bool = True) -> list[Path]:
        """Files by path or glob pattern; none given: the system under test's logs (a skip when there are none)."""
        if not files:
            found, why = self.ctx.system_logs()
            if not found:
                raise SkipExecution(f"No logs to read: {why}. Name the log files to read.")
            return found
        paths: list[Path] = []
        for spec in files:
            spec = str(spec)
            if glob.has_magic(spec):
                matched = sorted(Path(p) for p in glob.glob(spec))
                if not matched and must_exist:
                    raise ConfigurationError(f"No log file matches {spec!r}.")
                paths += matched
            elif must_exist and not Path(spec).is_file():
                raise ConfigurationError(f"No log file at {spec!r}.")
            else:
                paths.append(Path(spec))
        return list(dict.fromkeys(paths))

    def _scan(self, files: tuple[str, ...] | list[str], ignore: str | None) -> list[tuple[Appended, list[Finding]]]:
        try:
            skip = re.compile(ignore) if ignore else None
        except re.error as exc:
            raise ConfigurationError(f"ignore={ignore!r} is not a regular expression: {exc}.") from None
        out = []
        rows: list[list[Any]] = []
        listed: list[list[Any]] = []
        for path in self._files(files):
            appended = self.ctx.watch.check(path)
            counted = [f for f in appended.findings if skip is None or not skip.search(f.text)]
            out.append((appended, counted))
            lines = appended.end.lines - appended.first_line + 1
            since = "the start (not watched before)" if appended.whole else f"line {appended.first_line}"
            rows.append([str(appended.path), since, lines, len(counted), len(appended.findings) - len(counted)])
            for f in appended.findings:
                listed.append([appended.path.name, f.line, f.kind, f.text, "ignored" if f not in counted else ""])
            where = f"{appended.path}" + (
                ": " + "; ".join(f"line {f.line}: {f.text[:120]}" for f in counted[:SHOWN]) if counted else ""
            )
            figures.record(_figure_name(appended.path), float(len(counted)), "exceptions", "lower", where=where)
        markup = html_table(rows, ["log file", "read from", "lines read", "found", "ignored"], "Logs scanned")
        if listed:
            markup += html_table(listed, ["file", "line", "kind", "text", ""], "Unhandled exceptions and error lines")
        log_html(markup)
        return out

    @keyword
    def start_log_watch(self, *files: str) -> list[str]:
        """Marks where each log file ends now: later checks read only what is appended after this.

        Without ``files``, the logs of the system under test that this run's stack started
        (``results/stack/<key>/*.log``, but for the stack's own logs). A file that does not exist
        yet is read from its start once it does. Returns the files watched.

        | Start Log Watch
        | Start Log Watch    ${APP_LOG}
        """
        paths = self._files(files, must_exist=False)
        marks = self.ctx.watch.mark(paths)
        log_html(
            html_table(
                [[str(p), m.offset, m.lines] for p, m in marks.items()],
                ["log file", "watched from byte", "after line"],
                "Log watch",
            )
        )
        return [str(p) for p in marks]

    @keyword
    def logs_should_have_no_unhandled_exceptions(self, *files: str, ignore: str | None = None) -> int:
        """Fails when the log files got a Python traceback or an ERROR / CRITICAL line during the run.

        Without ``files`` (paths or glob patterns), the logs of the system under test that this
        run's stack started; when it started none (an API configured by ``CROSSCHECK_API_URL``),
        the test is skipped, saying so. Only what was appended is read: since the library
        started, since `Start Log Watch`, or since the previous check of this keyword, so
        each exception fails one check. ``ignore`` is a regular expression: findings whose text
        it matches are listed in log.html but not counted.

        The failure names each file and line with the exception (``demo-api.log:41: ValueError:
        boom (traceback)``). Each file's count is recorded as ``logs.<file>.exceptions``.
        Returns the number of lines read.

        | Logs Should Have No Unhandled Exceptions
        | Logs Should Have No Unhandled Exceptions    ${APP_LOG}    ignore=expected in this test
        """
        results = self._scan(files, ignore)
        for appended, _ in results:
            self.ctx.watch.advance(appended)
        found = [(a.path, f) for a, counted in results for f in counted]
        if found:
            named = "; ".join(f.describe(str(path)) for path, f in found[:SHOWN])
            more = f"; and {len(found) - SHOWN} more (log.html lists them all)" if len(found) > SHOWN else ""
            raise CrosscheckError(
                f"{len(found)} unhandled exception{'s' if len(found) != 1 else ''} or error line"
                f"{'s' if len(found) != 1 else ''} in the logs: {named}{more}."
            )
        return sum(a.end.lines - a.first_line + 1 for a, _ in results)

    @keyword
    def get_unhandled_exception_count(
        self,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        files: list[str] | str | None = None,
        ignore: str | None = None,
    ) -> int:
        """Returns the number of tracebacks and ERROR / CRITICAL lines appended to the log files.

        ``files`` is one path or glob pattern, or a list; by default the system under test's logs,
        read from the same mark as `Logs Should Have No Unhandled Exceptions`, which this keyword
        does not move. Each file's count is recorded as ``logs.<file>.exceptions``.

        | Get Unhandled Exception Count    ==    0
        | ${count} =    Get Unhandled Exception Count    files=${APP_LOG}
        """
        given = [files] if isinstance(files, str) else list(files or [])
        results = self._scan(given, ignore)
        total = sum(len(counted) for _, counted in results)
        where = ", ".join(str(a.path) for a, _ in results)
        expected = assertion_expected
        if isinstance(expected, str) and expected.strip().lstrip("-").isdigit():
            expected = int(expected)
        return check(total, assertion_operator, expected, f"unhandled exceptions in {where}")
