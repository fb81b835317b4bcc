"""Message payloads against JSON Schema contracts, one schema per channel."""

from __future__ import annotations

import json
from typing import Any

from robot.api.deco import keyword

from crosscheck.assertions import AssertionOperator, check
from crosscheck.config import mask_url
from crosscheck.contracts.jsonschema_check import SchemaRegistry, format_mismatches, load_folder
from crosscheck.contracts.keywords.context import ContractsContext
from crosscheck.errors import ConfigurationError, CrosscheckError, ServiceUnavailable
from crosscheck.reporting import html_table, log_html


def _as_payload(payload: Any, where: str) -> Any:
    if isinstance(payload, (bytes, bytearray)):
        payload = payload.decode("utf-8", "replace")
    if isinstance(payload, str):
        try:
            return json.loads(payload)
        except json.JSONDecodeError as exc:
            raise CrosscheckError(f"{where} is not JSON: {exc.msg} at character {exc.pos}.") from None
    return payload


class PayloadKeywords:
    def __init__(self, ctx: ContractsContext):
        self.ctx = ctx

    @keyword
    def load_message_contracts(self, folder: str) -> list[str]:
        """Loads one JSON Schema per channel from ``folder`` (files named ``<channel>.json``).

        Returns the channel names. Contracts loaded earlier stay unless replaced.

        | ${channels} =    Load Message Contracts    ${DEMO}/contracts
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
            raise CrosscheckError(f"No contract for channel(s) {', '.join(missing)}; loaded: "
                                  f"{', '.join(self.ctx.messages.names()) or 'none'}.")

    @keyword
    def get_payload_mismatches(self, channel: str, payload: Any,
                               assertion_operator: AssertionOperator | None = None,
                               assertion_expected: Any = None) -> list[str]:
        """Returns every difference between ``payload`` (dict or JSON text) and the channel's contract.

        | ${problems} =    Get Payload Mismatches    tickstock.universe.updated    ${message}
        """
        data = _as_payload(payload, f"Payload on '{channel}'")
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
        data = _as_payload(payload, f"Payload on '{channel}'")
        self.ctx.messages.check(channel, data)

    @keyword
    def stream_payloads_should_match_contract(self, channel: str, count: int = 10, min_count: int = 1,
                                              redis_url: str | None = None, stream: str | None = None,
                                              field: str = "payload") -> int:
        """Validates the latest ``count`` entries of the channel's stream against its contract.

        Reads ``stream`` (default ``stream:<channel>``) newest first, takes the
        JSON in ``field`` of each entry and checks it against the contract of
        ``channel``. Fails if fewer than ``min_count`` entries exist, or on the
        first entry id with mismatches (all of its mismatches listed, with the
        number of other bad entries). Returns the number of entries checked.

        ``redis_url`` defaults to the configured or embedded Redis.

        | Stream Payloads Should Match Contract    tickstock.universe.updated    count=20
        """
        import redis

        from crosscheck import stack

        url = redis_url or stack.redis_url()
        stream = stream or f"stream:{channel}"
        schema_check = self.ctx.messages  # fail early on a missing contract
        schema_check.schema(channel)
        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=10)
        try:
            entries = client.xrevrange(stream, count=count)
        except redis.ConnectionError:
            raise ServiceUnavailable(f"Cannot reach Redis at {mask_url(url)}: check CROSSCHECK_REDIS_URL "
                                     "or that the server is running.") from None
        finally:
            client.close()
        if len(entries) < min_count:
            raise CrosscheckError(f"Stream '{stream}' has {len(entries)} entries, expected at least {min_count}.")
        bad: list[tuple[str, list]] = []
        for entry_id, fields in entries:
            entry_id = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
            raw = fields.get(field.encode()) if field.encode() in fields else fields.get(field)
            where = f"Entry {entry_id} of '{stream}'"
            if raw is None:
                bad.append((where, [f"field '{field}' missing; fields: {sorted(k.decode() for k in fields)}"]))
                continue
            try:
                data = _as_payload(raw, where)
            except CrosscheckError as exc:
                bad.append((where, [str(exc)]))
                continue
            mismatches = schema_check.validate(channel, data)
            if mismatches:
                bad.append((where, mismatches))
        rows = [[len(entries), len(entries) - len(bad), len(bad)]]
        log_html(html_table(rows, ["entries", "valid", "invalid"], f"Stream '{stream}' vs contract '{channel}'"))
        if bad:
            where, problems = bad[0]
            others = f" ({len(bad) - 1} more invalid entries)" if len(bad) > 1 else ""
            if problems and isinstance(problems[0], str):
                raise CrosscheckError(f"{where}: {problems[0]}{others}")
            raise CrosscheckError(format_mismatches(problems, where) + others)
        return len(entries)


__all__ = ["PayloadKeywords", "SchemaRegistry"]
