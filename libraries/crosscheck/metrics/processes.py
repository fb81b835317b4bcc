"""Resource use of the processes behind a local port (psutil): CPU, memory, threads, connections.

Reading only: nothing is started, signalled or changed.
"""

from __future__ import annotations

import time

import psutil

FIGURES = ("cpu_percent", "rss_mb", "threads", "connections", "processes")


def listening_processes(port: int) -> list[psutil.Process]:
    """The process listening on 127.0.0.1/0.0.0.0 ``port`` and its children (the workers)."""
    owners = {
        c.pid
        for c in psutil.net_connections(kind="tcp")
        if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid
    }
    procs: dict[int, psutil.Process] = {}
    for pid in owners:
        try:
            proc = psutil.Process(pid)
            procs[pid] = proc
            for child in proc.children(recursive=True):
                procs[child.pid] = child
        except psutil.NoSuchProcess:
            continue
    return list(procs.values())


def sample(procs: list[psutil.Process], seconds: float) -> dict[str, float]:
    """CPU (percent of one core, summed) over ``seconds``; RSS, threads and TCP connections at the end."""
    alive = []
    for proc in procs:
        try:
            proc.cpu_percent(None)
            alive.append(proc)
        except psutil.NoSuchProcess:
            pass
    time.sleep(seconds)
    out = {"cpu_percent": 0.0, "rss_mb": 0.0, "threads": 0, "connections": 0, "processes": 0}
    for proc in alive:
        try:
            with proc.oneshot():
                out["cpu_percent"] += proc.cpu_percent(None)
                out["rss_mb"] += proc.memory_info().rss / 2**20
                out["threads"] += proc.num_threads()
            out["connections"] += len(proc.net_connections(kind="tcp"))
            out["processes"] += 1
        except psutil.NoSuchProcess:
            pass
    return out
