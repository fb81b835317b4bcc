"""crosscheck.Metrics: Prometheus ``/metrics`` assertions.

``promql`` (histogram_quantile, counter increase) and ``scrape`` (fetch and
parse) import without Robot Framework.
"""


def __getattr__(name):
    if name == "Metrics":
        from crosscheck.metrics.library import Metrics
        return Metrics
    raise AttributeError(f"module 'crosscheck.metrics' has no attribute {name!r}")


__all__ = ["Metrics"]
