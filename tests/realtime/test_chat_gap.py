"""A publish is dropped while the socket stays up; the client sees the gap and refills it.

Redis pub/sub is at-most-once: python-socketio hands an event to the sockets of its own
process directly and to every other process through Redis, so when another process's Redis
listener is cut off, a line published in that moment never reaches its sockets, yet every
client stays connected. With two real servers, this test posts on A while B's listener is cut
off (CLIENT KILL in a tight loop, on a Redis the test owns; redis-py resubscribes
within milliseconds, so one kill alone leaves too small a hole), posts into the hole, checks
that the line really was not delivered, and then plays
the client's part exactly as chat.js does: hold the last contiguous seq, and on a jump fetch
`?after=<last>`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.conftest import REDIS_PREFIX, _wipe_tables, make_app
from tests.realtime.chat_live import ChatUser, private_redis, start_group, wait_for
from tests.support.live_server import LiveServer

__all__ = ["private_redis"]

pytestmark = [pytest.mark.realtime, pytest.mark.redis]


class GapFillingView:
    """The client's state machine from chat.js: lines by seq, refilled on any gap."""

    def __init__(self, user: ChatUser, url: str, lines: list[int]) -> None:
        self.user, self.url = user, url
        self.lines = sorted(lines)
        self.fetches: list[tuple[int, list[int]]] = []

    @property
    def last(self) -> int:
        return self.lines[-1] if self.lines else 0

    def accept(self, seq: int) -> None:
        """Take a pushed line: append when contiguous, else fetch the missing range first."""
        if seq in self.lines:
            return
        if seq > self.last + 1:
            after = self.last
            fetched = self.user.history(self.url, after=after)
            self.fetches.append((after, fetched))
            self.lines = sorted(set(self.lines) | set(fetched))
        self.lines = sorted(set(self.lines) | {seq})


@contextmanager
def listener_cut_off(inspect) -> Iterator[None]:
    """Keep killing every pub/sub connection until the block ends."""
    stop = threading.Event()

    def cut() -> None:
        while not stop.is_set():
            inspect.client_kill_filter(_type="pubsub")

    thread = threading.Thread(target=cut, daemon=True)
    thread.start()
    try:
        time.sleep(0.05)
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def test_a_dropped_publish_is_refilled_from_after(database, private_redis, tmp_path):
    a, b = (
        LiveServer(
            database.url,
            redis_url=private_redis.url,
            prefix=f"{REDIS_PREFIX}gap:",
            instance_path=str(tmp_path / f"instance-{name}"),
        ).start()
        for name in "ab"
    )
    people: list[ChatUser] = []
    try:
        mina = ChatUser(a.url).signup("mina")  # mina and seoyeon post on A
        junho = ChatUser(b.url).signup("junho")  # junho reads on B
        seoyeon = ChatUser(a.url).signup("seoyeon")
        people = [mina, junho, seoyeon]
        group = start_group(mina, "Gap", "junho seoyeon")
        url = f"/chats/{group}/messages"
        channel = f"{REDIS_PREFIX}gap:socketio"
        inspect = private_redis.client()

        view = GapFillingView(junho, url, junho.history(url))  # the page load: [1]
        junho.connect()
        junho.subscribe(group)
        assert mina.say(url, "delivered") == 2
        assert wait_for(lambda: junho.seqs(group) == [2])
        view.accept(2)

        # B listens to Redis since junho's socket connected (A has no sockets, so no listener).
        listening = inspect.pubsub_numsub(channel)
        assert listening == [(channel, 1)]

        # Post on A while B's Redis listener is cut off; junho's socket to B stays up.
        dropped = None
        for attempt in range(6):
            speaker = (mina, seoyeon)[attempt % 2]
            with listener_cut_off(inspect):
                seq = speaker.say(url, f"into the hole {attempt}")
            assert seq > 0, seq
            time.sleep(1.0)
            if seq not in junho.seqs(group):
                dropped = seq
                break
            view.accept(seq)  # this one got through; try again
        assert dropped is not None, "no publish was dropped"
        assert junho.sock.connected

        # The listener subscribes again by itself; the next line arrives after the hole.
        assert wait_for(lambda: inspect.pubsub_numsub(channel) == listening, timeout=20), b.log()
        time.sleep(0.2)
        nxt = seoyeon.say(url, "after the hole")
        assert nxt == dropped + 1
        assert wait_for(lambda: nxt in junho.seqs(group))
        assert dropped not in junho.seqs(group)
        view.accept(nxt)

        # Exactly the missing range was fetched, at once, and the view equals a fresh load.
        assert view.fetches == [(dropped - 1, [dropped, nxt])]
        assert view.lines == list(range(1, nxt + 1)) == junho.history(url)
    finally:
        for user in people:
            user.close()
        a.stop()
        b.stop()
        application = make_app()
        with application.app_context():
            _wipe_tables()
