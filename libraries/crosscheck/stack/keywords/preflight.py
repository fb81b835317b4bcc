"""Pre-flight checks (checkpoint 1): dependencies, suites parse, test database."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

from robot.api import logger
from robot.utils import is_truthy
from robotlibcore import keyword

from crosscheck import config
from crosscheck.core import Component
from crosscheck.errors import CrosscheckError
from crosscheck.services import postgres
from crosscheck.stack.context import StackContext

# "test" or "tests" as a word of the name: crosscheck_test, tickstock_test, test_app; not "latest"
TEST_DATABASE_NAME = re.compile(r"(^|[^a-z0-9])tests?([^a-z0-9]|$)", re.IGNORECASE)


class PreflightKeywords(Component[StackContext]):
    @keyword
    def python_dependencies_should_be_consistent(self) -> None:
        """Fails when installed packages have missing or incompatible requirements.

        Runs ``pip check`` with the interpreter running Robot Framework, and lists each
        problem it reports.
        """
        proc = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True, timeout=120)
        out = (proc.stdout + proc.stderr).strip()
        logger.info(out or "pip check printed nothing")
        if proc.returncode != 0:
            problems = [line for line in out.splitlines() if line and not line.startswith("WARNING")]
            raise CrosscheckError(
                f"{len(problems)} dependency problem(s) in {sys.prefix}:\n"
                + "\n".join(problems)
                + "\nFix: pip install the versions named above (or reinstall: make run)"
            )

    @keyword
    def suites_should_parse(self, path: str = "suites", *options: str) -> int:
        """Dry-runs every suite under ``path`` and fails listing each test that does not parse.

        Catches syntax errors, unknown keywords, wrong argument counts and missing
        resources or libraries without running anything. Extra ``options`` go to
        ``robot`` (for example ``--exclude slow``). Returns the number of tests.
        """
        with tempfile.TemporaryDirectory(prefix="crosscheck-dryrun-") as tmp:
            output = Path(tmp) / "output.xml"
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "robot",
                    "--dryrun",
                    "--output",
                    str(output),
                    "--log",
                    "NONE",
                    "--report",
                    "NONE",
                    "--console",
                    "none",
                    *options,
                    path,
                ],
                capture_output=True,
                text=True,
                timeout=600,
            )
            if not output.exists():
                raise CrosscheckError(
                    f"robot --dryrun {path} produced no output (exit {proc.returncode}): "
                    f"{(proc.stderr or proc.stdout).strip()[-1000:]}"
                )
            root = ET.parse(output).getroot()
        failed, total = [], 0
        for test in root.iter("test"):
            total += 1
            st = test.find("status")
            if st is not None and st.get("status") == "FAIL":
                failed.append(f"{test.get('name')}: {(st.text or '').strip()}")
        errors = [m.text for m in root.iter("msg") if m.get("level") == "ERROR" and m.text]
        errors += [m.text for m in root.findall("./errors/msg") if m.text and m.text not in errors]
        logger.info(f"dry run of {path}: {total} tests, {len(failed)} failed, {len(errors)} errors")
        if failed or errors:
            raise CrosscheckError(
                f"{len(failed)} of {total} tests in {path} do not parse, {len(errors)} error(s):\n"
                + "\n".join(failed + errors)
            )
        if total == 0:
            raise CrosscheckError(f"no tests found under {path}")
        return total

    @keyword
    def database_should_be_a_test_database(self, url: str | None = None, allow_destructive: bool | str = False) -> str:
        """Fails unless the database is marked as one destructive suites may use.

        A database is marked by its name (``test`` is a word of it, as in ``crosscheck_test``,
        ``tickstock_test`` or ``test-app``; not ``latest``) or by an explicit opt-in: ``--variable ALLOW_DESTRUCTIVE:true``.
        ``url`` defaults to the Postgres under test. Returns the database name.
        """
        url = url or postgres.url()
        parts = urlsplit(url)
        name = parts.path.lstrip("/") or (parts.username or "")
        for pair in (parts.query or "").split("&"):
            if pair.startswith("dbname="):
                name = pair.split("=", 1)[1]
        if TEST_DATABASE_NAME.search(name):
            logger.info(f"database {name!r} is a test database (by name)")
            return name
        if is_truthy(allow_destructive):
            logger.warn(
                f"database {name!r} at {config.mask_url(url)} is not named as a test database; "
                "destructive suites run because ALLOW_DESTRUCTIVE is true"
            )
            return name
        raise CrosscheckError(
            f"database {name!r} at {config.mask_url(url)} is not marked as a test database, so destructive suites "
            "refuse to run against it. Mark it: use a database with 'test' as a word of its name (e.g. "
            f"{name or 'app'}_test), or opt in explicitly with --variable ALLOW_DESTRUCTIVE:true"
        )
