"""Isolation: a variable meant for another system does not change this one's configuration."""

from __future__ import annotations

from robot.api import logger
from robot.api.deco import keyword

from crosscheck.configuration.context import ConfigurationContext
from crosscheck.configuration.keywords.common import assignments
from crosscheck.configuration.report import shown_value
from crosscheck.configuration.rules import ABSENT, diff
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.reporting import html_table, log_html


class IsolationKeywords(Component[ConfigurationContext]):
    @keyword
    def variable_should_not_change_configuration(
        self, name: str, *variables: str, env: str | None = None, **named: str
    ) -> None:
        """Fails if setting the given environment variables changes the effective configuration of ``name``.

        Variables are written ``NAME=value`` (``CONSUMER_PORT=9``: another system's variable).
        The configuration is loaded without and with them; the failure lists every key that
        changed, before and after, and the source the loader gave.

        | Variable Should Not Change Configuration    app    CONSUMER_PORT=9
        | Variable Should Not Change Configuration    app    PRODUCER_DEBUG=true    PORT=1
        """
        given = assignments(variables, named)
        if not given:
            raise ConfigurationError("give at least one variable: NAME=value.")
        loader = self.ctx.loader(name)
        ours = [v for v in given if loader.prefix and v.startswith(loader.prefix)]
        if ours:
            logger.warn(
                f"{', '.join(ours)} start with {name}'s own prefix {loader.prefix}: it may well change its configuration"
            )
        with self.ctx.workspace(name) as ws:
            before = self.ctx.load(loader, ws, f"{name} without the variables", env=env)
            after = self.ctx.load(loader, ws, f"{name} with {', '.join(given)}", env=env, environment=given)
        changed = diff(before.flat(), after.flat())
        rows = [
            [
                k,
                "(absent)" if a is ABSENT else shown_value(k, a),
                "(absent)" if b is ABSENT else shown_value(k, b),
                after.source(k) or "",
            ]
            for k, a, b in changed
        ]
        shown = ", ".join(f"{k}={shown_value(k, v)}" for k, v in given.items())
        log_html(html_table(rows, ["key", "without", "with", "source"], f"Keys of {name} changed by {shown}"))
        if changed:
            listed = "; ".join(
                f"{k}: {row[1]} -> {row[2]}" + (f" (source: {row[3]})" if row[3] else "")
                for (k, _, _), row in zip(changed, rows)
            )
            raise CrosscheckError(
                f"{shown} changed the configuration of {name} ({len(changed)} key{'s' if len(changed) != 1 else ''}): {listed}"
            )
        logger.info(f"{shown} left all {len(before.flat())} keys of {name} as they were")
