"""Socket actions cross processes: leaving a conversation on one web process takes the
leaver's socket on another process out of it, and signing out there tells that socket."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from tests.conftest import REDIS_PREFIX
from tests.realtime.chat_live import ChatUser, start_group, wait_for
from tests.realtime.test_chat_processes import stop_all, two_servers

pytestmark = [pytest.mark.realtime, pytest.mark.redis]


def _listen_for_notices(user: ChatUser) -> list[dict]:
    notices: list[dict] = []
    lock = threading.Lock()

    def on_notice(payload: dict) -> None:
        with lock:
            notices.append(payload)

    user.sock.on("notice", on_notice)
    return notices


def test_leaving_and_signing_out_reach_a_socket_on_the_other_process(database, redis_url, tmp_path):
    servers = two_servers(
        database, redis_url, tmp_path, f"{REDIS_PREFIX}actions-{uuid.uuid4().hex[:6]}:"
    )
    people: list[ChatUser] = []
    try:
        a, b = servers
        mina = ChatUser(a.url).signup("mina", "김민아")
        junho = ChatUser(a.url).signup("junho", "박준호")
        people = [mina, junho]
        group = start_group(mina, "Across", "junho")
        mina.connect(a.url)
        junho.connect(b.url)  # junho's socket lives on B; everything he does goes to A
        for user in people:
            user.subscribe(group)
        notices = _listen_for_notices(junho)
        url = f"/chats/{group}/messages"

        first = mina.say(url, "before junho leaves", server=a.url)
        assert wait_for(lambda: first in junho.seqs(group)), b.log()[-2000:]

        left = junho.post_to(a.url, f"/chats/{group}/leave", {})
        assert left.status_code == 204, left.status_code
        time.sleep(1.0)  # the action travels through Redis to B
        after = mina.say(url, "after junho left", server=a.url)
        assert after > 0
        assert wait_for(lambda: after in mina.seqs(group))
        time.sleep(0.5)  # a line still routed to junho would have arrived by now
        assert after not in junho.seqs(group), (junho.seqs(group), b.log()[-2000:])

        out = junho.post_to(a.url, "/auth/logout", {})
        assert out.status_code in (303, 204), out.status_code
        assert wait_for(lambda: notices == [{"kind": "signed_out", "message": ""}]), (
            notices,
            b.log()[-2000:],
        )
    finally:
        for user in people:
            user.close()
        stop_all(servers)
