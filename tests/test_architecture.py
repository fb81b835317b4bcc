"""The rules of docs/architecture.md, checked on the code as it is."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import crosscheck

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "libraries" / "crosscheck"
LIBRARIES = {name: module.split(".")[1] for name, module in crosscheck._LIBRARIES.items()}

# Engines whose logic is pure: they import nothing from Robot Framework.
PURE_ENGINES = [
    "messaging/statistics.py",
    "messaging/timestamps.py",
    "messaging/replies.py",
    "postgres/diff.py",
    "metrics/promql.py",
    "contracts/compat/__init__.py",
    "contracts/compat/rules.py",
    "contracts/compat/refs.py",
    "contracts/compat/schemas.py",
    "contracts/compat/operations.py",
    "contracts/compat/vocabulary.py",
    "sandbox/risk.py",
    "faults/toxics.py",
    "faults/recovery.py",
    "verdict/trend.py",
    "verdict/logs.py",
    "verdict/rules.py",
    "verdict/baseline.py",
    "verdict/page.py",
    "configuration/layers.py",
    "configuration/files.py",
    "configuration/precedence.py",
    "configuration/canaries.py",
    "configuration/rules.py",
    "figures.py",
]

CONNECTING = re.compile(r"psycopg2\.connect\(|redis\.Redis\(|Redis\.from_url\(|DockerClient\(|QdrantClient\(")


def sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, top_level_only: bool) -> set[str]:
    """Modules ``path`` imports: at import time only, or anywhere (inside functions too)."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    nodes = []

    def collect(body):
        for node in body:
            nodes.append(node)
            if isinstance(node, (ast.If, ast.Try)):
                collect(node.body)
                collect(node.orelse)
                for handler in getattr(node, "handlers", []):
                    collect(handler.body)
                collect(getattr(node, "finalbody", []))

    if top_level_only:
        collect(tree.body)
    else:
        nodes = list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.update(f"{mod}.{alias.name}" for alias in node.names)
            found.add(mod)
    return found


def test_every_library_has_the_same_shape():
    for name, folder in LIBRARIES.items():
        lib = PACKAGE / folder
        missing = [
            part
            for part in ("__init__.py", "library.py", "context.py", "keywords/__init__.py")
            if not (lib / part).exists()
        ]
        assert not missing, f"crosscheck.{name} ({lib}) lacks {missing}"
        assert crosscheck._LIBRARIES[name] == f"crosscheck.{folder}.library", name


def test_keyword_classes_are_components_and_libraries_are_built_on_the_base():
    from crosscheck.core import Component, CrosscheckLibrary

    for name in LIBRARIES:
        cls = getattr(crosscheck, name)
        assert issubclass(cls, CrosscheckLibrary), name
        assert cls.COMPONENTS, name
        for component in cls.COMPONENTS:
            assert issubclass(component, Component), (name, component)
            assert ".keywords." in component.__module__, (name, component.__module__)


def test_only_the_services_package_opens_connections():
    offenders = []
    for path in sources():
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("services/") or rel == "stack/servers.py":  # the embedded servers set themselves up
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if CONNECTING.search(line):
                offenders.append(f"{rel}:{number}: {line.strip()}")
    assert not offenders, "connections opened outside crosscheck/services:\n" + "\n".join(offenders)


def test_the_library_never_imports_the_demo():
    offenders = [path.relative_to(PACKAGE).as_posix() for path in sources() if "crosscheck_demo" in path.read_text()]
    assert not offenders, offenders
    code = (
        "import sys, crosscheck\n"
        "for name in crosscheck._LIBRARIES: getattr(crosscheck, name)\n"
        "print(sorted(m for m in sys.modules if m.startswith('crosscheck_demo') or m in ('starlette', 'uvicorn')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out


def test_pure_engines_import_nothing_from_robot():
    for rel in PURE_ENGINES:
        imports = imports_of(PACKAGE / rel, top_level_only=True)
        robot = sorted(m for m in imports if m.split(".")[0] in ("robot", "robotlibcore", "assertionengine"))
        assert not robot, f"{rel} imports {robot}"


def test_no_import_circles():
    """No module reaches itself through imports, at import time or inside functions.

    Importing a module always imports its parent packages first; those edges are not circles.
    """
    modules = {module_name(p): p for p in sources()}
    graph = {}
    for name, path in modules.items():
        deps = set()
        for imported in imports_of(path, top_level_only=False):
            if imported not in modules:
                imported = imported.rpartition(".")[0]
            if imported in modules and imported != name and not name.startswith(imported + "."):
                deps.add(imported)
        graph[name] = deps
    state: dict[str, int] = {}
    circles = []

    def visit(node, stack):
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                circles.append(" -> ".join(stack[stack.index(dep) :] + [dep]))
            elif dep not in state:
                visit(dep, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert not circles, "import circles:\n" + "\n".join(circles)


@pytest.mark.slow
def test_the_wheel_carries_neither_the_demo_nor_its_dependencies(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    wheel = next(tmp_path.glob("robotframework_crosscheck-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        metadata = zf.read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert not [n for n in names if n.startswith("crosscheck_demo")], names
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert not [r for r in requires if re.search(r"\b(starlette|uvicorn)\b", r, re.I)], requires


def test_a_suite_outside_the_repository_reads_the_seed_constants_from_the_package(tmp_path):
    (tmp_path / "own.robot").write_text(
        "*** Settings ***\n"
        "Variables    crosscheck.variables.targets\n"
        "Variables    crosscheck.variables.channels\n\n"
        "*** Test Cases ***\n"
        "Seed Constants Are There\n"
        "    Should Be Equal    ${MESSAGE_DELIVERY_TARGET}    100 ms\n"
        "    Should Contain    ${REQUIRED_CHANNELS}    tickstock.universe.updated\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "robot", "--output", "NONE", "--log", "NONE", "--report", "NONE", "own.robot"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_library_defaults_that_are_seed_figures_come_from_the_variable_files():
    from crosscheck.messaging.keywords import contracts, statistics
    from crosscheck.sandbox import library, risk
    from crosscheck.variables import channels, targets

    assert statistics.MESSAGE_DELIVERY_TARGET is targets.MESSAGE_DELIVERY_TARGET
    assert contracts.CHANNEL_NAMING_PATTERN is channels.CHANNEL_NAMING_PATTERN
    assert risk.DEFAULT_THRESHOLD == targets.RISK_THRESHOLD
    assert library.DEFAULT_MEMORY == f"{targets.SANDBOX_MEMORY_LIMIT_MB} MB"
