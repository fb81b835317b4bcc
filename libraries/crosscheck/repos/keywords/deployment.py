"""Deployment independence: each repository installs, imports and starts without its siblings."""

from __future__ import annotations

import os
import shlex
import sys
from datetime import timedelta

from robot.api import logger
from robot.api.deco import keyword
from robot.utils import Matcher

from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.reporting import html_table, log_html
from crosscheck.repos import deployment
from crosscheck.repos.context import ReposContext


class DeploymentKeywords(Component[ReposContext]):
    @keyword
    def repository_should_install_alone(self, repo: str, timeout: timedelta = timedelta(minutes=5)) -> str:
        """Fails unless ``repo`` installs into a fresh environment and each of its packages imports there.

        A virtual environment is made in a temporary folder; pip installs the repository and the
        shared repositories it declares (by path), nothing of its siblings, within ``timeout``.
        Then ``python -I -c "import <package>"`` runs for each package, from a folder outside every
        repository. A failure shows the import error and the sibling repository it needed.
        Returns the environment's interpreter; the environment is removed when the test ends.

        | Repository Should Install Alone    producer
        """
        target = self.ctx.repos.get(repo)
        try:
            env = self.ctx.environment(target.name, timeout)
        except deployment.InstallFailed as exc:
            raise CrosscheckError(str(exc)) from None
        outcomes = deployment.import_alone(env, target.packages)
        rows = [[o.package, "ok" if o.ok else o.error, o.file or "", o.line or ""] for o in outcomes]
        log_html(
            html_table(
                rows,
                ["package", "python -I import", "failing file", "line"],
                f"Repository {target.name} alone in {env.folder} ({len(env.installed)} installed from paths, "
                f"{env.seconds:.1f} s)",
            )
        )
        failed = [o for o in outcomes if not o.ok]
        if failed:
            lines = []
            for o in failed:
                owner = self.ctx.repos.owner(o.missing) if o.missing else None
                need = f" - it needs {o.missing!r} from sibling repository {owner.name!r}" if owner else ""
                at = f" at {o.file}:{o.line}: {o.code}" if o.file else ""
                lines.append(f"  import {o.package}: {o.error}{at}{need}")
            raise CrosscheckError(
                f"Repository {target.name!r} does not import alone (fresh environment, python -I, siblings absent):\n"
                + "\n".join(lines)
            )
        return str(env.python)

    @keyword
    def repository_service_should_start_alone(
        self,
        repo: str,
        command: str,
        health_url: str | None = None,
        timeout: timedelta = timedelta(seconds=30),
        environment: str = "fresh",
        keep_running: bool = False,
        **env: str,
    ) -> None:
        """Starts ``command`` in ``repo``'s folder while its siblings are down, and waits until it is healthy.

        Healthy means ``health_url`` answers 200 within ``timeout``; without ``health_url``, that
        the process still runs after ``timeout``. The command runs in the repository's fresh
        environment (``environment=fresh``: a leading ``python`` is its interpreter) or with this
        interpreter (``environment=current``); ``NAME=value`` arguments are added to its environment.
        Fails with the service's last log lines when it exits or never answers. What it started is
        stopped when the keyword ends, or with ``keep_running=True`` when the test ends; also after a failure.

        | Repository Service Should Start Alone    producer    python -m example_producer    health_url=http://127.0.0.1:${PORT}/health    PRODUCER_PORT=${PORT}
        """
        service = self._start(repo, command, environment, env, timeout)
        try:
            outcome = deployment.wait_healthy(service, health_url, timeout.total_seconds())
            if not outcome.healthy:
                what = (
                    f"exited with code {outcome.returncode} after {outcome.seconds:.1f} s"
                    if outcome.exited
                    else f"was not healthy within {timeout.total_seconds():g} s ({health_url}: {outcome.last_status})"
                )
                raise CrosscheckError(
                    f"Service of repository {service.repo.name!r} ({command}) {what}. Last log lines:\n"
                    + "\n".join(f"  {line}" for line in service.last_lines())
                )
            how = f"{health_url} answered 200" if health_url else f"still running after {timeout.total_seconds():g} s"
            logger.info(f"Service of repository {service.repo.name} started alone: {how} after {outcome.seconds:.2f} s")
        finally:
            if not keep_running:
                service.stop()

    @keyword
    def repository_service_should_fail_clearly(
        self,
        repo: str,
        command: str,
        message: str,
        timeout: timedelta = timedelta(seconds=30),
        environment: str = "fresh",
        **env: str,
    ) -> None:
        """Starts ``command`` with a service it requires absent; it must exit non-zero with a clear message.

        ``message`` is a glob pattern (``*Redis*unreachable*``) that a line of the service's output
        must match; a raw Python traceback as its last words fails the check, as does a process
        still running after ``timeout`` (it is stopped) or one that exits with code 0.

        | Repository Service Should Fail Clearly    consumer    python -m example_consumer    *cannot reach Redis*    CONSUMER_REDIS_URL=redis://127.0.0.1:1
        """
        service = self._start(repo, command, environment, env, timeout)
        try:
            code = deployment.wait_exit(service, timeout.total_seconds())
            lines = service.last_lines(40)
            tail = "\n".join(f"  {line}" for line in lines[-15:])
            name = service.repo.name
            if code is None:
                raise CrosscheckError(
                    f"Service of repository {name!r} still ran after {timeout.total_seconds():g} s; last lines:\n{tail}"
                )
            if code == 0:
                raise CrosscheckError(
                    f"Service of repository {name!r} exited with code 0, expected a failure; last lines:\n{tail}"
                )
            matcher = Matcher(message, caseless=False, spaceless=False)
            if not any(matcher.match(line) for line in lines):
                raise CrosscheckError(
                    f"Service of repository {name!r} exited with code {code}, but no line matches {message!r}:\n{tail}"
                )
            if any(line.startswith("Traceback (most recent call last)") for line in lines):
                raise CrosscheckError(
                    f"Service of repository {name!r} exited with a raw traceback, not one clear line:\n{tail}"
                )
            logger.info(f"Service of repository {name} exited with code {code} and a clear message")
        finally:
            service.stop()

    def _start(
        self, repo: str, command: str, environment: str, env: dict[str, str], timeout: timedelta
    ) -> deployment.Service:
        target = self.ctx.repos.get(repo)
        argv = shlex.split(command)
        if not argv:
            raise ConfigurationError("The service command is empty.")
        if environment not in ("fresh", "current"):
            raise ConfigurationError(f"environment={environment!r}: use 'fresh' or 'current'.")
        if argv[0] in ("python", "python3"):
            if environment == "fresh":
                try:
                    argv[0] = str(self.ctx.environment(target.name, timedelta(minutes=5)).python)
                except deployment.InstallFailed as exc:
                    raise CrosscheckError(str(exc)) from None
            else:
                argv[0] = sys.executable
        run_env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        run_env.update({k: str(v) for k, v in env.items()})
        service = deployment.Service(target, argv, run_env, target.path)
        self.ctx.cleanup.add(f"service of repository {target.name!r} (pid {service.pid})", service.stop)
        self.ctx.cleanup.add(f"log of the service of repository {target.name!r}", service.remove_log)
        return service
