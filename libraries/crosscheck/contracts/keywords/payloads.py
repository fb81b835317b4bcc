"""Message payloads against JSON Schema contracts, one schema per channel."""

from __future__ import annotations

from typing import Any

from robot.api.deco import keyword

from crosscheck.assertions import AssertionOperator, check
from crosscheck.contracts.context import ContractsContext
from crosscheck.contracts.jsonschema_check import format_mismatches, load_folder
from crosscheck.contracts.payloads import as_payload, invalid_entries, read_stream
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.reporting import html_table, log_html


class PayloadKeywords(Component[ContractsContext]):
    @keyword
    def load_message_contracts(self, folder: str) -> list[str]:
        """Loads one JSON Schema per channel from ``folder`` (files named ``<channel>.json``).

        Returns the channel names. Contracts loaded earlier stay unless replaced.

        | ${channels} =    Load Message Contracts    ${DEMO}/shared/demo_shared/schemas
        """
        schemas = load_folder(folder)
        if not schemas:
            raise ConfigurationError(f"No '<channel>.json' contract files in '{folder}'.")
        for name, schema in schemas.items():
            self.ctx.messages.add(name, schema)
        self.ctx.messages.source = str(folder)
        log_html(html_table([[n] for n in sorted(schemas)], ["channel"], f"Message contracts from {folder}"))
        return sorted(schemas)

    @keyword
    def channels_should_have_contracts(self, *channels: str) -> None:
        """Fails if any of ``channels`` has no loaded contract.

        | Channels Should Have Contracts    @{ALL_CHANNELS}
        """
        missing = [c for c in channels if c not in self.ctx.messages]
        if missing:
            raise CrosscheckError(
                f"No contract for channel(s) {', '.join(missing)}; loaded: "
                f"{', '.join(self.ctx.messages.names()) or 'none'}."
            )

    @keyword
    def get_payload_mismatches(
        self,
        channel: str,
        payload: Any,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
    ) -> list[str]:
        """Returns every difference between ``payload`` (dict or JSON text) and the channel's contract.

        | ${problems} =    Get Payload Mismatches    tickstock.universe.updated    ${message}
        """
        data = as_payload(payload, f"Payload on '{channel}'")
        found = [str(m) for m in self.ctx.messages.validate(channel, data)]
        return check(found, assertion_operator, assertion_expected, f"Payload mismatches on '{channel}'")

    @keyword
    def payload_should_match_contract(self, channel: str, payload: Any) -> None:
        """Fails unless ``payload`` (dict or JSON text) matches the contract of ``channel``.

        The failure names every mismatch with its JSON path, expected and actual:
        ``Payload on 'tickstock.universe.updated' does not match its contract:
        1 mismatch: $.count: expected type "integer", got "3"``.

        | Payload Should Match Contract    tickstock.universe.updated    ${message}
        """
        data = as_payload(payload, f"Payload on '{channel}'")
        self.ctx.messages.check(channel, data)

    @keyword
    def stream_payloads_should_match_contract(
        self,
        channel: str,
        count: int = 10,
        min_count: int = 1,
        redis_url: str | None = None,
        stream: str | None = None,
        field: str = "payload",
    ) -> int:
        """Validates the latest ``count`` entries of the channel's stream against its contract.

        Reads ``stream`` (default ``stream:<channel>``) newest first, takes the
        JSON in ``field`` of each entry and checks it against the contract of
        ``channel``. Fails if fewer than ``min_count`` entries exist, or on the
        first entry id with mismatches (all of its mismatches listed, with the
        number of other bad entries). Returns the number of entries checked.

        ``redis_url`` defaults to the configured or embedded Redis.

        | Stream Payloads Should Match Contract    tickstock.universe.updated    count=20
        """
        stream = stream or f"stream:{channel}"
        self.ctx.messages.schema(channel)  # fail early on a missing contract
        entries = read_stream(stream, count, redis_url)
        if len(entries) < min_count:
            raise CrosscheckError(f"Stream '{stream}' has {len(entries)} entries, expected at least {min_count}.")
        bad = invalid_entries(entries, self.ctx.messages, channel, stream, field)
        rows = [[len(entries), len(entries) - len(bad), len(bad)]]
        log_html(html_table(rows, ["entries", "valid", "invalid"], f"Stream '{stream}' vs contract '{channel}'"))
        if bad:
            where, problems = bad[0]
            others = f" ({len(bad) - 1} more invalid entries)" if len(bad) > 1 else ""
            if problems and isinstance(problems[0], str):
                raise CrosscheckError(f"{where}: {problems[0]}{others}")
            raise CrosscheckError(format_mismatches(problems, where) + others)
        return len(entries)
