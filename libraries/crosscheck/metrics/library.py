"""The crosscheck.Metrics library class."""

from __future__ import annotations

from robotlibcore import DynamicCore

from crosscheck import __version__
from crosscheck.metrics.keywords.context import MetricsContext
from crosscheck.metrics.keywords.histograms import HistogramKeywords
from crosscheck.metrics.keywords.processes import ProcessKeywords
from crosscheck.metrics.keywords.scraping import ScrapingKeywords
from crosscheck.metrics.keywords.values import ValueKeywords


class Metrics(DynamicCore):
    """Metrics checks what a service reports on its Prometheus ``/metrics`` endpoint.

    = Scraping =
    `Scrape Metrics` fetches and parses the endpoint (Prometheus text format,
    or OpenMetrics by content type) with ``prometheus_client``'s parsers and
    returns a snapshot. Keywords that take ``snapshot`` scrape afresh when it
    is omitted. The default endpoint is the demo API's ``/metrics``; change it
    with the ``url`` import argument or `Set Metrics URL`.

    = Series and labels =
    A metric is named by its family (``demo_http_requests``) or a sample name
    (``demo_http_requests_total``), optionally with labels as in PromQL:
    ``demo_http_requests_total{route="/health",status="200"}`` selects every
    series that has those labels; values of the selected series are summed,
    as PromQL's ``sum()`` would.

    | ${before} =    Scrape Metrics
    | GET On Session    demo    /health
    | Get Counter Increase    demo_http_requests_total{route="/health"}    ${before}    ==    1
    | Get Histogram Quantile    0.95    demo_http_request_duration_seconds    <    0.1
    | Wait Until Metric Reaches    demo_db_pool_in_use    ==    0

    = Processes =
    `Get Process Usage` reads CPU, memory, threads and connections of the
    processes serving a local endpoint (psutil), e.g. the API's workers.

    = Assertions =
    Getters take AssertionEngine's operator and expected value; the failure
    names the series and the endpoint.
    """

    ROBOT_LIBRARY_SCOPE = "GLOBAL"
    ROBOT_LIBRARY_VERSION = __version__
    ROBOT_LIBRARY_DOC_FORMAT = "ROBOT"

    def __init__(self, url: str | None = None):
        """``url`` is the endpoint to scrape by default (the demo API's ``/metrics`` when omitted)."""
        ctx = MetricsContext(url)
        self._ctx = ctx
        super().__init__([ScrapingKeywords(ctx), ValueKeywords(ctx), HistogramKeywords(ctx),
                          ProcessKeywords()])
