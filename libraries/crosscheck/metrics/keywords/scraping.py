"""Scraping an endpoint and checking that metrics exist."""

from __future__ import annotations

from robot.api.deco import keyword

from crosscheck.config import mask_url
from crosscheck.core import Component
from crosscheck.errors import CrosscheckError
from crosscheck.metrics.context import MetricsContext
from crosscheck.metrics.scrape import Snapshot
from crosscheck.reporting import html_table, log_html


class ScrapingKeywords(Component[MetricsContext]):
    @keyword("Set Metrics URL")
    def set_metrics_url(self, url: str) -> None:
        """Sets the endpoint the other keywords scrape when no snapshot or URL is given.

        The default is the demo API's ``/metrics`` (``crosscheck.services.api.url()``).

        | Set Metrics URL    ${API_URL}/metrics
        """
        self.ctx.url = url

    @keyword
    def scrape_metrics(self, url: str | None = None, openmetrics: bool = False) -> Snapshot:
        """Scrapes a Prometheus endpoint and returns the parsed snapshot.

        Parsed with ``prometheus_client``'s text parser, or its OpenMetrics
        parser when the response's content type is ``application/openmetrics-text``
        (ask for it with ``openmetrics=True``). Keep the snapshot to compare
        with a later one in `Get Counter Increase`.

        | ${before} =    Scrape Metrics
        | ${om} =    Scrape Metrics    ${API_URL}/metrics    openmetrics=True
        """
        snap = self.ctx.scrape(url, openmetrics)
        rows = [[fam.name, fam.type, len(fam.samples)] for fam in snap.families.values()]
        log_html(
            html_table(
                rows,
                ["metric", "type", "samples"],
                f"Scrape of {mask_url(snap.url)} ({snap.content_type.split(';')[0]})",
            )
        )
        return snap

    @keyword
    def metric_should_exist(
        self, name: str, type: str | None = None, help: str | None = None, snapshot: Snapshot | None = None
    ) -> None:
        """Fails unless metric ``name`` is exposed, with ``type`` and ``help`` when given.

        ``name`` is the family name or a sample name (``x_total``, ``x_bucket``).
        ``snapshot`` is a `Scrape Metrics` result or a URL; a fresh scrape of
        the default URL when omitted.

        | Metric Should Exist    demo_http_requests_total    type=counter
        | Metric Should Exist    demo_db_pool_in_use    type=gauge    help=Postgres connections lent out.
        """
        snap = self.ctx.snapshot(snapshot)
        fam = snap.require_family(name)
        where = f"Metric '{fam.name}' at {mask_url(snap.url)}"
        if type is not None and fam.type != type.lower():
            raise CrosscheckError(f"{where} has type '{fam.type}', expected '{type.lower()}'.")
        if help is not None and fam.documentation.strip() != help.strip():
            raise CrosscheckError(f"{where} has help '{fam.documentation}', expected '{help}'.")
