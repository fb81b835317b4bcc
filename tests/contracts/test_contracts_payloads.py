"""Contracts: message payloads (demo/shared/demo_shared/schemas) and function signatures, on real Redis and Postgres."""

from __future__ import annotations

import json

import pytest
import redis

from crosscheck import namespace
from crosscheck.contracts import Contracts
from crosscheck.errors import ConfigurationError, CrosscheckError, ServiceUnavailable

CHANNEL = "tickstock.universe.updated"


@pytest.fixture()
def lib(message_contracts):
    lib = Contracts()
    lib.load_message_contracts(str(message_contracts))
    return lib


GOOD = {"seq": 1, "sent_at": 1700000000.5, "universe": "TEST_u", "symbols": ["SPY", "QQQ"], "count": 2}


def test_every_seed_channel_has_a_contract(lib, message_contracts):
    from crosscheck.variables.channels import ALL_CHANNELS as channels

    lib.channels_should_have_contracts(*channels)
    with pytest.raises(CrosscheckError, match="No contract for channel\\(s\\) tickstock.nope.nope"):
        lib.channels_should_have_contracts("tickstock.nope.nope")


def test_valid_payload_passes_as_dict_and_as_json(lib):
    assert lib.get_payload_mismatches(CHANNEL, GOOD) == []
    lib.payload_should_match_contract(CHANNEL, json.dumps(GOOD))


def test_renamed_and_mistyped_fields_are_each_reported(lib):
    bad = dict(GOOD, seq="1")
    bad["tickers"] = bad.pop("symbols")
    with pytest.raises(CrosscheckError) as err:
        lib.payload_should_match_contract(CHANNEL, bad)
    message = str(err.value)
    assert message.startswith(f"Payload on '{CHANNEL}' does not match its contract:")
    assert "$.symbols: expected required property, got (missing)" in message
    assert '$.seq: expected type "integer", got "1"' in message


def test_not_json_and_unknown_channel(lib):
    with pytest.raises(CrosscheckError, match="is not JSON"):
        lib.payload_should_match_contract(CHANNEL, "{not json")
    with pytest.raises(ConfigurationError, match="No contract for 'tickstock.nope.nope'"):
        lib.payload_should_match_contract("tickstock.nope.nope", GOOD)


def test_stream_entries_are_checked(lib, redis_url):
    ns = namespace.new("stream")
    stream = f"{ns}:stream"
    client = redis.Redis.from_url(redis_url)
    try:
        client.xadd(stream, {"payload": json.dumps(GOOD)})
        client.xadd(stream, {"payload": json.dumps(dict(GOOD, seq=2))})
        assert lib.stream_payloads_should_match_contract(CHANNEL, stream=stream, redis_url=redis_url) == 2
        bad_id = client.xadd(stream, {"payload": json.dumps(dict(GOOD, count="two"))}).decode()
        with pytest.raises(CrosscheckError) as err:
            lib.stream_payloads_should_match_contract(CHANNEL, stream=stream, redis_url=redis_url)
        assert str(err.value) == (
            f"Entry {bad_id} of '{stream}' does not match its contract: 1 mismatch: "
            '$.count: expected type "integer", got "two"'
        )
        with pytest.raises(CrosscheckError, match=f"Stream '{ns}:empty' has 0 entries, expected at least 1"):
            lib.stream_payloads_should_match_contract(CHANNEL, stream=f"{ns}:empty", redis_url=redis_url)
    finally:
        client.delete(stream)
        client.close()


def test_unreachable_redis_fails_fast_with_masked_url(lib):
    with pytest.raises(ServiceUnavailable, match=r"^Redis at redis://u:\*\*\*@127.0.0.1:9/0 refused the connection"):
        lib.stream_payloads_should_match_contract(CHANNEL, redis_url="redis://u:pw@127.0.0.1:9/0")


# --- function signatures ------------------------------------------------------------------

DECLARED = {
    "get_etf_universe": "p_universe_name text -> jsonb",
    "validate_etf_universe_symbols": "jsonb",
    "get_etf_universes_summary": "",
}


def test_declared_signatures_match(postgres_url):
    lib = Contracts()
    lib.function_signatures_should_match(DECLARED, database_url=postgres_url)
    assert lib.get_function_signature("get_etf_universe", database_url=postgres_url) == "p_universe_name text -> jsonb"


def test_signature_mismatch_and_missing_function_are_listed(postgres_url):
    lib = Contracts()
    declared = dict(DECLARED, get_etf_universe="p_universe_name integer -> jsonb", drop_everything="text")
    with pytest.raises(CrosscheckError) as err:
        lib.function_signatures_should_match(declared, database_url=postgres_url)
    assert str(err.value) == (
        "2 functions do not match the declared signature: public.get_etf_universe: expected "
        "'p_universe_name integer -> jsonb', got 'p_universe_name text -> jsonb'; "
        "public.drop_everything: expected 'text', got (missing)"
    )


def test_unreachable_postgres_fails_fast_with_masked_url():
    with pytest.raises(
        ServiceUnavailable, match=r"^Postgres at postgresql://u:\*\*\*@127.0.0.1:9/x refused the connection"
    ):
        Contracts().function_signatures_should_match(DECLARED, database_url="postgresql://u:pw@127.0.0.1:9/x")


def test_messaging_judges_payloads_with_the_same_contracts(lib, message_contracts):
    """Messaging validates through the shared helper: same mismatches, same schema errors."""
    from crosscheck.messaging import Messaging

    messaging = Messaging()
    assert messaging.load_channel_schemas(str(message_contracts)) == lib.load_message_contracts(str(message_contracts))
    bad = dict(GOOD, symbols="SPY")
    expected = lib.get_payload_mismatches(CHANNEL, bad)
    assert expected and all(
        m in str(_failure(lambda: messaging.message_should_match_schema(bad, CHANNEL))) for m in expected
    )
    with pytest.raises(ConfigurationError, match=r"Invalid JSON Schema at \$.type"):
        messaging.set_channel_schema(CHANNEL, {"type": "nonsense"})


def _failure(call) -> CrosscheckError:
    with pytest.raises(CrosscheckError) as err:
        call()
    return err.value
