"""Lists and keys against a real Redis: a broker queue's length, push and blocking pop, key
counts by SCAN, TTLs, their failure messages, and cleanup of exactly what a test created."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from crosscheck.assertions import AssertionOperator
from crosscheck.errors import ConfigurationError, CrosscheckError

EQ, LT, GT = AssertionOperator("=="), AssertionOperator("<"), AssertionOperator(">")


def test_push_pop_and_queue_length(lib):
    queue = lib.test_key("queue")
    assert lib.get_list_length(queue, EQ, 0) == 0
    assert lib.push_to_list(queue, {"task_id": "t1"}, "second") == 2
    assert lib.push_to_list(queue, "first", side="left") == 3
    assert lib.get_list_length(queue, EQ, 3) == 3
    assert lib.pop_from_list(queue, timedelta(seconds=1)) == "first"
    assert lib.pop_from_list(queue, timedelta(0), side="right") == "second"
    assert lib.pop_from_list(queue) == '{"task_id":"t1"}'
    with pytest.raises(AssertionError, match=rf"Length of list '{queue}' '0' \(int\) should be '5'"):
        lib.get_list_length(queue, EQ, 5)


def test_a_blocking_pop_waits_for_a_value_and_fails_naming_the_list(lib, raw):
    queue = lib.test_key("later")
    threading.Timer(0.2, lambda: raw.rpush(queue, "late")).start()
    started = time.monotonic()
    assert lib.pop_from_list(queue, timedelta(seconds=3)) == "late"
    assert time.monotonic() - started >= 0.15
    with pytest.raises(
        CrosscheckError, match=rf"^Nothing to pop from list '{queue}' at \S+ within 0.2 s \(the key does not exist\)\.$"
    ):
        lib.pop_from_list(queue, timedelta(milliseconds=200))
    with pytest.raises(ConfigurationError, match="Unknown list side 'middle'; use left or right"):
        lib.pop_from_list(queue, side="middle")


def test_a_key_of_another_type_is_named(lib, raw):
    key = lib.test_key("text")
    raw.set(key, "x")
    for call in (lambda: lib.get_list_length(key), lambda: lib.push_to_list(key, "v"), lambda: lib.pop_from_list(key)):
        with pytest.raises(CrosscheckError, match=rf"^Key '{key}' at \S+ holds a string, not a list\.$"):
            call()
    with pytest.raises(ConfigurationError, match="Push To List needs at least one value"):
        lib.push_to_list(key)


def test_key_count_by_scan_and_ttl(lib):
    ns = lib.get_test_namespace()
    for n in range(5):
        lib.set_key(f"{ns}:result:{n}", n, ttl=timedelta(minutes=1))
    lib.set_key(f"{ns}:other", "x")
    assert lib.get_key_count(f"{ns}:result:*", EQ, 5) == 5
    with pytest.raises(AssertionError, match=rf"Keys matching '{ns}:result:\*' at \S+ '5' \(int\) should be '4'"):
        lib.get_key_count(f"{ns}:result:*", EQ, 4)
    ttl = lib.get_key_ttl(f"{ns}:result:0", GT, "50 s")
    assert 50 < ttl <= 60
    assert lib.get_key_ttl(f"{ns}:result:0", LT, "1.1 min") == pytest.approx(ttl, abs=1)
    with pytest.raises(
        AssertionError, match=rf"TTL \(s\) of key '{ns}:result:0' at \S+ '[\d.]+' \(float\) should be less than '10.0'"
    ):
        lib.get_key_ttl(f"{ns}:result:0", LT, "10 s")
    with pytest.raises(CrosscheckError, match=rf"^Key '{ns}:other' at \S+ has no TTL: it never expires\.$"):
        lib.get_key_ttl(f"{ns}:other")
    with pytest.raises(CrosscheckError, match=rf"^Key '{ns}:gone' does not exist at \S+: it has no TTL to check\.$"):
        lib.get_key_ttl(f"{ns}:gone")
    with pytest.raises(ConfigurationError, match="The TTL of key 'k' must be above zero"):
        lib.set_key("k", "v", ttl=timedelta(0))


def test_cleanup_removes_only_what_the_test_created(make_lib, redis_url, raw):
    lib = make_lib()
    lib.connect_to_redis(redis_url)
    theirs_list, theirs_key, ours = (f"cc_theirs_{time.time_ns()}_{n}" for n in range(3))
    raw.rpush(theirs_list, "their-1", "their-2")
    raw.set(theirs_key, "their-value", ex=300)
    try:
        lib.cleanup.push("test", "a test")
        lib.push_to_list(theirs_list, "ours-1", "ours-2")
        lib.push_to_list(theirs_list, "ours-0", side="left")
        lib.set_key(theirs_key, "overwritten")
        lib.set_key(ours, "new", ttl=timedelta(minutes=5))
        lib.push_to_list(ours + ":q", "a")
        assert raw.lrange(theirs_list, 0, -1) == [b"ours-0", b"their-1", b"their-2", b"ours-1", b"ours-2"]
        _, errors = lib.cleanup.pop()
        assert errors == []
        assert raw.lrange(theirs_list, 0, -1) == [b"their-1", b"their-2"]
        assert raw.get(theirs_key) == b"their-value" and 200 < raw.ttl(theirs_key) <= 300
        assert raw.exists(ours, ours + ":q") == 0
    finally:
        raw.delete(theirs_list, theirs_key, ours, ours + ":q")
