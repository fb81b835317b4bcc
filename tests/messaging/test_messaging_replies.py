"""Request-to-response latency against a real Redis: a worker that answers on a reply channel,
matched by task id; lost, duplicate and unmatched replies; failures name what went wrong."""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import timedelta

import pytest

from crosscheck.assertions import AssertionOperator
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.services import redis as redis_service

EQ, LT = AssertionOperator("=="), AssertionOperator("<")


class Worker(threading.Thread):
    """A list-based worker, as task queues run them: BLPOP a task, publish its result."""

    def __init__(
        self, redis_url: str, queue: str, results: str, skip: set[str] = frozenset(), twice: set[str] = frozenset()
    ):
        super().__init__(daemon=True)
        self.client = redis_service.client(redis_url)
        self.queue, self.results, self.skip, self.twice = queue, results, skip, twice
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            item = self.client.blpop([self.queue], timeout=0.1)
            if item is None:
                continue
            task = json.loads(item[1])
            if task["task_id"] in self.skip:
                continue
            time.sleep(0.01)
            result = json.dumps({"task_id": task["task_id"], "status": "SUCCESS", "result": task["args"]})
            for _ in range(2 if task["task_id"] in self.twice else 1):
                self.client.publish(self.results, result)

    def close(self) -> None:
        self.stop.set()
        self.join(5)
        self.client.close()


@pytest.fixture
def worker(redis_url):
    started = []

    def start(*args, **kwargs) -> Worker:
        w = Worker(redis_url, *args, **kwargs)
        w.start()
        started.append(w)
        return w

    yield start
    for w in started:
        w.close()


def test_tasks_pushed_on_a_list_are_matched_to_their_results_by_id(lib, worker, raw):
    results = lib.test_channel("celery.results")
    queue = lib.test_key("celery")
    worker(queue, results)
    replies = lib.start_reply_listener(results, id_path="task_id")
    for n in range(20):
        assert lib.send_request(replies, queue, {"task_id": f"t{n}", "args": [n]}, via="rpush") == f"t{n}"
    stats = lib.reply_statistics_should_be_complete(replies, latency="2 s")
    assert (stats["requests"], stats["replied"], stats["lost"], stats["duplicates"]) == (20, 20, 0, 0)
    assert 5 < lib.get_reply_latency(replies, "p50", LT, "2 s") < 2000
    assert lib.get_list_length(queue, EQ, 0) == 0


def test_published_requests_and_requests_sent_another_way(lib, raw):
    requests, results = lib.test_channel("requests"), lib.test_channel("results")
    replies = lib.start_reply_listener(results, id_path="$.meta.request_id")
    lib.start_listening(requests, name="worker-view")
    assert lib.send_request(replies, requests, {"meta": {"request_id": 1}}, id_path="$.meta.request_id") == "1"
    lib.wait_for_message(requests, listener="worker-view")
    lib.record_request_sent(replies, "http-7", sent_at=time.time() - 0.2)  # taken before an HTTP call
    raw.publish(results, json.dumps({"meta": {"request_id": "1"}}))
    raw.publish(results, json.dumps({"meta": {"request_id": "http-7"}}))
    stats = lib.get_reply_statistics(replies)
    assert stats["replied"] == 2 and stats["latency_max_ms"] >= 200


def test_a_lost_reply_and_a_duplicate_reply_are_counted_and_fail_completeness(lib, worker):
    results = lib.test_channel("results")
    queue = lib.test_key("tasks")
    worker(queue, results, skip={"t3"}, twice={"t5"})
    replies = lib.start_reply_listener(results, reply_timeout=timedelta(milliseconds=500))
    for n in range(8):
        lib.send_request(replies, queue, {"task_id": f"t{n}", "args": []}, via="lpush")
    assert lib.get_lost_reply_count(replies) == 1
    assert lib.get_duplicate_reply_count(replies, EQ, 1) == 1
    with pytest.raises(
        AssertionError, match=r"Lost replies for replies on channel .* \(1 lost \(no reply within the timeout: t3\)\)"
    ):
        lib.get_lost_reply_count(replies, EQ, 0)
    with pytest.raises(AssertionError, match=r"Duplicate replies for replies on channel .* '1' \(int\) should be '0'"):
        lib.get_duplicate_reply_count(replies, EQ, 0)
    with pytest.raises(CrosscheckError) as err:
        lib.reply_statistics_should_be_complete(replies)
    assert str(err.value).startswith(
        f"Replies on listener {replies!r} are not complete: 1 lost (no reply within the timeout: t3); 1 duplicate replies"
    )
    assert "[7 of 8 requests replied; latency p50" in str(err.value)


