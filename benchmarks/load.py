"""crosscheck.Load against bare Locust and wrk, on the same local targets, in one run.

* ``rps_ratio``: the same users (FastHttpUser, no wait) against the same endpoint, bare
  ``locust --headless`` and ``crosscheck.Load`` alternated, requests per second of each
  (median of the rounds): crosscheck / bare, target >= 0.95. Targets: a trivial local HTTP
  endpoint (gevent's WSGI server in a process of its own) and the demo's ``/health``.
* ``rps_vs_wrk``: the generator's RPS (one Locust process, so one core) against ``wrk -t1``
  on the same trivial endpoint, the physical reference; reported, no target.

Last line: one JSON object.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from crosscheck.load.library import Load

USERS = int(os.environ.get("LOAD_BENCH_USERS", 20))
SECONDS = int(os.environ.get("LOAD_BENCH_SECONDS", 5))
ROUNDS = int(os.environ.get("LOAD_BENCH_ROUNDS", 3))

SERVER = textwrap.dedent(
    """
    import socket
    from gevent.server import StreamServer

    RESPONSE = b"HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: 2\\r\\n\\r\\nok"

    def handle(sock, address):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pending = b""
        while True:
            data = sock.recv(65536)
            if not data:
                return
            pending += data
            while b"\\r\\n\\r\\n" in pending:
                _, pending = pending.split(b"\\r\\n\\r\\n", 1)
                sock.sendall(RESPONSE)

    server = StreamServer(("127.0.0.1", 0), handle)
    server.start()
    print(server.server_port, flush=True)
    server.serve_forever()
    """
)

BARE = textwrap.dedent(
    """
    from locust import FastHttpUser, constant, task

    class Bare(FastHttpUser):
        wait_time = constant(0)

        @task
        def get(self):
            self.client.get("{path}")
    """
)


def trivial_server() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    port = proc.stdout.readline().strip() if proc.stdout else ""
    return proc, f"http://127.0.0.1:{port}"


def bare_locust(host: str, path: str, workdir: Path) -> float:
    locustfile = workdir / "bare_locustfile.py"
    locustfile.write_text(BARE.format(path=path))
    argv = [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--host", host]
    argv += ["-u", str(USERS), "-r", str(USERS), "-t", f"{SECONDS}s", "--only-summary", "--json", "--loglevel", "ERROR"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=SECONDS + 60)
    rows = json.loads(done.stdout)
    requests = sum(r["num_requests"] for r in rows)
    start = min(r["start_time"] for r in rows)
    end = max(r["last_request_timestamp"] for r in rows)
    return requests / (end - start)


def crosscheck_load(host: str, path: str) -> float:
    lib = Load(host)
    lib.run_keyword("add_load_request", ["GET", path], {})
    result = lib.run_keyword(
        "run_load_stages", [], {"users": USERS, "hold": f"{SECONDS} s", "ramp": "instant", "think": "0 s"}
    )
    lib.cleanup.close()
    return result.figures(result.stages[0]).rps


def wrk(url: str) -> float | None:
    if not shutil.which("wrk"):
        return None
    done = subprocess.run(
        ["wrk", "-t1", f"-c{USERS}", f"-d{SECONDS}s", url], capture_output=True, text=True, timeout=SECONDS + 30
    )
    match = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    return float(match.group(1)) if match else None


def compare(host: str, path: str, workdir: Path) -> dict:
    bare, ours = [], []
    for _ in range(ROUNDS):
        bare.append(bare_locust(host, path, workdir))
        ours.append(crosscheck_load(host, path))
    return {
        "bare_rps": [round(x, 1) for x in bare],
        "crosscheck_rps": [round(x, 1) for x in ours],
        "rps_ratio": round(statistics.median(ours) / statistics.median(bare), 3),
    }


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="crosscheck-load-bench-"))
    os.environ.setdefault("CROSSCHECK_RESULTS_DIR", str(workdir / "results"))
    server, url = trivial_server()
    out: dict = {"users": USERS, "seconds": SECONDS, "rounds": ROUNDS}
    try:
        trivial = compare(url, "/", workdir)
        out["trivial"] = trivial
        reference = wrk(url + "/")
        out["wrk_rps"] = reference
        out["rps_vs_wrk"] = round(statistics.median(trivial["crosscheck_rps"]) / reference, 3) if reference else None
    finally:
        server.kill()
        server.wait(5)
    try:
        from crosscheck.services import api

        out["demo_health"] = compare(api.url(), "/health", workdir)
    except Exception as exc:  # noqa: BLE001 - the demo part is reported as skipped, with why
        out["demo_health"] = {"skipped": str(exc)}
    ratios = [out["trivial"]["rps_ratio"]] + (
        [out["demo_health"]["rps_ratio"]] if "rps_ratio" in out["demo_health"] else []
    )
    out["rps_ratio"] = min(ratios)
    out["rps_ratio_target"] = 0.95
    out["rps_ratio_met"] = out["rps_ratio"] >= 0.95
    shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
