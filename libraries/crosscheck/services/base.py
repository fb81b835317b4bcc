"""What every service module shares: URL resolution, the skip rule, one wording for failures."""

from __future__ import annotations

import os
import re

from crosscheck import config
from crosscheck.errors import ConfigurationError, ServiceUnavailable

PROBE_TIMEOUT = 3.0

# What a failure to connect says about its cause, read from the client's own message.
_CAUSES = (
    (
        re.compile(
            r"password authentication failed|WRONGPASS|invalid (username-)?password|NOAUTH|"
            r"Authentication required|auth(entication)? failed",
            re.I,
        ),
        "rejected the credentials",
        "fix the user or password in {env}",
    ),
    (
        re.compile(r'database "[^"]*" does not exist|invalid DB index|DB index is out of range', re.I),
        "has no such database",
        "create it, or fix the database in {env}",
    ),
    (
        re.compile(
            r"could not translate host name|Name or service not known|nodename nor servname|"
            r"Temporary failure in name resolution|getaddrinfo failed|No address associated",
            re.I,
        ),
        "cannot be found (the host name does not resolve)",
        "fix the host in {env}",
    ),
    (
        re.compile(r"timed? ?out|timeout", re.I),
        "did not answer in time",
        "check that it is up and reachable from here, or fix {env}",
    ),
    (
        re.compile(r"Connection refused|Errno 111|No such file or directory|Errno 2\b", re.I),
        "refused the connection (nothing listens there)",
        "start it, or fix {env}{unset}",
    ),
)


class Service:
    """A service crosscheck connects to. Subclasses set the class attributes and ``version``."""

    name = ""  # "redis"
    title = ""  # "Redis"
    env = ""  # "CROSSCHECK_REDIS_URL"
    embedded = False  # the embedded stack can run it when it is not configured
    require_env = ""  # set to 1, a skip of this service fails instead (CI that must test it)
    unset_address = ""  # what stands in when it is not configured and not embedded ("qdrant-client local mode")
    unset_mode = ""  # that stand-in's mode, for `crosscheck status` ("local")

    def configured(self) -> str | None:
        """The URL the environment gives, or None."""
        return config.configured(self.name)

    def url(self) -> str:
        """The configured URL, else the embedded one (the stack starts on first use)."""
        configured = self.configured()
        if configured:
            return configured
        if not self.embedded:
            raise self.skip(f"{self.title} is not configured: set {self.env}")
        from crosscheck.stack.api import embedded_url

        return embedded_url(self.name)

    def describe(self, url: str | None = None) -> str:
        """``Redis at redis://:***@host:6379/0``: the address, password masked."""
        return f"{self.title} at {config.mask_url(url or self.url())}"

    def skip(self, reason: str) -> BaseException:
        """The exception for a service that is not configured and cannot be had here.

        A skip, never a pass; where ``require_env`` is set to 1 (CI that must test this
        service) a failure instead, so a run cannot go green by skipping it.
        """
        if self.require_env and os.environ.get(self.require_env) == "1":
            return ServiceUnavailable(f"{reason} ({self.require_env}=1, so this fails instead of skipping)")
        from robot.api import SkipExecution

        return SkipExecution(reason)

    def unreachable(self, url: str, exc: BaseException | str) -> ServiceUnavailable:
        """One line for a failed connection: where (masked), the cause as far as it is known, the fix."""
        text = str(exc).strip()
        detail = config.scrub(text.splitlines()[0] if text else type(exc).__name__, url)
        unset = f" (unset it to use the embedded {self.title})" if self.embedded and self.configured() else ""
        for pattern, what, fix in _CAUSES:
            if pattern.search(text):
                return ServiceUnavailable(
                    f"{self.describe(url)} {what} ({detail}): " + fix.format(env=self.env, unset=unset)
                )
        return ServiceUnavailable(f"{self.describe(url)} is unreachable ({detail}): start it, or fix {self.env}{unset}")

    def malformed(self, url: str, exc: BaseException | str, expected: str) -> ConfigurationError:
        return ConfigurationError(
            f"{self.title} URL {config.mask_url(url)!r} is malformed ({config.scrub(str(exc), url)}); expected {expected}"
        )

    def version(self, url: str) -> str:  # pragma: no cover - every service overrides it
        raise NotImplementedError

    def doctor(self) -> list[str]:
        """Problems with this service, one line each with its fix (for ``crosscheck doctor``)."""
        url = self.configured()
        if not url:
            return []
        try:
            self.version(url)
        except Exception as exc:  # noqa: BLE001 - each problem becomes one line
            return [f"{self.name}: {exc}"]
        return []
