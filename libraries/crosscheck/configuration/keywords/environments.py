"""Environments: the same keys in every environment file, and a production configuration that is safe."""

from __future__ import annotations

from pathlib import Path

from robot.api import logger
from robot.api.deco import keyword

from crosscheck.configuration import files as config_files
from crosscheck.configuration import rules
from crosscheck.configuration.canaries import SECRET_PATTERNS
from crosscheck.configuration.context import ConfigurationContext
from crosscheck.configuration.keywords.common import as_list, patterns
from crosscheck.configuration.loader import Setting
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.reporting import html_table, log_html


class EnvironmentKeywords(Component[ConfigurationContext]):
    def _path(self, path: str, folder: str | None) -> Path:
        base = Path(".")
        if folder:
            base = Path(folder)
            if folder in self.ctx.loaders:
                base = self.ctx.loaders[folder].folder or base
        full = Path(path) if Path(path).is_absolute() else base / path
        if not full.is_file():
            raise ConfigurationError(
                f"{full} does not exist: give paths relative to folder= (or the working directory)."
            )
        return full

    @keyword
    def environment_files_should_have_the_same_keys(
        self, *files: str, folder: str | None = None, ignore: str | list[str] | None = None
    ) -> None:
        """Fails unless every file has the same keys (nested keys flattened with dots: ``database.url``).

        Files are TOML, JSON, YAML, INI or .env, by extension; paths are relative to ``folder``
        (a folder, or the name of a registered configuration: its folder) or the working
        directory. The failure lists, per file, the keys it lacks and the keys only it has.
        ``ignore`` lists keys allowed to differ. The files are only read.

        | Environment Files Should Have The Same Keys    config/app.development.toml    config/app.staging.toml    config/app.production.toml    folder=app
        """
        if len(files) < 2:
            raise ConfigurationError("give at least two files to compare.")
        skip = set(as_list(ignore))
        keys = {f: set(config_files.flatten(config_files.read(self._path(f, folder)))) - skip for f in files}
        differences = rules.key_differences(keys)
        rows = [
            [f, len(k), ", ".join(differences.get(f, ([], []))[0]), ", ".join(differences.get(f, ([], []))[1])]
            for f, k in keys.items()
        ]
        log_html(html_table(rows, ["file", "keys", "missing", "only here"], "Keys per environment file"))
        if differences:
            parts = []
            for f, (missing, extra) in differences.items():
                said = ([f"lacks {', '.join(missing)}"] if missing else []) + (
                    [f"alone has {', '.join(extra)}"] if extra else []
                )
                parts.append(f"{f} {' and '.join(said)}")
            raise CrosscheckError(f"the environment files do not have the same keys: {'; '.join(parts)}")
        logger.info(f"{len(files)} files, each with the same {len(next(iter(keys.values())))} keys")

    @staticmethod
    def _file_keys(loader, env: str) -> set[str]:
        """The keys the system's own configuration files set in ``env`` (its folder, not a copy)."""
        keys: set[str] = set()
        for layer in loader.layers:
            if layer.kind != "file" or loader.folder is None:
                continue
            path = loader.folder / layer.path(env)
            if path.is_file():
                keys.update(config_files.flatten(config_files.read(path)))
        return keys

    @keyword
    def production_configuration_should_be_safe(
        self,
        file_or_name: str,
        env: str = "production",
        switches: str | list[str] | None = None,
        hosts: str | list[str] | None = None,
        placeholders: str | list[str] | None = None,
        allow: str | list[str] | None = None,
        folder: str | None = None,
    ) -> None:
        """Fails if a production configuration has a development switch on, an address of this machine, or a placeholder secret.

        ``file_or_name`` is a registered configuration (its effective configuration in ``env`` is
        loaded) or a file (read as it is; paths relative to ``folder`` as in `Environment Files
        Should Have The Same Keys`). The checks:
        - a key like ``*debug*``, ``*verbose*``, ``*reload*``, ``*trace*``, ``*dev_mode*`` with a
          true value, or a log level key set to ``debug`` or ``trace`` (``switches``: patterns);
        - ``localhost``, ``127.x.x.x`` or ``::1`` in a value, an address only this machine reaches
          (``hosts``: regular expressions; ``0.0.0.0``, every interface, is a listen address and passes);
        - a secret key, or the password of a URL, set to ``changeme``, ``password``, ``secret``,
          ``example``, ``default`` and the like (``placeholders``).
        Each can be replaced by a list of its own; an empty value switches it off. ``allow`` lists
        keys not checked. The registration's ``environment`` (this run's service addresses) does not
        hide the system's files: a key they set is read from them; a key only that environment
        supplies is not checked, and the log names it. A loader that prints secrets as
        ``***`` hides placeholders: check the file as well. Each finding names the key, the rule and, for a file, the line.

        | Production Configuration Should Be Safe    app
        | Production Configuration Should Be Safe    config/app.production.toml    folder=app
        | Production Configuration Should Be Safe    app    env=staging    hosts=localhost    allow=public_url
        """
        skip = set(as_list(allow))
        path: Path | None = None
        if file_or_name in self.ctx.loaders:
            loader = self.ctx.loaders[file_or_name]
            # The registration's environment holds this run's addresses, not production's: a key the
            # system's files set is loaded from its files (the variable is left out); a key only that
            # environment supplies is not checked, and the log says so.
            in_files = self._file_keys(loader, env)
            given = set(loader.variables)
            settings = []
            for variable in given:
                key = next((k for k in in_files if loader.variable(k) == variable), None)
                layer = next((layer for layer in loader.layers if layer.kind == "environment"), None)
                if key is not None and layer is not None:
                    settings.append(Setting(layer, key, remove=True))
            with self.ctx.workspace(file_or_name) as ws:
                result = self.ctx.load(
                    loader, ws, f"Configuration of {file_or_name} in {env}", env=env, settings=settings
                )
            flat = result.flat()
            what = f"the {env} configuration of {file_or_name}"
            by_run = sorted(k for k in flat if loader.variable(k) in given and k not in in_files)
            if by_run:
                skip.update(by_run)
                logger.info(
                    f"Not checked, set only by the registration's environment for this run: {', '.join(by_run)}"
                )
        else:
            path = self._path(file_or_name, folder)
            flat = config_files.flatten(config_files.read(path))
            what = str(file_or_name)
        found = rules.unsafe_values(
            {k: v for k, v in flat.items() if k not in skip},
            switches=patterns(switches, rules.SWITCHES),
            hosts=patterns(hosts, rules.LOCAL_HOSTS),
            placeholders=patterns(placeholders, rules.PLACEHOLDERS),
            secrets=SECRET_PATTERNS,
        )

        def where(key: str) -> str:
            line = config_files.line_of(path, key) if path else None
            return f"{path.name}:{line}" if path and line else (path.name if path else "")

        rows = [[u.key, u.value, u.rule, where(u.key)] for u in found]
        log_html(
            html_table(rows, ["key", "value", "problem", "where"], f"Production safety of {what} ({len(flat)} keys)")
        )
        if found:
            listed = "; ".join(
                f"{u.key}={u.value}: {u.rule}" + (f" ({where(u.key)})" if where(u.key) else "") for u in found
            )
            raise CrosscheckError(
                f"{what} is not safe for production ({len(found)} problem{'s' if len(found) != 1 else ''}): {listed}"
            )
        logger.info(f"{what}: {len(flat)} keys, no development switch, local address or placeholder secret")
