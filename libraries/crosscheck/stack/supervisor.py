"""The process that owns an embedded stack's servers.

Started by :func:`crosscheck.stack.api.ensure` (or ``crosscheck up``) in a
session of its own, so a Ctrl-C in the terminal reaches the test run but not
the servers. It starts Redis, Postgres and the system under test that
``CROSSCHECK_SUT`` names (see :mod:`crosscheck.stack.sut`), writes the stack's record,
then watches: a server that dies is started again on the same port (so
``restart`` is "kill it and wait"), and when the owner process is gone, or on
SIGTERM/SIGINT, everything is stopped and the runtime folder removed.

Usage: python -m crosscheck.stack.supervisor KEY [--owner PID:CTIME] [--no-sut]
       [--services redis,postgres] --logs DIR
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import psutil

from crosscheck import services
from crosscheck.stack import registry, sut
from crosscheck.stack.servers import PostgresServer, RedisServer, ServerStartError, _Server, free_port

POLL = 0.1
MAX_CRASH_RESTARTS = 20


class Supervisor:
    def __init__(
        self, key: str, services: list[str], logs: Path, owner: tuple[int, float] | None, system_under_test: bool
    ):
        self.key = key
        self.logs = logs
        self.owner = owner
        self.want_sut = system_under_test
        self.rundir = registry.runtime_dir(key)
        self.servers: dict[str, _Server] = {}
        self.sut: Any = None
        self.stopping = False
        me = psutil.Process()
        self.state: dict[str, Any] = {
            "key": key,
            "status": "starting",
            "started_at": time.time(),
            "logs": str(logs),
            "supervisor": {"pid": me.pid, "create_time": me.create_time()},
            "owner": {"pid": owner[0], "create_time": owner[1]} if owner else None,
            "services": {},
        }
        classes = {"redis": RedisServer, "postgres": PostgresServer}
        for name in services:
            self.servers[name] = classes[name](free_port(), self.rundir / name, logs)

    def save(self) -> None:
        registry.write_state(self.key, self.state)

    def _record(self, name: str, server) -> None:
        entry = self.state["services"].setdefault(name, {"restarts": 0})
        entry.update(
            url=server.url,
            port=server.port,
            pid=server.pid,
            version=services.get(name).version(server.url),
            status="running",
            log=str(server.logfile),
        )

    def start(self) -> None:
        self.rundir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.rundir, 0o755)
        self.logs.mkdir(parents=True, exist_ok=True)
        for name, server in self.servers.items():
            for attempt in range(3):
                try:
                    server.start()
                    break
                except ServerStartError as exc:
                    if "already taken" not in str(exc) or attempt == 2:
                        raise
                    server.port = free_port()
            self._record(name, server)
        if self.want_sut and {"redis", "postgres"} <= set(self.servers):
            self._start_system_under_test()
        self.state["status"] = "running"
        self.save()

    def _start_system_under_test(self) -> None:
        entry = self.state["services"].setdefault("api", {"restarts": 0})
        try:
            found = sut.resolve()
        except sut.NoSystemUnderTest as exc:
            entry.update(status="unavailable", error=str(exc))
            return
        except Exception as exc:  # a named entry point that does not load
            entry.update(status="failed", error=f"{sut.ENV} does not load ({type(exc).__name__}: {exc})")
            return
        if found is None:
            entry.update(status="unavailable", error=f"{sut.ENV}=none: no system under test is started")
            return
        try:
            self.sut = found.start(self.servers["redis"].url, self.servers["postgres"].url, self.logs)
        except Exception as exc:  # the rest of the stack stays usable
            error = f"{type(exc).__name__}: {exc}"
            if len(error) > 1500:  # keep the reason (its start) and the end of the log it quotes
                error = f"{error[:600]} [...] {error[-900:]}"
            entry.update(status="failed", error=error)
            return
        entry.update(
            status="running",
            url=self.sut.api_url,
            pids=list(getattr(self.sut, "pids", [])),
            version=found.name,
            log=str(self.logs),
        )

    def owner_gone(self) -> bool:
        return self.owner is not None and not registry.owner_alive(*self.owner)

    def watch(self) -> None:
        while not self.stopping:
            if self.owner_gone():
                break
            for name, server in self.servers.items():
                if not server.alive() and not self.stopping:
                    self._revive(name, server)
            time.sleep(POLL)

    def _revive(self, name: str, server) -> None:
        entry = self.state["services"][name]
        code = server.proc.returncode if server.proc else None
        entry.update(status="restarting", last_exit=code)
        self.save()
        if entry["restarts"] >= MAX_CRASH_RESTARTS:
            entry["status"] = f"crashed (exit {code}); gave up after {MAX_CRASH_RESTARTS} restarts"
            self.save()
            self.stopping = True
            return
        server.proc = None
        try:
            server.start()
        except ServerStartError as exc:
            entry.update(status=f"crashed and could not restart: {exc}")
            self.save()
            time.sleep(0.5)
            return
        entry["restarts"] += 1
        entry["restarted_at"] = time.time()
        self._record(name, server)
        self.save()

    def shutdown(self) -> None:
        self.stopping = True
        self.state["status"] = "stopping"
        try:
            self.save()
        except OSError:
            pass
        if self.sut is not None:
            try:
                self.sut.stop()
            except Exception:
                traceback.print_exc()
        for server in reversed(list(self.servers.values())):
            try:
                server.stop()
            except Exception:
                traceback.print_exc()
        shutil.rmtree(self.rundir, ignore_errors=True)
        registry.remove_state(self.key)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="crosscheck-stack-supervisor")
    parser.add_argument("key")
    parser.add_argument("--owner", help="PID:CREATE_TIME of the process whose end stops the stack")
    parser.add_argument("--services", default="redis,postgres")
    parser.add_argument("--logs", required=True)
    parser.add_argument("--no-sut", action="store_true", help="do not start the system under test")
    args = parser.parse_args(argv)
    owner = None
    if args.owner:
        pid, ctime = args.owner.split(":")
        owner = (int(pid), float(ctime))
    services = [s for s in args.services.split(",") if s]
    sup = Supervisor(args.key, services, Path(args.logs), owner, system_under_test=not args.no_sut)

    def on_signal(signum, frame):
        sup.stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        sup.start()
        sup.watch()
        return 0
    except Exception as exc:
        sup.state.update(status="failed", error=f"{type(exc).__name__}: {exc}")
        try:
            sup.save()
            time.sleep(1.0)  # let the starter read the reason
        except OSError:
            pass
        print(f"stack {args.key} failed: {exc}", file=sys.stderr)
        return 1
    finally:
        sup.shutdown()


if __name__ == "__main__":
    sys.exit(main())
