"""A web process killed with SIGKILL mid-chat: its clients move to the other and lose nothing.

Two `python wsgi.py` processes share one database and one Redis, as behind nginx. Seoyeon's
socket and pages are on process A; the test kills A without a goodbye while lines keep
coming on B, then moves her client to B the way nginx does when A stops answering: connect,
subscribe, and fetch `?after=` the last line she holds, as chat.js does after a reconnect.
She ends with every line; the members who never moved got every line exactly once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid

import pytest

from tests.conftest import REDIS_PREFIX
from tests.realtime.chat_live import ChatUser, wait_for
from tests.realtime.test_chat_processes import cast, stop_all, two_servers

pytestmark = [pytest.mark.realtime, pytest.mark.redis]


def test_clients_of_a_killed_process_move_to_the_other_and_lose_no_line(
    database, redis_url, tmp_path
):
    servers = two_servers(
        database, redis_url, tmp_path, f"{REDIS_PREFIX}kill-{uuid.uuid4().hex[:6]}:"
    )
    people: list[ChatUser] = []
    try:
        a, b = servers
        people, group = cast(a, b)
        mina, junho, seoyeon = people  # seoyeon's socket is on A; junho's pages are on B
        url = f"/chats/{group}/messages"
        first = junho.say(url, "before the kill", server=b.url)
        assert first > 0
        assert wait_for(lambda: first in seoyeon.seqs(group), 15)

        os.kill(a.process.pid, signal.SIGKILL)
        a.process.wait(timeout=10)
        # Lines keep coming on B while seoyeon has no live socket.
        during = [junho.say(url, f"while she moves {n}", server=b.url) for n in range(3)]
        assert all(seq > 0 for seq in during), during

        # Her client moves to B: a new socket, the subscription again, then the catch-up.
        seoyeon.sock.disconnect()  # stop retrying the dead process
        seoyeon.base_url = b.url
        seoyeon.connect(b.url)
        seoyeon.subscribe(group)
        caught_up = seoyeon.history(url, after=max(seoyeon.seqs(group)))
        last = junho.say(url, "after the move", server=b.url)
        assert last > 0
        assert wait_for(lambda: last in seoyeon.seqs(group), 15)

        sent = {first, *during, last}
        assert sent <= set(seoyeon.seqs(group)) | set(caught_up)
        for user in (mina, junho):  # never disconnected: every line, exactly once
            assert wait_for(lambda u=user: sent <= set(u.seqs(group)), 15), user.seqs(group)
        time.sleep(0.5)  # anything duplicated would have arrived by now
        for user in (mina, junho):
            got = [seq for seq in user.seqs(group) if seq in sent]
            assert sorted(got) == sorted(sent), got
    finally:
        for user in people:
            with contextlib.suppress(Exception):  # a socket to the killed process is gone
                user.close()
        stop_all(servers)
