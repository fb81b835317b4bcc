"""Message contract keywords: a JSON Schema per channel; channel naming and subscribers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from robot.api import logger
from robotlibcore import keyword

from crosscheck.assertions import AssertionOperator, check
from crosscheck.contracts.jsonschema_check import load_folder
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.messaging.context import Context
from crosscheck.messaging.contracts import check_message, contract_breaks, misnamed
from crosscheck.messaging.delivery import settle_down
from crosscheck.variables.channels import CHANNEL_NAMING_PATTERN

# seed 001's naming convention (variables/channels.py holds the same value for suites)
SHOWN = 5


class ContractKeywords(Component[Context]):
    # --- schemas ------------------------------------------------------------------
    @keyword
    def load_channel_schemas(self, folder: str) -> list[str]:
        """Loads one JSON Schema per channel from ``folder`` (files named ``<channel>.json``).

        Returns the channel names. Schemas stay registered for the library's lifetime;
        a later load replaces schemas of the same name.

        | `Load Channel Schemas` | ${CURDIR}/../../demo/shared/demo_shared/schemas |
        """
        loaded = load_folder(folder)
        if not loaded:
            raise ConfigurationError(f"No '<channel>.json' schema files in '{folder}'.")
        for name, schema in loaded.items():
            self.ctx.schemas.add(name, schema)
        logger.info(f"Loaded {len(loaded)} channel schemas from {folder}: {', '.join(loaded)}")
        return list(loaded)

    @keyword
    def set_channel_schema(self, channel: str, schema: Any) -> None:
        """Registers ``schema`` (a dictionary, JSON text or a path to a ``.json`` file) for ``channel``.

        Fails at once if the schema itself is not a valid JSON Schema.
        """
        if isinstance(schema, str) and schema.lstrip().startswith("{"):
            try:
                schema = json.loads(schema)
            except ValueError as exc:
                raise ConfigurationError(f"Schema for {channel!r} is not valid JSON: {exc}") from None
        if not isinstance(schema, (dict, str, Path)):
            raise ConfigurationError(f"Schema for {channel!r} must be a JSON object, not {type(schema).__name__}.")
        self.ctx.schemas.add(channel, schema)

    @keyword
    def message_should_match_schema(self, message: Any, channel: str | None = None, schema: str | None = None) -> None:
        """Validates one message against its channel's schema.

        ``message`` is a dictionary from `Wait For Message` (its channel is used), a
        JSON text, or an already parsed payload (then ``channel`` or ``schema`` names the
        contract). Fails naming the channel and every mismatch with its JSON path; fails
        saying so when the payload is not JSON.

        | ${msg}= | `Wait For Message` | ${channel} |
        | `Message Should Match Schema` | ${msg} |
        """
        check_message(self.ctx.schemas, message, channel, schema)

    @keyword
    def received_messages_should_match_schema(
        self, channel: str | None = None, schema: str | None = None, listener: str | None = None, minimum: int = 1
    ) -> int:
        """Validates every message the listener received on ``channel`` (default: on all
        its channels, each against its own schema); returns how many were checked.

        Waits first until the messages this library published there arrived (or arrivals
        stopped for 0.5 s). Fails listing, per offending message, its index and seq and every mismatch with
        its JSON path, or that it is not JSON; fails if fewer than ``minimum`` messages
        arrived.

        | `Received Messages Should Match Schema` | ${channel} |
        """
        lst = self.ctx.listener_for(channel, listener)
        settle_down(self.ctx, lst, [channel] if channel else lst.channels + lst.channels_seen())
        messages = lst.messages(channel)
        if len(messages) < int(minimum):
            where = f"channel {channel!r}" if channel else f"listener {lst.name!r}"
            raise CrosscheckError(
                f"Only {len(messages)} messages on {where} to validate; at least {int(minimum)} expected."
            )
        bad = contract_breaks(self.ctx.schemas, messages, schema, self.ctx.seq_field)
        if bad:
            where = f"channel {channel!r}" if channel else f"the channels of listener {lst.name!r}"
            more = f"; ... and {len(bad) - SHOWN} more" if len(bad) > SHOWN else ""
            raise CrosscheckError(
                f"{len(bad)} of {len(messages)} messages on {where} break their contract: "
                + "; ".join(bad[:SHOWN])
                + more
            )
        logger.info(f"{len(messages)} messages match their channel schemas.")
        return len(messages)

    # --- naming and subscribers ---------------------------------------------------------
    @keyword
    def channel_names_should_match_pattern(self, *channels: str, pattern: str = CHANNEL_NAMING_PATTERN) -> None:
        """Every channel name (a test channel's namespace prefix ignored) matches ``pattern``.

        Default pattern: seed 001's ``^tickstock\\.[a-z_]+\\.[a-z_]+$``.

        | `Channel Names Should Match Pattern` | @{ALL_CHANNELS} | pattern=${CHANNEL_NAMING_PATTERN} |
        """
        wrong = misnamed(channels, pattern)
        if wrong:
            raise CrosscheckError(
                f"{len(wrong)} of {len(channels)} channel names do not match {pattern}: "
                + ", ".join(repr(c) for c in wrong)
            )

    @keyword
    def observed_channels_should_match_pattern(
        self, pattern: str = CHANNEL_NAMING_PATTERN, listener: str | None = None, minimum: int = 1
    ) -> list[str]:
        """Every channel the listener received messages on matches ``pattern``; returns them.

        Listen on a pattern (``tickstock.*``) to catch renamed or stray channels.

        | `Start Listening` | patterns=${{ ["tickstock.*"] }} |
        | Run Process | crosscheck-demo | produce | --channel | tickstock.cache.sync_complete | --count | 1 |
        | `Wait For Message` |
        | `Observed Channels Should Match Pattern` |
        """
        lst = self.ctx.listener(listener)
        seen = lst.channels_seen()
        if len(seen) < int(minimum):
            raise CrosscheckError(
                f"Listener {lst.name!r} ({', '.join(lst.subscriptions)}) saw {len(seen)} "
                f"channels; at least {int(minimum)} expected."
            )
        self.channel_names_should_match_pattern(*seen, pattern=pattern)
        return seen

    @keyword
    def get_subscriber_count(
        self,
        channel: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        alias: str | None = None,
    ) -> int:
        """Number of subscribers of ``channel`` (``PUBSUB NUMSUB``); patterns are not counted.

        | `Get Subscriber Count` | tickstock.universe.updated | >= | 1 |
        """
        conn = self.ctx.connection(alias)
        count = int(dict(conn.run(conn.client.pubsub_numsub, channel)).get(channel.encode(), 0))
        return check(count, assertion_operator, assertion_expected, f"Subscribers of channel {channel!r}", convert=int)

    @keyword
    def channels_should_have_subscribers(self, *channels: str, alias: str | None = None) -> dict:
        """Each of ``channels`` has at least one subscriber (``PUBSUB NUMSUB``); returns the counts.

        Fails naming the channels nobody listens to.

        | `Channels Should Have Subscribers` | @{REQUIRED_CHANNELS} |
        """
        conn = self.ctx.connection(alias)
        if not channels:
            raise ConfigurationError("Name at least one channel.")
        counts = {k.decode(): int(v) for k, v in conn.run(conn.client.pubsub_numsub, *channels)}
        missing = [c for c in channels if counts.get(c, 0) == 0]
        if missing:
            raise CrosscheckError(
                f"{len(missing)} of {len(channels)} required channels have no subscriber at "
                f"{conn.where}: {', '.join(missing)}"
            )
        return counts
