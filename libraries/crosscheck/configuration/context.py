"""State shared by the Configuration keyword components: the registered loaders and started services.

Every keyword works in a workspace (a temporary folder holding copies of the system's folder);
its removal is registered with ``cleanup`` when it is made and it is removed when the keyword
ends. A started service is stopped, and its workspace removed, when the test that started it ends.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from crosscheck.configuration.loader import Invocation, Loader, Result, Service, Setting, execute
from crosscheck.configuration.report import log_run
from crosscheck.core import Cleanup
from crosscheck.errors import ConfigurationError, CrosscheckError


def remove(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)


class ConfigurationContext:
    cleanup: Cleanup  # given by CrosscheckLibrary

    def __init__(self) -> None:
        self.loaders: dict[str, Loader] = {}
        self.services: dict[str, Service] = {}

    def loader(self, name: str) -> Loader:
        if name not in self.loaders:
            known = ", ".join(sorted(self.loaders)) or "none yet"
            raise ConfigurationError(
                f"no configuration loader is called {name!r} (registered: {known}): "
                f"register it first with `Use Configuration Loader    {name}    command=...`."
            )
        return self.loaders[name]

    def new_workspace(self, name: str) -> Path:
        path = Path(tempfile.mkdtemp(prefix=f"crosscheck-configuration-{name}-"))
        self.cleanup.add(f"temporary copy of the {name} configuration at {path}", lambda: remove(path))
        return path

    @contextmanager
    def workspace(self, name: str) -> Iterator[Path]:
        """A temporary folder for copies of the system's folder, removed when the keyword ends."""
        path = self.new_workspace(name)
        try:
            yield path
        finally:
            remove(path)

    def run(
        self,
        loader: Loader,
        workspace: Path,
        caption: str,
        env: str | None = None,
        settings: list[Setting] | None = None,
        environment: dict[str, Any] | None = None,
        arguments: list[str] | None = None,
        contents: dict[str, str] | None = None,
        log: bool = True,
    ) -> Result:
        inv = loader.prepare(workspace, env, settings or [], environment, arguments, contents)
        result = execute(inv)
        if log:
            log_run(result, caption)
        return result

    def load(self, loader: Loader, workspace: Path, caption: str, **kwargs: Any) -> Result:
        """A run that must give a configuration; fails naming the loader, its command and what it said."""
        result = self.run(loader, workspace, caption, **kwargs)
        if not result.loaded:
            raise CrosscheckError(
                f"the configuration loader of {loader.name} ({result.invocation.shown_command()}) gave no "
                f"configuration: {result.problem}"
            )
        return result

    def start(self, inv: Invocation, port: int, ready_timeout: float) -> Service:
        service = Service(inv, port, inv.cwd.parent / f"{inv.loader.name}-service.log")
        self.cleanup.add(f"{inv.loader.name} started with a test configuration (stopped)", service.stop)
        service.start(ready_timeout)
        return service
