"""The process that owns an embedded stack's servers.

Started by :func:`crosscheck.stack.api.ensure` (or ``crosscheck up``) in a
session of its own, so a Ctrl-C in the terminal reaches the test run but not
the servers. It starts Redis, Postgres, the fault proxy server
(:mod:`crosscheck.faults.launch`, Toxiproxy's HTTP API) with one proxy in front of
each of the two, named ``redis`` and ``postgres``, and the system under test that
``CROSSCHECK_SUT`` names (see :mod:`crosscheck.stack.sut`), connected through those
proxies; it writes the stack's record, then watches: a server that dies is started
again on the same port (so ``restart`` is "kill it and wait"), after the deadline of
its hold marker if it has one (:func:`crosscheck.stack.registry.hold`); a proxy server
that dies is started again with the same two proxies on the same ports and no
toxics. When the owner process is gone, or on SIGTERM/SIGINT, everything is stopped
and the runtime folder removed.

Usage: python -m crosscheck.stack.supervisor KEY [--owner PID:CTIME] [--no-sut] [--name NAME]
       [--services redis,postgres,toxiproxy] --logs DIR
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
from crosscheck.ports import free_port
from crosscheck.stack import registry, sut
from crosscheck.stack.servers import PostgresServer, RedisServer, ServerStartError, _Server, via

POLL = 0.1
MAX_CRASH_RESTARTS = 20
SUT_START_ATTEMPTS = 2  # a system under test that fails to start is tried once more
SUT_RETRY_PAUSE = 1.0
PROXY = "toxiproxy"
PROXIED = ("redis", "postgres")  # the servers with a proxy in front, named like them


class Supervisor:
    def __init__(
        self,
        key: str,
        services: list[str],
        logs: Path,
        owner: tuple[int, float] | None,
        system_under_test: bool,
        name: str = "",
    ):
        self.key = key
        self.logs = logs
        self.owner = owner
        self.want_sut = system_under_test
        self.rundir = registry.runtime_dir(key)
        self.servers: dict[str, _Server] = {}
        self.sut: Any = None
        self.want_proxy = PROXY in services
        self.proxy: Any = None  # crosscheck.faults.launch.ProxyProcess
        self.proxy_lost = False  # it died and has not started again yet
        self.stopping = False
        me = psutil.Process()
        self.state: dict[str, Any] = {
            "key": key,
            "name": name,
            "status": "starting",
            "started_at": time.time(),
            "logs": str(logs),
            "supervisor": {"pid": me.pid, "create_time": me.create_time()},
            "owner": {"pid": owner[0], "create_time": owner[1]} if owner else None,
            "services": {},
        }
        classes = {"redis": RedisServer, "postgres": PostgresServer}
        for name in services:
            if name in classes:
                self.servers[name] = classes[name](free_port(), self.rundir / name, logs)

    def save(self) -> None:
        registry.write_state(self.key, self.state)

    def _record(self, name: str, server) -> None:
        entry = self.state["services"].setdefault(name, {"restarts": 0})
        entry["ready_at"] = time.time()  # accepting connections (a restart's downtime ends here)
        entry.update(
            url=server.url,
            port=server.port,
            pid=server.pid,
            version=services.get(name).version(server.url),
            status="running",
            log=str(server.logfile),
        )
        entry.pop("held_until", None)

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
        if self.want_proxy:
            self._start_proxy()
        if self.want_sut and {"redis", "postgres"} <= set(self.servers):
            self._start_system_under_test()
        self.state["status"] = "running"
        self.save()

    # --- the fault proxy server -----------------------------------------------------
    def _start_proxy(self) -> None:
        """Start the proxy server and one proxy per embedded server, on the ports recorded before if any.

        A proxy server that does not start leaves the rest of the stack usable: its entry says
        why, and the system under test is connected directly.
        """
        entry = self.state["services"].setdefault(PROXY, {"restarts": 0})
        known = entry.get("proxies", {})
        me = psutil.Process()
        try:
            from crosscheck.faults import launch
            from crosscheck.services import toxiproxy

            self.proxy = launch.start(self.logs, (me.pid, me.create_time()))
            proxies = {}
            with toxiproxy.client(self.proxy.url) as client:
                for name in PROXIED:
                    server = self.servers.get(name)
                    if server is None:
                        continue
                    upstream = f"127.0.0.1:{server.port}"
                    listen = known.get(name, {}).get("listen", "127.0.0.1:0")
                    created = client.create_proxy(name, upstream, listen=listen)
                    proxies[name] = {
                        "listen": created["listen"],
                        "upstream": upstream,
                        "url": via(server.url, created["listen"]),
                    }
                version = client.version()
        except Exception as exc:  # noqa: BLE001 - the rest of the stack stays usable; the entry says why
            if self.proxy is not None:
                self.proxy.stop()
                self.proxy = None
            entry.update(status="failed", error=f"{type(exc).__name__}: {exc}")
            return
        entry.pop("error", None)
        entry.update(
            status="running",
            url=self.proxy.url,
            pid=self.proxy.pid,
            version=version,
            proxies=proxies,
            ready_at=time.time(),
            log=str(self.proxy.log),
        )

    def proxied_url(self, name: str) -> str:
        """The URL of server ``name`` through its proxy; the server's own URL where it has none."""
        proxied = self.state["services"].get(PROXY, {}).get("proxies", {}).get(name)
        return proxied["url"] if self.proxy is not None and proxied else self.servers[name].url

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
        errors: list[str] = []
        while self.sut is None:
            try:
                self.sut = found.start(self.proxied_url("redis"), self.proxied_url("postgres"), self.logs)
            except Exception as exc:  # the rest of the stack stays usable
                error = f"{type(exc).__name__}: {exc}"
                if len(error) > 1500:  # keep the reason (its start) and the end of the log it quotes
                    error = f"{error[:600]} [...] {error[-900:]}"
                errors.append(error)
                if len(errors) < SUT_START_ATTEMPTS:  # once more: one transient failure would fail the whole run
                    time.sleep(SUT_RETRY_PAUSE)
                    continue
                entry.update(status="failed", error=f"{error} (start tried {len(errors)} times)")
                return
        if errors:
            entry["failed_starts"] = errors  # started after these, kept in the stack's state
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
            if self._proxy_down() and not self.stopping:
                self._revive_proxy()
            time.sleep(POLL)

    def _stopped(self, name: str, pid: int | None, code: int | None) -> bool | None:
        """Note that ``name`` (process ``pid``) stopped. True when its stop was asked for
        (:func:`crosscheck.stack.api.restart`), False for a crash, None while its hold lasts."""
        entry = self.state["services"][name]
        marker = registry.read_hold(self.key, name) or {}
        asked = bool(marker) and marker.get("pid") == pid
        if marker and not asked:
            registry.release(self.key, name)  # about a process that is gone already
        until = float(marker.get("until", 0)) if asked else 0.0
        if asked and time.time() < until:
            if entry.get("status") != "held":
                entry.update(status="held", last_exit=code, held_until=until)
                self.save()
            return None
        if asked:
            registry.release(self.key, name)
            entry["requested_restarts"] = entry.get("requested_restarts", 0) + 1
        entry.update(status="restarting", last_exit=code)
        entry.pop("held_until", None)
        self.save()
        if not asked and entry["restarts"] - entry.get("requested_restarts", 0) >= MAX_CRASH_RESTARTS:
            entry["status"] = f"crashed (exit {code}); gave up after {MAX_CRASH_RESTARTS} restarts"
            self.save()
            self.stopping = True
        return asked

    def _revive(self, name: str, server) -> None:
        code = server.proc.returncode if server.proc else None
        if self._stopped(name, server.pid, code) is None or self.stopping:
            return
        entry = self.state["services"][name]
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

    def _proxy_down(self) -> bool:
        if self.proxy is None:
            return self.proxy_lost
        return not self.proxy.alive()

    def _revive_proxy(self) -> None:
        if self.proxy is not None:  # it has just stopped
            if self._stopped(PROXY, self.proxy.pid, self.proxy.proc.returncode) is None or self.stopping:
                return
            self.proxy.stop()
            self.proxy = None
        entry = self.state["services"][PROXY]
        self._start_proxy()
        if self.proxy is None:  # it did not start: again on a later round
            self.proxy_lost = True
            entry["status"] = f"crashed and could not restart: {entry.get('error')}"
            self.save()
            time.sleep(0.5)
            return
        self.proxy_lost = False
        entry["restarts"] += 1
        entry["restarted_at"] = time.time()
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
        if self.proxy is not None:
            try:
                self.proxy.stop()
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
    parser.add_argument("--services", default="redis,postgres,toxiproxy")
    parser.add_argument("--logs", required=True)
    parser.add_argument("--no-sut", action="store_true", help="do not start the system under test")
    parser.add_argument("--name", default="", help="what names a `crosscheck up` stack (its installation)")
    args = parser.parse_args(argv)
    owner = None
    if args.owner:
        pid, ctime = args.owner.split(":")
        owner = (int(pid), float(ctime))
    services = [s for s in args.services.split(",") if s]
    sup = Supervisor(args.key, services, Path(args.logs), owner, system_under_test=not args.no_sut, name=args.name)

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
