"""The crosscheck.Metrics library class."""

from __future__ import annotations

from crosscheck.core import CrosscheckLibrary
from crosscheck.metrics.context import MetricsContext
from crosscheck.metrics.keywords.histograms import HistogramKeywords
from crosscheck.metrics.keywords.processes import ProcessKeywords
from crosscheck.metrics.keywords.scraping import ScrapingKeywords
from crosscheck.metrics.keywords.values import ValueKeywords


class Metrics(CrosscheckLibrary):
    """Metrics checks what a service reports on its Prometheus ``/metrics`` endpoint.

    = Scraping =
    `Scrape Metrics` fetches and parses the endpoint (Prometheus text format,
    or OpenMetrics by content type) with ``prometheus_client``'s parsers and
    returns a snapshot. Keywords that take ``snapshot`` scrape afresh when it
    is omitted. The default endpoint is the demo API's ``/metrics``; change it
    with the ``url`` import argument or `Set Metrics URL`.

    = Series and labels =
    A metric is named by its family (``demo_http_requests``) or a sample name
    (``demo_http_requests_total``), optionally with a selector read as PromQL reads
    it: ``demo_http_requests_total{route="/health",status=~"2.."}`` selects every
    series whose labels match (``=``, ``!=``, ``=~``, ``!~``; PromQL's escapes in
    values; regular expressions in RE2 syntax, anchored at both ends; a label a series
    lacks counts as ``""``; names with other characters quoted inside the braces,
    ``{"my.metric", "label.name"="x"}``); values of the selected series
    are summed, as PromQL's ``sum()`` would. A summary's quantile is read where the
    selector names one (``rpc_duration_seconds{quantile="0.99"}``).

    | ${before} =    Scrape Metrics
    | GET On Session    demo    /health
    | Get Counter Increase    demo_http_requests_total{route="/health"}    ${before}    ==    1
    | Get Histogram Quantile    0.95    demo_http_request_duration_seconds{route="/health"}    <    100 ms    since=${before}
    | Wait Until Metric Reaches    demo_db_pool_in_use    ==    0

    = Times =
    A time-valued assertion target (the expected value of a latency, duration or
    recovery-time getter) must carry a unit: ``100 ms``, ``0.2 s``, ``1 min``, or a
    ``timedelta``. A bare number such as ``0.2`` or ``50`` is refused, because it could
    mean seconds or milliseconds: the failure names the figure, the value given and
    the fix (``Expected value '0.2' for p95 delivery latency ... has no unit: write it
    as '0.2 ms' or '0.2 s'.``). Arguments that are not assertion targets
    (``timeout=``, ``block=``, ``hold=``, ``duration=``) follow Robot Framework's own
    time format, where a bare number means seconds.

    A histogram whose name ends in ``_seconds`` or ``_milliseconds`` measures time:
    `Get Histogram Quantile` takes ``100 ms`` or ``0.1 s`` there and refuses ``0.1``.
    Other series compare with plain numbers in their own unit (bytes, counts).

    = Processes =
    `Get Process Usage` reads CPU, memory, threads and connections of the
    processes serving a local endpoint (psutil), e.g. the API's workers.

    = Assertions =
    Getters take AssertionEngine's operator and expected value; the failure
    names the series and the endpoint.

    = Cleanup =
    Metrics creates nothing: it scrapes endpoints and reads figures of local
    processes, so it has nothing to undo at the end of a test.
    """

    COMPONENTS = (ScrapingKeywords, ValueKeywords, HistogramKeywords, ProcessKeywords)

    def __init__(self, url: str | None = None) -> None:
        """``url`` is the endpoint to scrape by default (the demo API's ``/metrics`` when omitted)."""
        super().__init__(MetricsContext(url))
