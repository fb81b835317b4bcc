"""Keywords: quality and speed (recall@k against exact search, search latency, upsert throughput)."""

from __future__ import annotations

import time
from functools import partial
from typing import Any

from robot.api import SkipExecution, logger
from robotlibcore import keyword

from crosscheck import figures
from crosscheck.assertions import AssertionOperator, chart_target, check, time_target
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError
from crosscheck.reporting import html_table, log_distribution, log_html, summary, svg_histogram
from crosscheck.vectors import curve, data
from crosscheck.vectors.context import VectorsContext
from crosscheck.vectors.tables import log_throughput

STATISTICS = ("min", "p50", "p95", "p99", "max", "mean")
DEFAULT_SWEEP = "10, 20, 40, 80, 160"


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text.lower()).strip("_")


class QualityKeywords(Component[VectorsContext]):
    @keyword
    def get_recall_at_k(
        self,
        k: int = 10,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        queries: int = 50,
        seed: int = 7,
        noise: float = 0.1,
        ef_search: int | None = None,
        collection: str | None = None,
    ) -> float:
        """Returns recall@``k`` of the store's (approximate) search against exact search on the same data.

        For each of ``queries`` query vectors (stored points chosen by ``seed``,
        moved by a small ``noise``), the ids of the normal top-``k`` search are
        compared with those of an exact search (pgvector: the same query with index
        scans disabled; Qdrant Edge and server: ``exact=true``). Recall is the mean share
        of exact neighbours found. ``ef_search`` sets HNSW's search breadth.
        The figure, whether the search used an index, and a histogram of per-query
        recall are logged. Without an index the search is already exact and recall
        is 1.0 by construction: the log says so. qdrant-client's local mode skips (its
        search is always exact).

        | `Get Recall At K` | 10 | >= | 0.95 |
        | ${recall} = | `Get Recall At K` | 10 | ef_search=100 |
        """
        coll = self.ctx.resolve(collection)
        reason = coll.backend.approximate_unsupported
        if reason:
            raise SkipExecution(f"recall@{k} on {coll.where}: {reason}")
        if k < 1:
            raise ConfigurationError(f"k must be at least 1, got {k}")
        qs = data.queries_near_points(coll, queries, seed, noise)
        use = coll.backend.index_use(coll, qs[0].tolist(), k, False)
        per_query, approx_ms = [], []
        for q in qs:
            vec = q.tolist()
            t0 = time.perf_counter()
            approx = coll.backend.search(coll, vec, k, ef_search=ef_search)
            approx_ms.append((time.perf_counter() - t0) * 1000)
            exact = coll.backend.search(coll, vec, k, exact=True)
            truth = {h.id for h in exact}
            per_query.append(len(truth & {h.id for h in approx}) / len(truth) if truth else 1.0)
        recall = float(sum(per_query) / len(per_query))
        index = use["index"] or "none (the search is exact: recall 1.0 by construction)"
        log_html(
            html_table(
                [[k, len(qs), recall, min(per_query), index, ef_search or "default"]],
                ["k", "queries", f"recall@{k}", "worst query", "index used", "ef_search"],
                f"recall@{k} of {coll.name} against exact search",
            )
            + svg_histogram(per_query, "recall", f"recall@{k} per query", bins=10)
        )
        log_distribution(approx_ms, "ms", f"search latency during the recall run ({coll.backend.kind})")
        if not use["used"]:
            logger.warn(f"recall@{k} on {coll.where}: the search did not use a vector index, so it is exact")
        self.ctx.last["recall"] = {"k": k, "recall": recall, "index": use["index"]}
        figures.record(
            f"vectors.{coll.name}.recall_at_{k}", recall, "ratio", "higher", where=coll.where, samples=per_query
        )
        return check(recall, assertion_operator, assertion_expected, f"recall@{k} of {coll.where}", convert=float)

    @keyword
    def measure_recall_curve(
        self,
        values: Any = DEFAULT_SWEEP,
        k: int = 10,
        queries: int = 100,
        seed: int = 7,
        noise: float = 0.1,
        label: str | None = None,
        collection: str | None = None,
    ) -> list:
        """Sweeps HNSW's search breadth over ``values`` and returns recall@``k`` and latency at each; draws the curve.

        ``values`` (a list, or text such as ``10, 40, 160``) are the search-time breadths:
        pgvector ``hnsw.ef_search``, Qdrant ``hnsw_ef``, Milvus and Chroma ``ef``. For each
        value the same ``queries`` queries (near stored points chosen by ``seed``, moved
        by ``noise``) are searched one at a time and timed, and their top ``k`` compared
        with an exact search of the same data (as in `Get Recall At K`, done once per
        query). Returns one dictionary per value: ``ef``, ``recall``, ``worst_recall``,
        ``p50_ms``, ``p95_ms`` and ``qps`` (queries per second of one client: 1000 / mean ms).

        log.html gets a table and the curve as ann-benchmarks draws it: recall@k across,
        queries per second up (log scale), a point per value; up and to the right is
        better. Curves measured earlier in the same test with the same ``k`` are drawn
        on the same chart, so stores loaded with the same data compare at a glance
        (``label`` names the line; default the store, e.g. ``pgvector``, ``qdrant edge``).
        Each point's recall, p95 and queries per second are recorded as figures
        (``vectors.<collection>.<label>.ef<value>.recall_at_<k>``, ``...search_p95_ms``,
        ``...qps``). Without a vector index every point is exact: the log says so and warns.
        qdrant-client's local mode skips.

        | ${curve} = | `Measure Recall Curve` | 10, 20, 40, 80 | k=10 | queries=50 |
        | Should Be True | ${curve}[-1][recall] >= ${curve}[0][recall] |
        """
        coll = self.ctx.resolve(collection)
        reason = coll.backend.approximate_unsupported
        if reason:
            raise SkipExecution(f"a recall curve on {coll.where}: {reason}")
        sweep = curve.check_values(values)
        if queries < 1:
            raise ConfigurationError(f"queries must be at least 1, got {queries}")
        backend = coll.backend
        name = label or backend.label
        taken = {c[0] for c in self.ctx.curves}
        name = (
            next(f"{name} ({n})" for n in range(1, len(taken) + 2) if f"{name} ({n})" not in taken)
            if name in taken
            else name
        )
        parameter = backend.ef_name
        use = backend.index_use(coll, data.seeded_vectors(1, coll.dimension, seed=99)[0].tolist(), k, False)
        points = curve.measure(coll, sweep, k, queries, seed, noise)
        self.ctx.curves.append((name, k, parameter, points))
        self.ctx.cleanup.add(f"the recall curve of {name} in memory", partial(self._forget_curve, points))
        series = {n: p for n, kk, _, p in self.ctx.curves if kk == k}
        params = {n: par for n, kk, par, _ in self.ctx.curves if kk == k}
        log_html(
            html_table(
                [[p.value, p.recall, p.worst, p.p50_ms, p.p95_ms, p.qps] for p in points],
                [parameter, f"recall@{k}", "worst query", "p50 (ms)", "p95 (ms)", "queries/s"],
                f"recall@{k} and speed of {coll.name} on {backend.describe()} over {len(sweep)} values, "
                f"{queries} queries each; index used: {use['index'] or 'none'}",
            )
            + curve.svg_curves(
                series,
                f"recall@{k} against queries/s ({', '.join(series)})",
                k,
                parameter=params,
            )
        )
        if not use["used"]:
            logger.warn(
                f"recall curve on {coll.where}: the search does not use a vector index, so every point is exact"
            )
        where = f"{coll.where}, {queries} queries"
        for p in points:
            stem = f"vectors.{coll.name}.{_slug(name)}.ef{p.value}"
            figures.record(f"{stem}.recall_at_{k}", p.recall, "ratio", "higher", where=where)
            figures.record(f"{stem}.search_p95_ms", p.p95_ms, "ms", "lower", where=where)
            figures.record(f"{stem}.qps", p.qps, "queries/s", "higher", where=where)
        self.ctx.last["curve"] = {"label": name, "k": k, "points": [p.as_dict() for p in points]}
        return [p.as_dict() for p in points]

    def _forget_curve(self, points) -> None:
        self.ctx.curves = [c for c in self.ctx.curves if c[3] is not points]

    @keyword
    def get_search_latency(
        self,
        statistic: str = "p95",
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        queries: int = 100,
        top: int = 10,
        seed: int = 11,
        warmup: int = 5,
        ef_search: int | None = None,
        collection: str | None = None,
    ) -> float:
        """Runs ``queries`` top-``top`` searches and returns the ``statistic`` of their latency in milliseconds.

        ``statistic`` is one of min, p50, p95, p99, max, mean. The queries are near
        stored points (chosen by ``seed``); ``warmup`` searches run first, untimed.
        Each search is timed around the store call, from this process. A
        percentile table and a histogram (with the expected value as a red target
        line) go to log.html. The expected value is a time with a unit (``50 ms``,
        ``0.05 s``); a bare number is refused before any search runs.

        | `Get Search Latency` | p95 | < | 50 ms |
        | ${p99} = | `Get Search Latency` | p99 | queries=500 |
        """
        statistic = statistic.lower()
        if statistic not in STATISTICS:
            raise ConfigurationError(f"unknown statistic {statistic!r}: use one of {', '.join(STATISTICS)}")
        coll = self.ctx.resolve(collection)
        what = f"{statistic} search latency (ms) of {coll.where}"
        target = time_target(assertion_operator, assertion_expected, what)
        qs = [q.tolist() for q in data.queries_near_points(coll, queries, seed, 0.1)]
        for q in qs[:warmup]:
            coll.backend.search(coll, q, top, ef_search=ef_search)
        times = []
        for q in qs:
            t0 = time.perf_counter()
            coll.backend.search(coll, q, top, ef_search=ef_search)
            times.append((time.perf_counter() - t0) * 1000)
        stats = summary(times)
        figures.record(
            f"vectors.{coll.name}.search_{statistic}_ms", stats[statistic], "ms", "lower", where=what, samples=times
        )
        line, label = chart_target(assertion_operator, target)
        log_distribution(
            times,
            "ms",
            f"top-{top} search latency in {coll.name} ({coll.backend.describe()})",
            target=line,
            target_label=label or "target",
        )
        self.ctx.last["latency"] = stats
        return check(stats[statistic], assertion_operator, assertion_expected if target is None else target, what)

    @keyword
    def get_upsert_throughput(
        self,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        count: int = 2000,
        batch_size: int = 200,
        seed: int = 5,
        keep: bool = False,
        collection: str | None = None,
    ) -> float:
        """Upserts ``count`` seeded points in batches of ``batch_size`` and returns points per second.

        The points get ids ``tput-<i>`` and, unless ``keep=True``, are deleted again
        afterwards, so the collection's data is unchanged. Only the write calls are
        timed. A table and a bar per batch go to log.html.

        | `Get Upsert Throughput` | >= | 1000 |
        | ${rate} = | `Get Upsert Throughput` | count=10000 | batch_size=1000 |
        """
        coll = self.ctx.resolve(collection)
        if not coll.owned:
            raise ConfigurationError(
                f"{coll.where} belongs to the system under test; measure throughput on a collection of your own"
            )
        if count < 1 or batch_size < 1:
            raise ConfigurationError(f"count and batch_size must be at least 1, got {count} and {batch_size}")
        vectors = data.seeded_vectors(count, coll.dimension, seed)
        ids = [f"tput-{i}" for i in range(count)]
        timings = coll.backend.upsert(coll, ids, vectors, [{} for _ in ids], batch_size)
        rate = log_throughput(coll, timings)
        if not keep:
            coll.backend.delete(coll, ids)
        self.ctx.last["throughput"] = {"points_per_s": rate}
        figures.record(f"vectors.{coll.name}.upsert_points_per_s", rate, "points/s", "higher", where=coll.where)
        return check(
            rate, assertion_operator, assertion_expected, f"upsert throughput (points/s) of {coll.where}", convert=float
        )
