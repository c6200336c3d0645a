"""The Socket.IO message queue on Redis, with publishing and listening kept apart.

python-socketio's `RedisManager` keeps one `redis` client and one `pubsub` on the manager and
shares them between the listener (a background task) and every request that publishes. After a
failed publish it builds a new client *and a new pubsub* for the publisher, under a listener
that may be reconnecting at the same moment, and never closes the old subscription. Its
listener also doubles its pause after each failure (up to 60 s), so after a Redis restart a
web process could stay deaf to the other processes long after Redis was back.

`QueueManager` keeps the same wire format and channel (so every process, and the Celery
workers' write-only emitters, interoperate) with two changes:

- the publisher has a client of its own, which the listener never touches; a failed publish
  replaces only that client, and python-socketio's two attempts stay;
- the listener builds, subscribes and closes its own client and pubsub on every attempt, and
  pauses a fixed `RESUBSCRIBE_PAUSE` between attempts, so it is back within about a second of
  Redis;
- `emit_all` sends the events one transaction queued (a batch of a thousand notifications, a
  conversation post and its `inbox` push) in one pipeline: one Redis round trip, where each
  emit used to take one of its own.

The log lines keep python-socketio's wording ("Cannot publish to redis…"): the chat post gate
(app/services/chat/gate.py) sheds posts for a few seconds after a lost publish ("giving up",
an error). A failed first attempt that the retry recovers is only a warning.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence

import redis
from socketio import RedisManager

# How long the listener waits before subscribing again after losing Redis.
RESUBSCRIBE_PAUSE = 0.5
# python-socketio's wording for a publish failure; the chat post gate watches for the lost one.
PUBLISH_FAILED = "Cannot publish to redis..."
PUBLISH_LOST = f"{PUBLISH_FAILED} giving up"

# One Socket.IO room, or several that get the same event in one emit (one message on the
# Redis queue however many rooms it names).
Audience = str | list[str]
# One event to emit: its name, its payload and its audience.
Emit = tuple[str, dict, Audience]


class QueueManager(RedisManager):
    """A Redis client manager whose publisher and listener never share a connection."""

    def __init__(self, url: str, channel: str, *, write_only: bool = False, redis_options: dict):
        super().__init__(url, channel=channel, write_only=write_only, redis_options=redis_options)
        self._publisher: redis.Redis | None = None
        self._publisher_lock = threading.Lock()
        # While `emit_all` runs, the messages it is gathering (per thread, or per green thread
        # once the server is patched): python-socketio's `emit` builds the wire message and
        # hands it to `_publish`, which then keeps it for the batch.
        self._gathering = threading.local()

    def _new_client(self) -> redis.Redis:
        """A client on the queue's URL with the configured pool options."""
        return redis.Redis.from_url(self.redis_url, **self.redis_options)

    def _publisher_client(self) -> redis.Redis:
        """The publisher's client, made on first use (requests share its pool)."""
        with self._publisher_lock:
            if self._publisher is None:
                self._publisher = self._new_client()
            return self._publisher

    def _drop_publisher(self, failed: redis.Redis) -> None:
        """Forget a client that failed a publish, unless another request replaced it already."""
        with self._publisher_lock:
            if self._publisher is failed:
                self._publisher = None
        failed.close()

    def emit_all(self, events: Sequence[Emit]) -> None:
        """Emit `events` in order: to this process's sockets at once, then to the other
        processes in one Redis round trip."""
        gathered: list[dict] = []
        self._gathering.messages = gathered
        try:
            for name, data, to in events:
                self.emit(name, data, namespace="/", room=to)
        finally:
            self._gathering.messages = None
        self._publish_messages(gathered)

    def _publish(self, data: dict) -> int | None:
        """Publish one message and return how many listeners got it (None: lost), or keep
        it for the batch `emit_all` is gathering (None: not sent yet)."""
        gathered = getattr(self._gathering, "messages", None)
        if gathered is not None:
            gathered.append(data)
            return None
        received = self._publish_messages([data])
        return received[0] if received else None

    def _publish_messages(self, messages: list[dict]) -> list[int] | None:
        """Publish messages in order, in one round trip, and return how many listeners got
        each; on a Redis error try once more on a fresh client (None: lost)."""
        if not messages:
            return []
        encoded = [self.json.dumps(message) for message in messages]
        for attempts_left in (1, 0):
            client = self._publisher_client()
            try:
                # A room post publishes one message: a pipeline would only add its own
                # bookkeeping to the hottest path.
                if len(encoded) == 1:
                    return [client.publish(self.channel, encoded[0])]
                pipeline = client.pipeline(transaction=False)
                for message in encoded:
                    pipeline.publish(self.channel, message)
                return pipeline.execute()
            except redis.RedisError as exc:
                self._drop_publisher(client)
                # A retry that goes through lost nothing (a warning); "giving up" is a lost
                # publish (an error, and the chat post gate sheds for a moment).
                logger = self._get_logger()
                extra = {"redis_exception": str(exc)}
                if attempts_left:
                    logger.warning(f"{PUBLISH_FAILED} retrying", extra=extra)
                else:
                    logger.error(PUBLISH_LOST, extra=extra)
        return None

    def _redis_listen_with_retries(self) -> Iterator[dict]:
        """Yield every message on the channel, subscribing again whenever Redis goes away."""

        def lost(exc: Exception) -> None:
            self._get_logger().error(
                f"Cannot receive from redis... retrying in {RESUBSCRIBE_PAUSE} secs",
                extra={"redis_exception": str(exc)},
            )

        yield from subscribed_messages(
            self._new_client, self.channel, pause=RESUBSCRIBE_PAUSE, on_loss=lost
        )


def subscribed_messages(
    make_client: Callable[[], redis.Redis],
    channel: str,
    *,
    pause: float,
    on_loss: Callable[[Exception], None],
) -> Iterator[dict]:
    """Yield every message on `channel`, for as long as the process lives.

    Each attempt subscribes on a fresh client and closes it when the attempt ends; after any
    loss of Redis `on_loss` is told and the next attempt waits `pause` seconds. Both of a web
    process's listeners (the Socket.IO queue and the socket actions) run on this.
    """
    while True:
        client = make_client()
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(channel)
            yield from pubsub.listen()
        except Exception as exc:  # any loss of Redis: start over on a fresh connection
            on_loss(exc)
        finally:
            pubsub.close()
            client.close()
        time.sleep(pause)
