"""Load, cold start and leftovers."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from robotlibcore import keyword

from crosscheck import figures, namespace, reporting
from crosscheck.assertions import AssertionOperator, check, to_seconds
from crosscheck.core import Component
from crosscheck.errors import CrosscheckError
from crosscheck.sandbox import runner
from crosscheck.sandbox.context import Context


class LoadKeywords(Component[Context]):
    def _one(self, code: str, mode: str):
        if mode == "warm" and self.ctx.pool is not None:
            return self.ctx.pool.run(code)
        return runner.run_fresh(
            self.ctx.client,
            code,
            self.ctx.limits,
            self.ctx.image,
            namespace.new("load"),
            on_create=self.ctx.track,
            on_remove=self.ctx.untrack,
        )

    @keyword
    def run_sandbox_load(
        self,
        runs: int = 10,
        concurrency: int = 10,
        code: str = "print(sum(range(1000)))",
        mode: Literal["fresh", "warm"] = "fresh",
    ) -> dict:
        """Runs ``code`` ``runs`` times, ``concurrency`` at a time, and returns the figures.

        The dictionary has ``runs``, ``ok``, ``failed``, ``wall_s``, ``throughput_per_s``,
        ``p50_ms``, ``p95_ms``, ``max_ms`` (per run, create to remove in fresh mode).
        A table and a histogram go to log.html. Every run must succeed: a failed
        run fails the keyword with its status and stderr.

        Example:
        | ${load} = | Run Sandbox Load | runs=10 | concurrency=10 |
        | Should Be True | ${load}[throughput_per_s] >= 1.07 |
        """
        if mode == "warm" and self.ctx.pool is None:
            self.ctx.start_pool(min(max(concurrency, 1), 10))
        _ = self.ctx.client  # connect (or skip) before timing
        t0 = time.monotonic()
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as ex:
            results = list(ex.map(lambda _: self._one(code, mode), range(runs)))
        wall = time.monotonic() - t0
        times = [r.total_time * 1000 for r in results]
        failed = [r for r in results if r.status != "ok"]
        stats = reporting.summary(times)
        measured = {
            "runs": runs,
            "concurrency": concurrency,
            "mode": mode,
            "ok": runs - len(failed),
            "failed": len(failed),
            "wall_s": round(wall, 3),
            "throughput_per_s": round(runs / wall, 3) if wall else 0.0,
            **{f"{k}_ms": round(v, 1) for k, v in stats.items() if k != "count"},
        }
        base, at = f"sandbox.load_{mode}_{concurrency}", f"{runs} {mode} sandbox runs, {concurrency} concurrent"
        figures.record(f"{base}.throughput_per_s", runs / wall if wall else 0.0, "runs/s", "higher", where=at)
        for name in ("p50", "p95", "max") if times else ():
            figures.record(f"{base}.{name}_ms", stats[name], "ms", "lower", where=at, samples=times)
        reporting.log_distribution(
            times,
            "ms",
            f"Sandbox load: {runs} {mode} runs, {concurrency} concurrent",
            extra={"throughput (/s)": measured["throughput_per_s"], "failed": len(failed)},
        )
        if failed:
            first = failed[0]
            raise CrosscheckError(
                f"{len(failed)} of {runs} {mode} sandbox runs failed; first: {first} "
                f"stderr: {first.stderr.strip()[-300:]!r}"
            )
        return measured

    @keyword
    def measure_cold_start(
        self, assertion_operator: AssertionOperator | None = None, assertion_expected: Any = None
    ) -> float:
        """Returns the seconds one fresh run of ``print(1)`` takes end to end (create, start, output, remove).

        Time targets need a unit (``100 ms``, ``2 s``); a bare number is refused.

        Example:
        | Measure Cold Start | <= | ${SANDBOX_COLD_START_TARGET} |
        """
        res = runner.run_fresh(
            self.ctx.client,
            "print(1)",
            self.ctx.limits,
            self.ctx.image,
            namespace.new("cold"),
            on_create=self.ctx.track,
            on_remove=self.ctx.untrack,
        )
        if res.status != "ok":
            raise CrosscheckError(f"Cold start run failed: {res} stderr: {res.stderr.strip()[-300:]!r}")
        figures.record(
            "sandbox.cold_start_s", round(res.total_time, 4), "s", "lower", where="one fresh run of print(1)"
        )
        reporting.log_html(
            reporting.html_table(
                [(round(res.total_time, 3), round(res.duration * 1000, 1))],
                ["cold start (s)", "of which running (ms)"],
                "Sandbox cold start",
            )
        )
        return check(
            round(res.total_time, 4),
            assertion_operator,
            assertion_expected,
            "Sandbox cold start (s)",
            convert=to_seconds,
        )

    @keyword
    def get_leftover_sandbox_containers(
        self,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        include_pool: bool = False,
    ) -> int:
        """Returns how many containers of this run exist (``docker ps -a``, label ``crosscheck.run``).

        Pool containers are counted only with ``include_pool=True``.

        Example:
        | Get Leftover Sandbox Containers | == | 0 |
        """
        left = [
            c
            for c in runner.ours(self.ctx.client)
            if include_pool or (c.get("Labels") or {}).get("crosscheck.sandbox") != "pool"
        ]
        names = ", ".join(c["Id"][:12] for c in left)
        return check(
            len(left),
            assertion_operator,
            assertion_expected,
            f"Sandbox containers left of this run ({names or 'none'})",
            convert=int,
        )

    @keyword
    def remove_sandbox_leftovers(self) -> int:
        """Removes containers labelled ``crosscheck=1`` whose run's process has ended; returns how many."""
        return runner.reap(self.ctx.client)
