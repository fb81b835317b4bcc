"""Sandbox speed against a bare `docker run` loop with the same limits, in one run.

Prints the figures, then one JSON object on the last line with ``fresh_per_s``,
``fresh_vs_bare``, ``warm_p50_ms`` and ``cold_start_s`` beside the raw figures.
Targets (issue 7): fresh >= 5/s with 10 concurrent and >= 0.8 of bare; warm p50
<= 100 ms; cold start <= 1 s. Seed 003 measured 1.07/s, < 1 s warm, < 3 s cold.
Also ``refuse_10mb_ms``: how long 10 MB of code takes to be refused (the size cap
comes before parsing; target < 100 ms, no container).

    python benchmarks/sandbox.py [--runs 30] [--concurrency 10]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from crosscheck import namespace, reporting
from crosscheck.sandbox import image, policy, risk, runner
from crosscheck.sandbox.policy import Limits
from crosscheck.sandbox.pool import WarmPool

CODE = "print(sum(range(1000)))"


def bare_command(limits: Limits, img: str) -> list[str]:
    """`docker run --rm` with the same six layers and limits as a sandbox run."""
    mib = limits.memory
    return [
        "docker",
        "run",
        "--rm",
        "--network",
        "none",
        "--read-only",
        "--tmpfs",
        f"/tmp:rw,noexec,nosuid,nodev,size={limits.tmpfs},mode=1777",
        "--ipc",
        "none",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges:true",
        "--security-opt",
        f"seccomp={policy.SECCOMP_PATH}",
        "--memory",
        str(mib),
        "--memory-swap",
        str(mib),
        "--cpus",
        str(limits.cpus),
        "--pids-limit",
        str(limits.pids),
        "--ulimit",
        f"nofile={limits.nofile}:{limits.nofile}",
        "--ulimit",
        f"fsize={limits.fsize}",
        "--init",
        "--user",
        policy.SANDBOX_USER,
        "--log-driver",
        "none",
        "--label",
        "crosscheck=1",
        "--label",
        f"crosscheck.run={namespace.run_id()}",
        img,
        "python3",
        "-I",
        "-c",
        CODE,
    ]


def timed(fn, runs: int, concurrency: int) -> tuple[float, list[float]]:
    def one(_):
        t = time.monotonic()
        fn()
        return time.monotonic() - t

    t0 = time.monotonic()
    with ThreadPoolExecutor(concurrency) as ex:
        times = list(ex.map(one, range(runs)))
    return time.monotonic() - t0, times


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--concurrency", type=int, default=10)
    ap.add_argument("--warm-runs", type=int, default=50)
    args = ap.parse_args(argv)
    big = "x = 1\n" * (10 * 1024 * 1024 // 6)
    t = time.monotonic()
    report = risk.score(big)
    refuse_ms = (time.monotonic() - t) * 1000
    assert report.refused and report.unscored, report
    client = runner.connect()
    img = image.image_name()
    image.ensure(client, img)
    runner.reap(client)
    limits = Limits()

    def fresh():
        res = runner.run_fresh(client, CODE, limits, img)
        assert res.status == "ok", (res, res.stderr)

    def bare():
        out = subprocess.run(bare_command(limits, img), capture_output=True, text=True, timeout=60)
        assert out.returncode == 0 and out.stdout.strip() == "499500", out.stderr

    try:
        cold = runner.run_fresh(client, CODE, limits, img).total_time
        seq = [runner.run_fresh(client, CODE, limits, img).total_time for _ in range(5)]
        bare()  # warm the CLI path too
        fresh_wall, fresh_times = timed(fresh, args.runs, args.concurrency)
        bare_wall, bare_times = timed(bare, args.runs, args.concurrency)
        pool = WarmPool(client, limits, img, size=2)
        pool.start()
        try:
            warm = []
            for _ in range(args.warm_runs):
                res = pool.run(CODE)
                assert res.status == "ok", res
                warm.append(res.total_time * 1000)
        finally:
            pool.close()
    finally:
        runner.reap(client, current_run=True)
    figures = {
        "fresh_per_s": round(args.runs / fresh_wall, 3),
        "bare_per_s": round(args.runs / bare_wall, 3),
        "fresh_vs_bare": round(bare_wall / fresh_wall, 3),
        "warm_p50_ms": round(reporting.percentile(warm, 50), 1),
        "warm_p95_ms": round(reporting.percentile(warm, 95), 1),
        "cold_start_s": round(cold, 3),
        "refuse_10mb_ms": round(refuse_ms, 3),
        "sequential_fresh_p50_s": round(reporting.percentile(seq, 50), 3),
        "fresh_p50_s": round(reporting.percentile(fresh_times, 50), 3),
        "bare_p50_s": round(reporting.percentile(bare_times, 50), 3),
        "runs": args.runs,
        "concurrency": args.concurrency,
        "warm_runs": args.warm_runs,
        "seed_003_per_s": 1.07,
    }
    print(
        f"fresh  : {figures['fresh_per_s']}/s with {args.concurrency} concurrent "
        f"(bare docker run: {figures['bare_per_s']}/s, ratio {figures['fresh_vs_bare']})"
    )
    print(f"warm   : p50 {figures['warm_p50_ms']} ms, p95 {figures['warm_p95_ms']} ms")
    print(f"cold   : {figures['cold_start_s']} s (sequential fresh p50 {figures['sequential_fresh_p50_s']} s)")
    print(f"refuse : 10 MB of code refused in {figures['refuse_10mb_ms']} ms, before parsing, no container")
    left = runner.ours(client)
    if left:
        print(f"warning: {len(left)} containers left", file=sys.stderr)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
