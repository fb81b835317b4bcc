"""Migration: an old configuration file loads to the same effective configuration as the current one."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

from robot.api import logger
from robot.api.deco import keyword

from crosscheck.configuration.context import ConfigurationContext
from crosscheck.configuration.loader import Loader
from crosscheck.configuration.report import shown_value
from crosscheck.configuration.rules import ABSENT, diff
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.reporting import html_table, log_html


class MigrationKeywords(Component[ConfigurationContext]):
    @staticmethod
    def _read(loader: Loader, path: str) -> str:
        full = Path(path) if Path(path).is_absolute() else (loader.folder or Path(".")) / path
        if not full.is_file():
            raise ConfigurationError(f"{full} does not exist: give a path relative to the folder of {loader.name}.")
        return full.read_text()

    @staticmethod
    def _target(loader: Loader, target: str | None) -> str:
        if target:
            return target
        for layer in loader.layers:
            if layer.kind == "file" and "{env}" not in layer.target:
                return layer.target
        raise ConfigurationError(
            f"{loader.name} has no file layer without {{env}} to put the old file in: give target=<path>."
        )

    @keyword
    def old_configuration_should_load_the_same(
        self,
        name: str,
        old_file: str,
        current_file: str | None = None,
        target: str | None = None,
        migrate_command: str | None = None,
        env: str | None = None,
    ) -> None:
        """Fails unless the loader, given ``old_file``, ends with the same effective configuration as with ``current_file``.

        Both files are put, in turn, at ``target`` in a copy of the system's folder (by default
        the path of its first ``file:`` layer without ``{env}``); ``current_file`` is the file at
        ``target`` when omitted. Paths are relative to the system's folder. With
        ``migrate_command`` (``{file}`` is the old file's path in a copy), the system's migration
        runs first and what it prints (or, when it prints nothing, the file it rewrote) is loaded
        instead. Fails when the old file no longer loads (with the loader's message), when the
        migration fails, or with every key that differs.

        | Old Configuration Should Load The Same    app    config/legacy/app.v1.toml
        | Old Configuration Should Load The Same    app    config/legacy/app.v1.toml    migrate_command=${PYTHON} app.py migrate {file}
        """
        loader = self.ctx.loader(name)
        place = self._target(loader, target)
        current_text = self._read(loader, current_file or place)
        old_text = self._read(loader, old_file)
        with self.ctx.workspace(name) as ws:
            if migrate_command:
                old_text = self._migrate(loader, ws, old_file, old_text, migrate_command)
            current = self.ctx.load(
                loader, ws, f"{name} with {current_file or place}", env=env, contents={place: current_text}
            )
            old = self.ctx.run(loader, ws, f"{name} with {old_file} at {place}", env=env, contents={place: old_text})
        migrated = " (migrated)" if migrate_command else ""
        if not old.loaded:
            raise CrosscheckError(f"{name} no longer loads {old_file}{migrated} at {place}: {old.problem}")
        changed = diff(current.flat(), old.flat())
        rows = [
            [k, "(absent)" if a is ABSENT else shown_value(k, a), "(absent)" if b is ABSENT else shown_value(k, b)]
            for k, a, b in changed
        ]
        log_html(
            html_table(
                rows,
                ["key", f"with {current_file or place}", f"with {old_file}{migrated}"],
                f"Differences in {name}'s configuration",
            )
        )
        if changed:
            listed = "; ".join(f"{r[0]}: {r[1]} (current) vs {r[2]} (old)" for r in rows)
            raise CrosscheckError(
                f"{old_file}{migrated} does not load the same as {current_file or place} in {name}: {listed}"
            )
        logger.info(f"{old_file}{migrated} loads to the same {len(current.flat())} keys as {current_file or place}")

    def _migrate(self, loader: Loader, ws: Path, old_file: str, old_text: str, command: str) -> str:
        copy = loader.copy(ws)
        path = Loader.inside(copy, old_file) if not Path(old_file).is_absolute() else copy / Path(old_file).name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(old_text)
        argv = [part.replace("{file}", str(path)) for part in shlex.split(command)]
        logger.info(f"migrating {old_file}: {shlex.join(argv)}  (in {copy})")
        try:
            proc = subprocess.run(
                argv, cwd=copy, env=loader.base_environment(), capture_output=True, text=True, timeout=loader.timeout
            )
        except FileNotFoundError:
            raise ConfigurationError(
                f"the migrate command of {loader.name} cannot be run: {argv[0]!r} is not found."
            ) from None
        except subprocess.TimeoutExpired:
            raise CrosscheckError(f"migrating {old_file} did not finish within {loader.timeout:g} s.") from None
        if proc.returncode != 0:
            said = (proc.stderr.strip() or proc.stdout.strip())[:600] or "(nothing)"
            raise CrosscheckError(f"migrating {old_file} failed (exit {proc.returncode}): {said}")
        return proc.stdout if proc.stdout.strip() else path.read_text()
