"""State shared by the Metrics keyword components: the default URL and the last scrape.

Metrics creates nothing in any service: it scrapes endpoints and reads process figures,
so ``cleanup`` never holds an action of its own.
"""

from __future__ import annotations

from crosscheck.core import Cleanup
from crosscheck.metrics.scrape import Snapshot, scrape


class MetricsContext:
    cleanup: Cleanup  # given by CrosscheckLibrary

    def __init__(self, url: str | None = None) -> None:
        self._url = url
        self.last: Snapshot | None = None

    @property
    def url(self) -> str:
        if self._url:
            return self._url
        from crosscheck.services import api

        return api.url().rstrip("/") + "/metrics"

    @url.setter
    def url(self, value: str | None) -> None:
        self._url = value

    def scrape(self, url: str | None = None, openmetrics: bool = False) -> Snapshot:
        self.last = scrape(url or self.url, openmetrics=openmetrics)
        return self.last

    def snapshot(self, snapshot: Snapshot | None) -> Snapshot:
        """The given snapshot, else a fresh scrape of the default URL."""
        if isinstance(snapshot, Snapshot):
            return snapshot
        if snapshot is not None:
            return self.scrape(str(snapshot))
        return self.scrape()
