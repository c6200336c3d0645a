"""Deploy rehearsal: the docker-compose shape on this machine, without Docker.

nginx (the Debian package) runs `deploy/nginx.conf` with its upstreams pointed at three
`python wsgi.py` web processes on loopback (ip_hash keeps each client on one process), with
a Celery worker and beat beside them, all sharing one PostgreSQL database and one Redis.
Then a show and its chat run through nginx:

1. `--users` members sign up through nginx, each from its own loopback network
   (127.0.N.1) so ip_hash spreads them over the three processes as it would real clients;
2. the host opens a room, the others join, everyone's socket subscribes to the room and its
   chat, the host starts the show, and members post chat lines and clap;
3. one web process (the one holding the most sockets) is killed with SIGKILL; its clients
   reconnect through nginx to the others and subscribe again;
4. more lines are posted; then the rehearsal's own Redis is killed and started again empty
   while lines keep coming (each must answer below 500);
5. finally every client reads the chat history, and the run reports deliveries, anything
   lost (live, or filled from the history after a reconnect or a gap, as chat.js does), and
   where each socket landed.

    python -m bench.rehearsal --users 9 --lines 30

Benchmarks report; they never assert. Needs nginx, PostgreSQL and Redis.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import signal
import sys
import time
import uuid
from collections import Counter
from contextlib import closing

from bench.deploy_shape import DeployShape, client_address, nginx_available
from bench.harness import DEFAULT_PG, common_arguments, not_available, report
from bench.users import HttpUser

LINE = re.compile(r"rehearsal-(\d+)-line")
SEQ = re.compile(r'data-seq="(\d+)"')


# ---------------------------------------------------------------- the people


class Member:
    """One person: an HTTP session and a socket, both bound to the person's own address."""

    def __init__(self, base_url: str, address: str, username: str) -> None:

        self.address = address
        self.username = username
        self.http = HttpUser(base_url, username, local_addr=address)
        self.lines: set[int] = set()
        self.caught_up: set[int] = set()
        self.last_seq = 0
        self.tasks: set[asyncio.Future] = set()  # gap fills in flight, kept alive until done
        self.connects = 0
        self.sio = None

    async def sign_up(self) -> None:
        """Create the account through the form; the session stays logged in."""
        await self.http.fetch_token("/auth/signup")
        status, body, _ = await self.http.post(
            "/auth/signup",
            {"username": self.username, "display_name": self.username, "password": "rehearsal"},
            htmx=False,
        )
        if status != 303:
            raise RuntimeError(f"signup of {self.username} answered {status}: {body[:300]}")
        await self.http.fetch_token("/")

    async def connect(self, room_id: int, subscriptions: list[dict]) -> None:
        """Open the socket (reconnecting by itself) and subscribe on every (re)connect.

        After a reconnect it catches up from the history, as chat.js does with `?after=`.
        Polling first, then the websocket upgrade, as a browser does: the polling requests
        are what ip_hash must keep on one process.
        """
        import aiohttp
        import socketio

        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(local_addr=(self.address, 0)),
            cookie_jar=aiohttp.CookieJar(unsafe=True),
        )
        self.socket_session = session
        sio = socketio.AsyncClient(
            reconnection=True,
            reconnection_delay=0.2,
            reconnection_delay_max=1,
            http_session=session,
        )

        async def subscribe() -> None:
            self.connects += 1
            for subscription in subscriptions:
                await sio.call("subscribe", subscription, timeout=15)
            if self.connects > 1:
                self.caught_up |= await self.history(room_id) - self.lines

        def on_message(data: dict) -> None:
            html = data.get("html", "") if isinstance(data, dict) else ""
            match, seq = LINE.search(html), SEQ.search(html)
            if match:
                self.lines.add(int(match.group(1)))
            if seq:
                if int(seq.group(1)) > self.last_seq + 1:
                    # A gap: chat.js fetches `?after=` the last line it holds.
                    self.tasks.add(asyncio.ensure_future(self._fill_gap(room_id)))
                self.last_seq = max(self.last_seq, int(seq.group(1)))

        sio.on("connect", lambda: asyncio.ensure_future(subscribe()))
        sio.on("chat:message", on_message)
        await sio.connect(
            self.http.base_url,
            headers={"Cookie": self.http.cookie_header()},
            wait_timeout=15,
        )
        self.sio = sio

    async def _fill_gap(self, room_id: int) -> None:
        """Fetch the lines a gap skipped, as chat.js does."""
        self.caught_up |= await self.history(room_id) - self.lines

    async def history(self, room_id: int) -> set[int]:
        """Read the room chat's lines through nginx, as a reconnecting page does."""
        seen: set[int] = set()
        url = f"{self.http.base_url}/rooms/{room_id}/messages?after=0"
        async with self.http.session.get(url, headers={"HX-Request": "true"}) as response:
            seen.update(int(n) for n in LINE.findall(await response.text()))
        return seen

    async def close(self) -> None:
        """Close the socket and the sessions."""
        if self.sio is not None:
            await self.sio.disconnect()
            await self.socket_session.close()
        await self.http.close()


