"""A saturated server sheds new posts with 429 instead of accepting lines it cannot deliver.

The server's Redis is paused for writes, so the posts in flight stall inside the server;
with its limit of two posts in flight, a third is shed at once, and the two it accepted are
delivered once Redis answers again.
"""

from __future__ import annotations

import threading
import time

import pytest

from tests.conftest import REDIS_PREFIX, _wipe_tables, make_app
from tests.realtime.chat_live import ChatUser, private_redis, start_group, wait_for
from tests.support.live_server import LiveServer

__all__ = ["private_redis"]

pytestmark = [pytest.mark.realtime, pytest.mark.redis]


def test_saturated_server_sheds_with_429_and_delivers_what_it_accepted(
    database, private_redis, tmp_path
):
    server = LiveServer(
        database.url,
        redis_url=private_redis.url,
        prefix=f"{REDIS_PREFIX}shed:",
        instance_path=str(tmp_path / "instance"),
        extra_env={"ENCORE_CHAT_MAX_INFLIGHT_POSTS": "2"},
    ).start()
    people: list[ChatUser] = []
    try:
        mina = ChatUser(server.url).signup("mina")
        junho = ChatUser(server.url).signup("junho")
        seoyeon = ChatUser(server.url).signup("seoyeon")
        people = [mina, junho, seoyeon]
        group = start_group(mina, "Rush", "junho seoyeon")
        url = f"/chats/{group}/messages"
        seoyeon.connect()
        seoyeon.subscribe(group)
        tokens = {u: u.csrf() for u in (mina, junho)}  # fetched before Redis stalls

        results: dict[str, object] = {}

        def send(user: ChatUser, body: str) -> None:
            results[body] = user.http.post(
                server.url + url,
                data={"body": body, "client_id": body.replace(" ", "-") + "-0001"},
                headers={"X-CSRFToken": tokens[user], "HX-Request": "true"},
                timeout=30,
            )

        private_redis.client().execute_command("CLIENT", "PAUSE", "2500", "WRITE")
        stalled = [
            threading.Thread(target=send, args=(mina, "first in")),
            threading.Thread(target=send, args=(junho, "second in")),
        ]
        for thread in stalled:
            thread.start()
        time.sleep(0.8)  # both are inside the server, waiting on Redis
        started = time.monotonic()
        send(junho, "third is shed")
        shed = results["third is shed"]
        assert time.monotonic() - started < 1.5  # answered at once, not queued behind Redis
        assert shed.status_code == 429
        assert shed.headers["Retry-After"] == "2"
        assert "Chat is very busy" in shed.text
        assert shed.headers["HX-Retarget"] == "#toasts"

        for thread in stalled:
            thread.join(timeout=30)
        accepted = sorted(int(results[b].headers["X-Chat-Seq"]) for b in ("first in", "second in"))
        assert [results[b].status_code for b in ("first in", "second in")] == [201, 201]
        assert accepted == [2, 3]
        assert wait_for(lambda: sorted(seoyeon.seqs(group)) == [2, 3], timeout=10)
        assert seoyeon.history(url) == [1, 2, 3]  # the shed line was never stored
    finally:
        for user in people:
            user.close()
        server.stop()
        application = make_app()
        with application.app_context():
            _wipe_tables()
