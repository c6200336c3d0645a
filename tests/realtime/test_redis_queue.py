"""The Socket.IO queue manager against a Redis that stops and starts again."""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from app.realtime.redis_queue import QueueManager
from app.services.chat.gate import _PublishWatch
from tests.realtime.chat_live import private_redis, wait_for

__all__ = ["private_redis"]  # the fixture, imported for this module

pytestmark = [pytest.mark.realtime, pytest.mark.redis]

CHANNEL = "encore-test:queue:socketio"


def numsub(server) -> int:
    """How many connections are subscribed to the queue's channel right now."""
    try:
        return dict(server.client().pubsub_numsub(CHANNEL)).get(CHANNEL, 0)
    except Exception:  # the server is down or still starting
        return -1


STOP = b'"stop"'


def listen_in_background(manager: QueueManager) -> tuple[queue.Queue, threading.Thread]:
    """Run the manager's listener in a thread and collect what it hears, until it hears STOP."""
    heard: queue.Queue = queue.Queue()

    def run() -> None:
        for message in manager._listen():
            if message == STOP:
                break  # closing the generator closes its connection
            heard.put(message)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return heard, thread


def publisher_and_listener(server) -> tuple[QueueManager, queue.Queue, threading.Thread]:
    """A Celery worker's emitter (publish only, a manager of its own) and a web process's
    listener, subscribed, on `server`."""
    options = {"max_connections": 10, "health_check_interval": 30}
    listener = QueueManager(server.url, channel=CHANNEL, redis_options=options)
    publisher = QueueManager(server.url, channel=CHANNEL, write_only=True, redis_options=options)
    heard, thread = listen_in_background(listener)
    assert wait_for(lambda: numsub(server) == 1)
    return publisher, heard, thread


@contextmanager
def publish_lost(caplog) -> Iterator[None]:
    """Expect the block to lose a publish, and say so in the log."""
    try:
        with caplog.at_level(logging.ERROR, logger="socketio"):
            yield
    finally:
        # The lost publish also told this process's chat gate to shed for a few seconds;
        # the tests that follow post chat lines.
        _PublishWatch.last_failure = 0.0
    assert "Cannot publish to redis... giving up" in caplog.text


def test_publisher_and_listener_recover_from_a_redis_restart_on_their_own(private_redis, caplog):
    publisher, heard, thread = publisher_and_listener(private_redis)
    assert publisher._publish({"n": 1}) == 1
    assert heard.get(timeout=5) == b'{"n": 1}'

    private_redis.stop()
    with publish_lost(caplog):
        assert publisher._publish({"n": 2}) is None
    private_redis.start()

    # The listener subscribes again by itself, once: a failed publish never touched it.
    assert wait_for(lambda: numsub(private_redis) == 1, timeout=15)
    assert publisher._publish({"n": 3}) == 1
    assert heard.get(timeout=5) == b'{"n": 3}'
    assert numsub(private_redis) == 1
    assert heard.empty()

    publisher._publish("stop")
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert wait_for(lambda: numsub(private_redis) == 0)


def test_a_batch_of_emits_leaves_whole_and_in_order(private_redis, caplog):
    # A transaction's events (a fan-out batch of notifications, a post and its inbox push)
    # leave together in one pipeline; the other processes hear every one, in order, once.
    publisher, heard, thread = publisher_and_listener(private_redis)

    events = [("notification", {"id": n}, f"user:{n}") for n in range(1, 51)]
    events.append(("inbox", {"channel_id": 7}, ["user:1", "user:2"]))
    publisher.emit_all(events)
    got = [json.loads(heard.get(timeout=5)) for _ in events]
    assert [(m["event"], m["data"], m["room"]) for m in got] == [
        (name, [data], to) for name, data, to in events
    ]
    assert {m["host_id"] for m in got} == {publisher.host_id}
    publisher.emit_all([])  # nothing queued: nothing sent
    publisher.emit_all([("notification", {"id": 99}, "user:99")])
    assert json.loads(heard.get(timeout=5))["data"] == [{"id": 99}]
    assert heard.empty()

    # A batch that cannot leave is reported lost, as a single publish is.
    private_redis.stop()
    with publish_lost(caplog):
        publisher.emit_all(events[:3])
    private_redis.start()
    assert wait_for(lambda: numsub(private_redis) == 1, timeout=15)
    publisher._publish("stop")
    thread.join(timeout=5)
    assert not thread.is_alive()
