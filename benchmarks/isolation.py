"""Repository isolation: crosscheck's import check against bare lint-imports, in one run.

Large real code bases installed in this environment (site-packages copies of several top-level
packages, 1,000+ modules) are split into pretend repositories, one per top-level package, in a
temporary folder. Both sides check the same import-linter contracts (those crosscheck generates
for the set), with caching off, each in a fresh process (interpreter start included), REPEAT
times; the medians are compared.

* crosscheck: ``crosscheck imports FOLDER``, the engine of ``Repositories Should Not Import Each
  Other`` as a command;
* lint-imports: import-linter's CLI on an .importlinter file holding the same contracts.

The target (ratio <= 1.1) holds for both: whole processes (interpreter start-up included), and
the check itself with both sides in this process.

Last line: one JSON object.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.util import find_spec
from pathlib import Path

PACKAGES = ["pip", "hypothesis", "schemathesis", "locust", "docker", "jsonschema", "requests", "urllib3", "yaml"]
REPEAT = 3


def pretend_repositories(base: Path) -> list[str]:
    found = []
    for name in PACKAGES:
        spec = find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue
        source = Path(next(iter(spec.submodule_search_locations)))
        shutil.copytree(source, base / name / name, ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd"))
        found.append(name)
    return found


def write_config(base: Path, contracts: list[dict], packages: list[str]) -> Path:
    lines = [
        "[importlinter]",
        "root_packages =",
        *[f"    {p}" for p in packages],
        "include_external_packages = True",
        "",
    ]
    for n, contract in enumerate(contracts, 1):
        lines.append(f"[importlinter:contract:c{n}]")
        lines.append(f"name = {contract['name']}")
        lines.append(f"type = {contract['type']}")
        for key, value in contract.items():
            if key not in ("name", "type"):
                lines.append(f"{key} =")
                lines += [f"    {v}" for v in value]
        lines.append("")
    path = base / ".importlinter"
    path.write_text("\n".join(lines))
    return path


def run(argv: list[str], env: dict, cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=900)
    return time.perf_counter() - start, proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[
        -300:
    ]


def main() -> None:
    from crosscheck.repos import imports, repository

    with tempfile.TemporaryDirectory(prefix="crosscheck-bench-isolation-") as tmp:
        base = Path(tmp) / "repos"
        base.mkdir()
        packages = pretend_repositories(base)
        repos = repository.RepositorySet()
        for path in repository.discover(base):
            repos.add(repository.load(path))
        modules = sum(1 for p in packages for _ in (base / p / p).rglob("*.py"))
        config = write_config(Path(tmp), imports.contracts_for(repos), packages)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        lint_env = dict(env, PYTHONPATH=os.pathsep.join(str(base / p) for p in packages))
        lint = [str(Path(sys.executable).parent / "lint-imports"), "--config", str(config), "--no-cache"]
        ours_argv = [str(Path(sys.executable).parent / "crosscheck"), "imports", str(base)]
        ours_t, lint_t = [], []
        for _ in range(REPEAT):  # interleaved, so both see the same machine
            seconds, ours_out = run(ours_argv, env, Path(tmp))
            ours_t.append(seconds)
            seconds, lint_out = run(lint, lint_env, Path(tmp))
            lint_t.append(seconds)
        ours, bare = statistics.median(ours_t), statistics.median(lint_t)
        # the same work in this process, without interpreter start-up: import-linter's own use case
        # (its options are read as a configuration file gives them: "True" as text)
        from importlinter.application import use_cases
        from importlinter.application.user_options import UserOptions

        options = UserOptions(
            {"root_packages": packages, "include_external_packages": "True"}, imports.contracts_for(repos)
        )
        use_cases._register_built_in_contract_types()
        api_bare_t, api_ours_t = [], []
        for _ in range(REPEAT):  # interleaved as well
            with imports.package_roots(repos):
                start = time.perf_counter()
                use_cases.create_report(options, cache_dir=None)
                api_bare_t.append(time.perf_counter() - start)
            start = time.perf_counter()
            imports.check_imports(repos)
            api_ours_t.append(time.perf_counter() - start)
        api_ours, api_bare = statistics.median(api_ours_t), statistics.median(api_bare_t)
        written = [p for p in base.rglob("*") if p.name.startswith(".import_linter_cache") or p.name == ".grimp_cache"]
        print(f"{len(packages)} pretend repositories ({', '.join(packages)}), {modules} modules")
        print(f"crosscheck imports:                      {ours:.2f} s (median of {REPEAT}) -> {ours_out[:60]}")
        print(f"lint-imports --no-cache, same contracts: {bare:.2f} s (median of {REPEAT}) -> {lint_out[:60]}")
        print(
            f"in process, the check alone (median of {REPEAT}): crosscheck {api_ours:.2f} s, "
            f"import-linter create_report {api_bare:.2f} s, ratio {api_ours / api_bare:.2f} (target <= 1.1)"
        )
        print(f"whole processes: ratio {ours / bare:.2f} (target <= 1.1); cache files written: {len(written)}")
        print(
            json.dumps(
                {
                    "repositories": len(packages),
                    "modules": modules,
                    "crosscheck_s": round(ours, 3),
                    "lint_imports_s": round(bare, 3),
                    "ratio": round(ours / bare, 3),
                    "in_process_ratio": round(api_ours / api_bare, 3),
                }
            )
        )


if __name__ == "__main__":
    main()
