"""The users of a load run: the target, the requests they send, or the suite's own locustfile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from crosscheck.config import mask_url
from crosscheck.core import Component
from crosscheck.load.context import LoadContext
from crosscheck.load.runner import check_locustfile
from crosscheck.load.users import make_request

_NO_BODY = object()


class UserKeywords(Component[LoadContext]):
    @keyword
    def set_load_target(self, url: str) -> None:
        """Sets the base URL the requests' paths are relative to (an http or https URL).

        | Set Load Target    http://127.0.0.1:8000
        """
        self.ctx.url = url
        logger.info(f"Load target: {mask_url(self.ctx.url)}")

    @keyword
    def add_load_request(
        self,
        method: str,
        path: str,
        weight: int = 1,
        name: str | None = None,
        headers: dict | None = None,
        json: Any = _NO_BODY,
    ) -> None:
        """Adds a request the users send: ``method`` on ``path`` (relative to the target) or a full URL.

        Each user chooses its next request by ``weight`` (relative to the others').
        ``name`` groups requests in the figures (default: the path), so
        ``GET /v1/universes/${name}`` can be named ``GET universe``. ``headers`` is a
        dictionary; ``json`` a body sent as JSON. A response with status 400 or more,
        or no response, counts as a failure.

        | Add Load Request    GET    /health    weight=10
        | Add Load Request    POST    /v1/search    weight=2    name=POST /v1/search    headers=${auth}    json=${body}
        """
        request = make_request(
            method, path, weight, name, headers, None if json is _NO_BODY else json, json is not _NO_BODY
        )
        self.ctx.requests.append(request)
        logger.info(
            f"Load request {request.method} {mask_url(request.url)} as {request.name!r}, weight {request.weight}"
        )

    @keyword
    def clear_load_requests(self) -> None:
        """Forgets the requests added so far and any locustfile given with `Use Locustfile`."""
        self.ctx.requests = []
        self.ctx.locustfile = None

    @keyword
    def use_locustfile(self, path: str) -> list[str]:
        """Runs the ``User`` classes of your own locustfile instead of the requests added with `Add Load Request`.

        The file is imported by ``locust --list`` in a child process first: a file that does not
        import, or defines no ``User`` class, fails here, before any load starts. Returns the
        names of its user classes. Its requests are recorded like any other; the stages come
        from `Run Load Stages` (a ``LoadTestShape`` of its own is not used).

        | Use Locustfile    ${CURDIR}/locustfile.py
        """
        file = Path(path).resolve()
        classes = check_locustfile(file)
        self.ctx.locustfile = str(file)
        logger.info(f"Locustfile {file}: user classes {', '.join(classes)}")
        return classes