# ---------------------------------------------------------------- the scenario


async def post_lines(members: list[Member], room_id: int, first: int, count: int) -> dict:
    """Post `count` chat lines round-robin over the members; count the answers."""
    statuses: Counter = Counter()
    for n in range(first, first + count):
        member = members[n % len(members)]
        status, _b, _h = await member.http.post(
            f"/rooms/{room_id}/messages",
            {"body": f"rehearsal-{n}-line", "client_id": uuid.uuid4().hex},
        )
        statuses[status] += 1
        if n % len(members) == 0 and member is members[1]:
            await member.http.post(f"/rooms/{room_id}/react", {"kind": "clap"})
        await asyncio.sleep(0.05)
    return dict(statuses)


async def show(args, shape: DeployShape) -> dict:
    """Run the show and chat through nginx, kill one web process mid-show, and report."""
    env, nginx, webs, redis_server = shape.env, shape.nginx, shape.webs, shape.redis
    members = [
        Member(nginx.url, client_address(n), f"rehearsal{n}_{uuid.uuid4().hex[:4]}")
        for n in range(args.users)
    ]
    try:
        for member in members:
            await member.sign_up()
        host = members[0]
        status, body, headers = await host.http.post(
            "/rooms/",
            {
                "title": "Rehearsal night",
                "category": "karaoke",
                "mode": "ranked",
                "capacity": str(args.users),
            },
            htmx=False,
        )
        match = re.search(r"/rooms/(\d+)", headers.get("Location", ""))
        if status != 303 or not match:
            return {"error": f"opening the room answered {status}: {body[:300]}"}
        room_id = int(match.group(1))
        for member in members[1:]:
            await member.http.post(f"/rooms/{room_id}/join", {}, htmx=False)
        async with host.http.session.get(
            f"{nginx.url}/rooms/{room_id}/messages", headers={"HX-Request": "true"}
        ) as response:
            await response.read()
        with closing(env.db()) as conn, conn.cursor() as cur:
            cur.execute("SELECT id FROM channels WHERE room_id = %s", (room_id,))
            channel_id = cur.fetchone()[0]
        for member in members:
            await member.connect(room_id, [{"room_id": room_id}, {"channel_id": channel_id}])
        await asyncio.sleep(1)
        landed_before = nginx.socket_landings()
        ids = re.findall(
            r'data-user-id="(\d+)"',
            await (await members[1].http.session.get(nginx.url + "/")).text(),
        )
        started, _b, _h = await host.http.post(
            f"/rooms/{room_id}/start", {"first_performer_id": ids[0] if ids else ""}, htmx=False
        )

        half = args.lines // 2
        before = await post_lines(members, room_id, 0, half)
        await asyncio.sleep(1)

        # Kill the web process that holds the most sockets, without a goodbye.
        by_upstream = Counter(max(c, key=c.get) for c in landed_before.values() if c)
        victim_addr = by_upstream.most_common(1)[0][0] if by_upstream else ""
        victim = next((w for w in webs if victim_addr.endswith(f":{w.port}")), webs[0])
        victim.process.send_signal(signal.SIGKILL)
        victim.process.wait(timeout=10)
        killed_at = time.monotonic()
        moved = [m for m in members if victim_addr in landed_before.get(m.address, {})]
        for _ in range(150):
            if all(m.connects >= 2 and m.sio.connected for m in moved):
                break
            await asyncio.sleep(0.2)
        reconnected_s = time.monotonic() - killed_at

        third = (args.lines - half) // 2
        after = await post_lines(members, room_id, half, third)

        # Redis restarts mid-show: lines posted while it is away must answer below 500.
        redis_server.stop()
        during = await post_lines(members, room_id, half + third, 5)
        health_during = await (await host.http.session.get(nginx.url + "/healthz")).json()
        redis_server.start()
        # Chat sheds new posts for 5 s after a lost publish (chat.PUBLISH_TROUBLE_SECONDS).
        await asyncio.sleep(6)
        rest = await post_lines(members, room_id, half + third + 5, args.lines - half - third)
        await asyncio.sleep(2)
        accepted = sum(
            phase.get(code, 0) for phase in (before, after, during, rest) for code in (200, 201)
        )
        history = await members[-1].history(room_id)
        per_member = []
        for member in members:
            live = member.lines
            per_member.append(
                {
                    "address": member.address,
                    "connects": member.connects,
                    "live_lines": len(live),
                    "caught_up_after_reconnect": len(member.caught_up),
                    "lost": sorted(history - live - member.caught_up),
                }
            )
        return {
            "room_id": room_id,
            "start_status": started,
            "post_statuses_before_kill": before,
            "post_statuses_after_kill": after,
            "post_statuses_redis_down": during,
            "healthz_redis_down": health_during,
            "post_statuses_after_redis_back": rest,
            "accepted_posts": accepted,
            "lines_in_history": len(history),
            "killed": f"127.0.0.1:{victim.port}",
            "clients_on_killed_process": len(moved),
            "reconnect_seconds": round(reconnected_s, 2),
            "sockets_per_upstream_before": dict(by_upstream),
            "landed_after": {a: dict(c) for a, c in nginx.socket_landings().items()},
            "members": per_member,
        }
    finally:
        for member in members:
            try:
                await member.close()
            except Exception as error:  # closing must not hide the results
                print(f"warning: closing {member.username}: {error}", file=sys.stderr)


