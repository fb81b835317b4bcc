"""State shared by the Load keyword components: the target, the described users, the last run.

Load creates no data of its own in any service; what it starts are the Locust processes of a
run, whose kill is registered with ``cleanup`` before they start.
"""

from __future__ import annotations

from crosscheck.core import Cleanup
from crosscheck.errors import CrosscheckError
from crosscheck.load.result import LoadResult
from crosscheck.load.users import LoadRequest, check_url


class LoadContext:
    cleanup: Cleanup  # given by CrosscheckLibrary

    def __init__(self, url: str | None = None) -> None:
        self._url = check_url(url, "Load target") if url else None
        self.requests: list[LoadRequest] = []
        self.locustfile: str | None = None
        self.last: LoadResult | None = None

    @property
    def url(self) -> str:
        """The load target: set by the import argument or `Set Load Target`, else the API under test."""
        if self._url:
            return self._url
        from crosscheck.services import api

        return check_url(api.url(), "Load target")

    @url.setter
    def url(self, value: str | None) -> None:
        self._url = check_url(value, "Load target") if value else None

    def result(self) -> LoadResult:
        if self.last is None:
            raise CrosscheckError("No load run yet: run `Run Load Stages` before reading its figures.")
        return self.last
