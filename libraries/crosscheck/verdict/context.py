"""State shared by the Verdict keyword components: the resource monitors by name, the log watch.

A monitor's thread is the one thing Verdict starts; its stop is registered with ``cleanup``
before it starts, and :meth:`VerdictContext.close` stops any left when the run ends. A stopped
monitor keeps its samples, so its figures can be read after it stopped.
"""

from __future__ import annotations

import os
from pathlib import Path

from crosscheck.core import Cleanup
from crosscheck.errors import CrosscheckError
from crosscheck.verdict.logs import LogWatch
from crosscheck.verdict.monitor import ResourceMonitor


class VerdictContext:
    cleanup: Cleanup  # given by CrosscheckLibrary

    def __init__(self) -> None:
        self.monitors: dict[str, ResourceMonitor] = {}
        self.watch = LogWatch()
        files, _ = self.system_logs()
        self.watch.mark(files)  # only what the system under test writes from now on is this run's

    def monitor(self, name: str) -> ResourceMonitor:
        try:
            return self.monitors[name]
        except KeyError:
            known = ", ".join(repr(n) for n in self.monitors) or "none"
            raise CrosscheckError(
                f"No resource monitor named {name!r} (known: {known}): start it with `Start Resource Monitor`."
            ) from None

    @staticmethod
    def system_logs() -> tuple[list[Path], str]:
        """The log files of the system under test that this run's stack started, or none and why.

        They are the ``*.log`` files of the stack's log folder (``results/stack/<key>/``) but for
        the stack's own (the supervisor's, the embedded servers').
        """
        try:
            from crosscheck.stack import api, registry

            key = os.environ.get(api.INHERITED)  # the stack this process uses, as crosscheck.services finds it
            state = registry.read_state(key) if key else None
            if not registry.supervisor_alive(state):
                state = api.current()
        except Exception as exc:  # noqa: BLE001 - no readable stack record means no system logs
            return [], f"the stack record could not be read ({type(exc).__name__}: {exc})"
        if not state or not state.get("logs"):
            return [], (
                "no embedded stack runs for this run, so it started no system under test whose logs could be read"
            )
        services = state.get("services", {})
        api_entry = services.get("api", {})
        if api_entry.get("status") != "running":
            why = api_entry.get("error") or "the API under test is configured (CROSSCHECK_API_URL), not started by it"
            return [], f"the embedded stack runs no system under test ({why})"
        folder = Path(state["logs"])
        own = {(folder / "supervisor.log").resolve()}
        own |= {Path(e["log"]).resolve() for n, e in services.items() if n != "api" and e.get("log")}
        return sorted(p for p in folder.glob("*.log") if p.resolve() not in own), ""

    def close(self) -> None:
        """The run ends: stop every monitor still running."""
        for monitor in self.monitors.values():
            monitor.stop()