def summary(result: dict) -> list[str]:
    """Readable lines for the report."""
    if "error" in result:
        return [f"rehearsal failed: {result['error']}"]
    lines = [
        f"sockets per web process before the kill: {result['sockets_per_upstream_before']}",
        f"killed {result['killed']}; every client connected again after "
        f"{result['reconnect_seconds']} s",
        f"posts before / after the kill: {result['post_statuses_before_kill']} / "
        f"{result['post_statuses_after_kill']}; lines in history {result['lines_in_history']}",
        f"posts while Redis was down / after it came back: {result['post_statuses_redis_down']}"
        f" / {result['post_statuses_after_redis_back']}; /healthz said "
        f"{result['healthz_redis_down']}",
    ]
    for member in result["members"]:
        lines.append(
            f"  {member['address']}: {member['connects']} connects, "
            f"{member['live_lines']} lines live, {member['caught_up_after_reconnect']} filled "
            f"from history (reconnect or gap), lost {member['lost'] or 'none'}"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, start the processes, rehearse, report and clean up."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.rehearsal",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common_arguments(parser)
    parser.add_argument("--users", type=int, default=9, help="members of the show (default 9)")
    parser.add_argument("--lines", type=int, default=30, help="chat lines to post (default 30)")
    args = parser.parse_args(argv)
    if not nginx_available():
        not_available("rehearsal", "nginx is not installed (apt-get install nginx)", args.json_out)
        return
    if not shutil.which("redis-server"):
        not_available("rehearsal", "redis-server is not installed", args.json_out)
        return
    # Redis is restarted mid-show, so the shape brings its own instead of --redis-url.
    with DeployShape(
        database_url=args.database_url or DEFAULT_PG, async_mode=args.async_mode
    ) as shape:
        result = asyncio.run(show(args, shape))
        # Stop the processes first: the count must not race a late post.
        for web in shape.webs:
            web.stop()
        with closing(shape.env.db()) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM messages")
            result["messages_in_database"] = cur.fetchone()[0]
    report("rehearsal", result, summary(result), args.json_out)


if __name__ == "__main__":
    main()
