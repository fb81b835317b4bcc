"""crosscheck.Metrics: Prometheus ``/metrics`` assertions (see ``library.py`` and docs/metrics.md).

``promql`` (histogram_quantile, counter increase), ``scrape`` (fetch and parse) and
``processes`` (psutil figures) import without Robot Framework.
"""


def __getattr__(name):
    if name == "Metrics":
        from crosscheck.metrics.library import Metrics

        return Metrics
    raise AttributeError(f"module 'crosscheck.metrics' has no attribute {name!r}")


__all__ = ["Metrics"]
