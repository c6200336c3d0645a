"""Chat across two web processes sharing Redis: every member gets every line exactly once,
and delivery resumes after Redis restarts."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.conftest import REDIS_PREFIX, _wipe_tables, make_app
from tests.realtime.chat_live import ChatUser, private_redis, start_group, wait_for
from tests.support.live_server import LiveServer

__all__ = ["private_redis"]  # the fixture, imported for this module

pytestmark = [pytest.mark.realtime, pytest.mark.redis]


def two_servers(database, redis_url: str, tmp_path, prefix: str) -> list[LiveServer]:
    """Start two `python wsgi.py` processes on one database and one Redis."""
    servers = []
    for name in ("a", "b"):
        servers.append(
            LiveServer(
                database.url,
                redis_url=redis_url,
                prefix=prefix,
                instance_path=str(tmp_path / f"instance-{name}"),
            ).start()
        )
    return servers


def stop_all(servers: list[LiveServer]) -> None:
    """Stop the servers and empty the database for the next test."""
    for server in servers:
        server.stop()
    application = make_app()
    with application.app_context():
        _wipe_tables()


def cast(a: LiveServer, b: LiveServer):
    """Mina and seoyeon sit on server A, junho on server B; all three are in one group."""
    mina = ChatUser(a.url).signup("mina", "김민아")
    junho = ChatUser(b.url).signup("junho", "박준호")
    seoyeon = ChatUser(a.url).signup("seoyeon", "이서연")
    group = start_group(mina, "Two servers", "junho seoyeon")
    # mina listens on B and the others on the server they signed up on, so every delivery
    # to someone crosses between the processes for some posts.
    mina.connect(b.url)
    junho.connect()
    seoyeon.connect()
    for user in (mina, junho, seoyeon):
        user.subscribe(group)
    return [mina, junho, seoyeon], group


def test_two_processes_deliver_every_line_to_every_member_exactly_once(
    database, redis_url, tmp_path
):
    servers = two_servers(
        database, redis_url, tmp_path, f"{REDIS_PREFIX}two-{uuid.uuid4().hex[:6]}:"
    )
    people: list[ChatUser] = []
    try:
        a, b = servers
        people, group = cast(a, b)
        url = f"/chats/{group}/messages"
        sent = []
        for n in range(3):
            for i, user in enumerate(people):
                server = (a, b)[(n + i) % 2].url  # posts go to both processes
                seq = user.say(url, f"line {n} from {i}", server=server)
                assert seq > 0, (seq, server)
                sent.append(seq)
        assert sorted(sent) == list(range(2, 11))  # 1 is "started the group"
        for user in people:
            assert wait_for(lambda u=user: len(u.seqs(group)) >= len(sent), timeout=15), (
                user.seqs(group),
                a.log()[-2000:],
                b.log()[-2000:],
            )
        time.sleep(0.5)  # anything duplicated would have arrived by now
        for user in people:
            got = user.seqs(group)
            assert sorted(got) == sorted(sent), got
            assert len(got) == len(set(got)) == len(sent)
        # The `inbox` nudge crosses processes too: each post's one emit to all the members'
        # rooms reached every member once, wherever they listen.
        for user in people:
            assert user.inbox == [{"channel_id": group}] * len(sent), user.inbox
    finally:
        for user in people:
            user.close()
        stop_all(servers)


def test_both_processes_resume_delivery_after_redis_restarts(database, private_redis, tmp_path):
    servers = two_servers(database, private_redis.url, tmp_path, f"{REDIS_PREFIX}restart:")
    people: list[ChatUser] = []
    try:
        a, b = servers
        people, group = cast(a, b)
        mina, junho, seoyeon = people
        url = f"/chats/{group}/messages"
        assert mina.say(url, "before the restart", server=a.url) == 2
        assert wait_for(lambda: all(u.seqs(group) == [2] for u in people))

        private_redis.stop()
        time.sleep(1.0)
        private_redis.start()

        # Pub/sub is at-most-once: probes may be shed (429) or lost until both processes have
        # subscribed again. A process hands its own sockets a line directly, so a probe posted
        # to A and seen everywhere proves B's listener, and one posted to B proves A's. Keep
        # probing each server, alternating senders, until both have been proven. A refused
        # probe waits its Retry-After like a real client rather than hammering a server that
        # is shedding.
        senders = {"a": (a.url, [junho, mina, seoyeon]), "b": (b.url, [seoyeon, mina, junho])}
        proven: set[str] = set()
        deadline = time.monotonic() + 30
        n = 0
        while time.monotonic() < deadline and len(proven) < 2:
            refused = False
            for side, (server, users) in senders.items():
                if side in proven:
                    continue
                seq = users[n % len(users)].say(url, f"probe {n} via {side}", server=server)
                refused = refused or seq == -429
                if seq > 0 and wait_for(lambda s=seq: all(s in u.seqs(group) for u in people), 1):
                    proven.add(side)
            if refused:
                time.sleep(1.0)
            n += 1
        assert len(proven) == 2, (proven, a.log()[-3000:], b.log()[-3000:])

        # Delivery is back on both processes: new lines reach everyone exactly once. A post may
        # still be shed for a moment (a probe's publish lost just before its listener proved
        # itself); the sender waits the Retry-After and sends again, as the "try again" toast
        # asks.
        time.sleep(1.0)
        fresh = []
        for user, server in ((mina, a.url), (junho, b.url), (seoyeon, a.url)):
            seq = user.say_when_admitted(url, f"after the restart {user.base_url[-5:]}", server)
            assert seq > 0, (seq, user.last_response.text[:500], a.log()[-3000:], b.log()[-3000:])
            fresh.append(seq)
        for user in people:
            assert wait_for(lambda u=user: set(fresh) <= set(u.seqs(group)), timeout=10), (
                fresh,
                [u.seqs(group) for u in people],
                a.log()[-3000:],
                b.log()[-3000:],
            )
            got = user.seqs(group)
            assert len(got) == len(set(got)), got
            # Whatever the outage swallowed comes back through the catch-up fetch.
            held = sorted(set(got))
            missing = sorted(set(range(2, max(held) + 1)) - set(held))
            refill = user.history(url, after=2)
            assert sorted(set(held) | set(refill)) == list(range(2, max(held) + 1))
            assert set(missing) <= set(refill)
    finally:
        for user in people:
            user.close()
        stop_all(servers)
