"""The fan-out's groups: show rooms opened and joined through the real pages, group
conversations written as rows, every member logged in with a session of their own (or the
bare server's rooms), and who is subscribed where."""

from __future__ import annotations

import re
from contextlib import closing
from dataclasses import dataclass, field

from bench.harness import (
    BenchEnv,
)
from bench.users import HttpUser, bulk_users, login_all, route_exists


@dataclass
class Group:
    """One room or conversation: its channel, where to post, and its members' indexes."""

    kind: str
    channel_id: int
    post_path: str
    members: list[int]
    subscribe: list[dict]
    next_poster: int = 0


@dataclass
class Setup:
    """Everything a run needs once users are logged in and groups exist."""

    groups: list[Group]
    client_specs: list[dict]
    http: list = field(default_factory=list)  # an HttpUser per member, by member index
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- setting up groups


async def setup_encore(
    env: BenchEnv, base_urls: list[str], args, addresses: list[str] | None = None
) -> Setup | str:
    """Create users, log them in, and build rooms and/or conversations; or say why not.

    Users go round-robin over `base_urls`; with `addresses` (behind nginx) user n's
    requests and socket come from `addresses[n]`.
    """
    kinds = []
    if args.kind in ("rooms", "mixed") and await route_exists(base_urls[0], "/rooms/"):
        kinds.append("rooms")
    if args.kind in ("chats", "mixed") and await route_exists(base_urls[0], "/chats/"):
        kinds.append("chats")
    if not kinds:
        return f"no {args.kind} routes (GET /rooms/ and /chats/ answer 404)"
    group_size = max(2, min(50, args.group_size))
    count = max(group_size, args.clients - args.clients % group_size)
    with closing(env.db()) as conn:
        users = bulk_users(conn, count, "fan" + env.run_id)
    sessions = await login_all(base_urls, users, addresses=addresses)
    groups: list[Group] = []
    for g in range(count // group_size):
        members = list(range(g * group_size, (g + 1) * group_size))
        kind = kinds[g % len(kinds)]
        if kind == "rooms":
            group = await _make_room(env, sessions, members, g)
        else:
            group = _make_chat(env, users, members, g)
        if isinstance(group, str):
            return group
        groups.append(group)
    specs = []
    for group in groups:
        for member in group.members:
            specs.append(
                {
                    "index": member,
                    "url": sessions[member].base_url,
                    "cookie": sessions[member].cookie_header(),
                    "subscribe": group.subscribe,
                    "address": addresses[member] if addresses else None,
                }
            )
    return Setup(groups, specs, sessions)


async def _make_room(env: BenchEnv, sessions: list[HttpUser], members: list[int], n: int):
    host = sessions[members[0]]
    status, _body, headers = await host.post(
        "/rooms/",
        {
            "title": f"Bench room {n}",
            "description": "fan-out benchmark",
            "category": "talent",
            "mode": "casual",
            "capacity": str(len(members)),
        },
        htmx=False,
    )
    match = re.search(r"/rooms/(\d+)", headers.get("Location", ""))
    if status not in (302, 303) or not match:
        return f"creating a room answered {status}"
    room_id = int(match.group(1))
    for member in members[1:]:
        status, _body, _headers = await sessions[member].post(
            f"/rooms/{room_id}/join", {}, htmx=False
        )
        if status >= 400:
            return f"joining room {room_id} answered {status}"
    # A browser follows the create and join redirects to the room page, which shows (and so
    # clears) the notice they left in the session. Without it every later request would
    # carry that notice in its cookie, which a real member's does not.
    for member in members:
        member_session = sessions[member]
        page = f"{member_session.base_url}/rooms/{room_id}"
        async with member_session.session.get(page) as response:
            await response.read()
            if response.status != 200:
                return f"room {room_id}'s page answered {response.status}"
    # The room's chat channel may be created on first use: open the chat once, as a page does.
    async with host.session.get(
        f"{host.base_url}/rooms/{room_id}/messages", headers={"HX-Request": "true"}
    ) as response:
        await response.read()
    with closing(env.db()) as conn, conn.cursor() as cur:
        cur.execute("SELECT id FROM channels WHERE room_id = %s", (room_id,))
        row = cur.fetchone()
    if row is None:
        return f"room {room_id} has no chat channel"
    return Group(
        "room",
        row[0],
        f"/rooms/{room_id}/messages",
        members,
        [{"room_id": room_id}, {"channel_id": row[0]}],
    )


def _make_chat(env: BenchEnv, users: list, members: list[int], n: int) -> Group:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    with closing(env.db()) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO channels (kind, title, last_seq, created_by_id, created_at)"
            " VALUES ('group', %s, 0, %s, %s) RETURNING id",
            (f"Bench group {n}", users[members[0]][0], now),
        )
        channel_id = cur.fetchone()[0]
        for member in members:
            cur.execute(
                "INSERT INTO channel_members (channel_id, user_id, joined_at, last_read_seq)"
                " VALUES (%s, %s, %s, 0)",
                (channel_id, users[member][0], now),
            )
    return Group(
        "chat", channel_id, f"/chats/{channel_id}/messages", members, [{"channel_id": channel_id}]
    )


def setup_bare(base_urls: list[str], args, addresses: list[str] | None = None) -> Setup:
    """Anonymous clients in groups; posts go to the bare server's /post."""
    group_size = max(2, min(50, args.group_size))
    count = max(group_size, args.clients - args.clients % group_size)
    groups, specs = [], []
    for g in range(count // group_size):
        members = list(range(g * group_size, (g + 1) * group_size))
        groups.append(Group("bare", g + 1, "/post", members, [{"channel_id": g + 1}]))
        for member in members:
            specs.append(
                {
                    "index": member,
                    "url": base_urls[member % len(base_urls)],
                    "cookie": None,
                    "subscribe": [{"channel_id": g + 1}],
                    "address": addresses[member] if addresses else None,
                }
            )
    # One client connection per member, as each Encore user has its own session: a post
    # arrives on the poster's own keep-alive connection, idle since their last line, on
    # both servers, not on a shared connection a steady rate keeps awake.
    http = [HttpUser(spec["url"], connections=1, local_addr=spec["address"]) for spec in specs]
    return Setup(groups, specs, http)


# ---------------------------------------------------------------- posting and measuring