def test_unmatched_replies_and_late_replies(lib, raw):
    results = lib.test_channel("results")
    replies = lib.start_reply_listener(results, reply_timeout=timedelta(milliseconds=200))
    lib.record_request_sent(replies, "a")
    raw.publish(results, json.dumps({"task_id": "stranger"}))
    raw.publish(results, "not json")
    time.sleep(0.3)
    raw.publish(results, json.dumps({"task_id": "a"}))  # after the timeout: late
    lib.wait_for_message(results, timedelta(seconds=2), field="task_id", value="a")
    assert lib.get_unmatched_reply_count(replies, EQ, 2) == 2
    with pytest.raises(
        AssertionError, match=r"Unmatched replies .*id 'stranger' was not requested.*no id at 'task_id'"
    ):
        lib.get_unmatched_reply_count(replies, EQ, 0)
    stats = lib.get_reply_statistics(replies)
    assert (stats["late"], stats["lost"], stats["lost_ids"]) == (1, 1, ["a"])
    with pytest.raises(CrosscheckError) as err:
        lib.reply_statistics_should_be_complete(replies)
    assert "1 lost (no reply within the timeout, 1 of them late: a); 2 unmatched replies (#0" in str(err.value)
    with pytest.raises(CrosscheckError, match=r"No reply latency for replies on channel .*: 0 of 1 requests replied"):
        lib.get_reply_latency(replies, "p95")


def test_slow_replies_fail_the_latency_target(lib, raw):
    results = lib.test_channel("results")
    replies = lib.start_reply_listener(results)
    lib.record_request_sent(replies, "slow")
    time.sleep(0.2)
    raw.publish(results, json.dumps({"task_id": "slow"}))
    with pytest.raises(AssertionError) as err:
        lib.get_reply_latency(replies, "p95", LT, "50 ms")
    assert re.search(
        r"p95 reply latency \(ms\) for replies on channel '\S+' \(listener 'listener\d+'\) '\d+", str(err.value)
    )
    with pytest.raises(CrosscheckError, match=r"p95 reply latency \d+\.\d ms >= target 50 ms"):
        lib.reply_statistics_should_be_complete(replies, latency="50 ms")


def test_reply_keywords_refuse_what_they_cannot_use(lib):
    with pytest.raises(CrosscheckError, match=r"No reply listener \(none started\); reply listeners: none"):
        lib.get_reply_statistics()
    plain = lib.start_listening(lib.test_channel("plain"))
    with pytest.raises(CrosscheckError, match=r"No reply listener 'listener1' \(a plain listener"):
        lib.record_request_sent(plain, "x")
    replies = lib.start_reply_listener(lib.test_channel("results"))
    with pytest.raises(CrosscheckError, match=r"Replies on listener .* are not complete: no request was recorded"):
        lib.reply_statistics_should_be_complete(replies)
    with pytest.raises(ConfigurationError, match="The request has no id at 'task_id': give request_id="):
        lib.send_request(replies, "somewhere", {"id": 1})
    with pytest.raises(ConfigurationError, match="Unknown way to send a request 'xadd'"):
        lib.send_request(replies, "somewhere", {"task_id": 1}, via="xadd")
    with pytest.raises(ConfigurationError, match=r"sent_at of request 'x' cannot be read: 'soon' is not an ISO-8601"):
        lib.record_request_sent(replies, "x", sent_at="soon")
    with pytest.raises(ConfigurationError, match="Unknown latency statistic 'p42'"):
        lib.get_reply_latency(replies, "p42")
