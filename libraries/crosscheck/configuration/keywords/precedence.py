"""Precedence: the highest layer that sets a key wins, checked layer by layer."""

from __future__ import annotations

from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from crosscheck.configuration.context import ConfigurationContext
from crosscheck.configuration.keywords.common import as_list
from crosscheck.configuration.layers import Layer, parse_order
from crosscheck.configuration.loader import Setting, execute
from crosscheck.configuration.precedence import Row, derive_values, failure, text, winner
from crosscheck.configuration.report import describe, shown_value
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.reporting import html_table, log_html


class PrecedenceKeywords(Component[ConfigurationContext]):
    @keyword
    def configuration_precedence_should_be(
        self,
        name: str,
        key: str,
        order: str | list[str] | None = None,
        values: str | list[Any] | None = None,
        env: str | None = None,
    ) -> None:
        """Fails unless, for ``key``, each layer of ``order`` wins over every layer below it.

        ``order`` names the layers lowest first, separated by ``<``
        (``defaults < file < environment-file < dotenv < environment < command-line``); the
        registered order when omitted. Row 1 sets nothing (the default); row ``i`` sets a
        different, recognisable value at layers ``1..i`` at once, and the loader must end with the
        value of layer ``i``. ``values`` gives one value per layer above ``defaults``; otherwise
        they are made from the default's type (integers count up from it, strings name their
        layer, booleans alternate). The matrix (layer, value set and where, value seen, the
        source the loader reported, expected winner, verdict) goes to the log.

        Every row that fails is named: ``environment (GATEWAY_PORT=8085) did not win over dotenv:
        the loader ended with port=8084``.

        | Configuration Precedence Should Be    app    port
        | Configuration Precedence Should Be    app    port    defaults < file < environment-file < dotenv < environment < command-line
        | Configuration Precedence Should Be    app    log_level    file < environment    values=info, warning
        """
        loader = self.ctx.loader(name)
        names = parse_order(order) if order else [layer.name for layer in loader.layers]
        layers = [loader.layer(n) for n in names]
        if any(layer.kind == "defaults" for layer in layers[1:]):
            raise ConfigurationError(f"defaults is the lowest layer: write it first in {' < '.join(names)}.")
        settable = [layer for layer in layers if layer.kind != "defaults"]
        if not settable:
            raise ConfigurationError(
                f"the order {' < '.join(names)} has no layer that sets a value: nothing to compare."
            )
        with self.ctx.workspace(name) as ws:
            # the key is taken out of every file layer the row does not set, so that the copy's
            # own files (an environment file that sets it, say) do not take part, and out of the
            # environment (a variable the registration sets for every run)
            def clear(above: list[Layer]) -> list[Setting]:
                kinds = ("file", "dotenv", "environment")
                return [Setting(layer, key, remove=True) for layer in above if layer.kind in kinds]

            base = self.ctx.run(loader, ws, f"{name}: {key} set nowhere", env=env, settings=clear(loader.layers))
            found, default = base.value(key) if base.loaded else (False, None)
            if not found and values is None:
                as_is = self.ctx.load(loader, ws, f"{name}: {key} as its files set it", env=env)
                found_as_is, typical = as_is.value(key)
                default = typical if found_as_is else None
            given = as_list(values) if isinstance(values, str) else values
            layer_names = [layer.name for layer in settable]
            chosen = list(given) if given is not None else derive_values(default, layer_names, key)
            if len(chosen) != len(settable):
                raise ConfigurationError(
                    f"values= gives {len(chosen)} values for {len(settable)} layers ({', '.join(layer_names)})."
                )
            rows = [Row("defaults", "nothing set", default, default, found, base.source(key))]
            if not base.loaded:
                rows[0].set_how = f"nothing set; the loader refused: {base.problem}"
            for i, layer in enumerate(settable):
                unset = [other for other in loader.layers if other not in settable[: i + 1]]
                settings = clear(unset) + [Setting(settable[j], key, chosen[j]) for j in range(i + 1)]
                inv = loader.prepare(ws, env, settings)
                result = execute(inv)
                logger.info(f"row {i + 2} ({layer.name} and below set): {describe(inv)} -> exit {result.rc}")
                row = Row(layer.name, inv.where.get((layer.name, key), layer.spec), chosen[i])
                if result.loaded:
                    row.found, row.seen = result.value(key)
                    row.source = result.source(key)
                else:
                    row.error = result.problem
                rows.append(row)
        table = []
        for row in rows:
            seen = shown_value(key, row.seen) if row.found else ("(loader failed)" if row.error else "(absent)")
            if row is rows[0]:
                verdict, expected = "default", "defaults"
            else:
                expected = row.layer
                verdict = "PASS" if row.ok else f"FAIL: {winner(row, rows, default)} won"
            table.append(
                [row.layer, f"{shown_value(key, row.value)} ({row.set_how})", seen, row.source or "", expected, verdict]
            )
        log_html(
            html_table(
                table,
                ["layer", "value set", "value seen", "source reported", "expected winner", "verdict"],
                f"Precedence of {key} in {name}: {' < '.join(names)}",
            )
        )
        failures = [failure(row, rows, key, default) for row in rows[1:] if not row.ok]
        if failures:
            raise CrosscheckError(f"precedence of {key} in {name} is not {' < '.join(names)}: " + "; ".join(failures))
        logger.info(f"{key}: each of {len(settable)} layers wins over the ones below it ({text(default)} by default)")
