"""Message contracts, the logic: which schema applies to a channel, and which messages break it.

The checking itself is the one JSON Schema checker of crosscheck,
:mod:`crosscheck.contracts.jsonschema_check` (also used by crosscheck.Contracts);
this module only finds the schema for a channel and words the findings per message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from crosscheck.contracts.jsonschema_check import SchemaRegistry, check, validate
from crosscheck.errors import ConfigurationError, CrosscheckError

MISMATCHES_SHOWN = 5
CHANNEL_RE = re.compile(r"^cc_\d+_\d+(_[a-z0-9_]+)?\.")


def base_channel(channel: str) -> str:
    """``tickstock.universe.updated`` from ``cc_12_3_x.tickstock.universe.updated``."""
    return CHANNEL_RE.sub("", channel, count=1)


def schema_for(registry: SchemaRegistry, channel: str, schema: str | None = None) -> tuple[str, Mapping]:
    """The schema named ``schema``, else the channel's, else its base channel's (a test channel's)."""
    for name in (schema, channel, base_channel(channel)):
        if name and name in registry:
            return name, registry.schema(name)
    known = ", ".join(registry.names()) or "none loaded"
    raise ConfigurationError(
        f"No schema for channel {channel!r} (known: {known}); use 'Load Channel Schemas' or 'Set Channel Schema'."
    )


def check_message(registry: SchemaRegistry, message: Any, channel: str | None, schema: str | None) -> None:
    """Validate one message (a received message's dictionary, JSON text, or a parsed payload)."""
    payload = message
    if isinstance(message, dict) and "data" in message and "channel" in message:
        channel = channel or message["channel"]
        payload = message["data"]
    if channel is None and schema is None:
        raise ConfigurationError("Give the channel (or schema) to validate the message against.")
    name, contract = schema_for(registry, channel or schema or "", schema)
    where = channel or name
    if isinstance(payload, (str, bytes)):
        try:
            payload = json.loads(payload)
        except ValueError as exc:
            text = payload if isinstance(payload, str) else repr(payload)
            raise CrosscheckError(f"Message on channel {where!r} is not JSON ({exc}): {text[:200]!r}") from None
    check(payload, contract, f"Message on channel {where!r} (schema {name!r})")


def contract_breaks(registry: SchemaRegistry, messages: Iterable[Any], schema: str | None, seq_field: str) -> list[str]:
    """One line per received message that is not JSON or does not match its channel's schema."""
    bad = []
    for m in messages:
        _, contract = schema_for(registry, m.channel, schema)
        if not m.is_json:
            bad.append(f"#{m.index} on {m.channel!r} is not JSON ({m.json_error}): {m.short(80)}")
            continue
        mismatches = validate(m.payload, contract)
        if mismatches:
            seq = m.payload.get(seq_field) if isinstance(m.payload, dict) else None
            label = f"#{m.index}" + (f" (seq {seq})" if seq is not None else "")
            bad.append(f"{label} on {m.channel!r}: " + ", ".join(str(x) for x in mismatches[:MISMATCHES_SHOWN]))
    return bad


def misnamed(channels: Iterable[str], pattern: str) -> list[str]:
    """The channels (a test channel's namespace prefix ignored) whose name does not match ``pattern``."""
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise ConfigurationError(f"Channel pattern {pattern!r} is not valid: {exc}") from None
    return [c for c in channels if not regex.search(base_channel(c))]
