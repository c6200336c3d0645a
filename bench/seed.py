"""Bulk-seed a dataset of a chosen size straight into the tables of app/models, with COPY.

    python -m bench.seed --database-url postgresql://postgres@127.0.0.1:5432/encore_big \\
        --create --users 100000 --rooms 10000 --performances 1000000

Users are `seed_<n>` with the password "bench-password" (a cheap hash, so logins cost the
server little). Room 1 is a live show with 50 members, for the room-page measurements;
about 5 % of rooms wait in the lobby, 5 % are live and the rest are finished, two thirds of
them ranked. Performances spread over the live and finished rooms with averages of 1–10;
each room has its chat channel with its members. The run is deterministic (`--seed`).
"""

from __future__ import annotations

import argparse
import io
import random
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta

from bench.harness import DEFAULT_PG, migrate, pg_connect, with_database
from bench.users import cheap_password_hash

CATEGORIES = ("talent", "karaoke", "dance", "comedy", "challenge", "instrument")
CHUNK_ROWS = 200_000
TABLES = (
    "scores",
    "messages",
    "channel_members",
    "channels",
    "room_members",
    "performances",
    "rooms",
    "follows",
    "oauth_accounts",
    "users",
)


# The columns the seeders COPY into (bench/leaderboard_seed.py uses them too).
USER_COLUMNS = (
    "id",
    "username",
    "username_key",
    "display_name",
    "password_hash",
    "bio",
    "timezone",
    "session_token",
    "created_at",
)
PERFORMANCE_COLUMNS = (
    "id",
    "room_id",
    "performer_id",
    "turn",
    "phase",
    "category",
    "started_at",
    "ended_at",
    "closed_at",
    "claps",
    "mirror_balls",
    "average",
    "counts_toward_ranking",
)


def _ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S+00")


class Copier:
    """Buffers rows for one table and COPYs them in chunks."""

    def __init__(self, cur, table: str, columns: tuple[str, ...], after: tuple = ()) -> None:
        self.cur, self.table, self.columns = cur, table, columns
        self.after = after  # copiers whose rows these rows reference: flushed first
        self.buffer = io.StringIO()
        self.rows = 0
        self.pending = 0

    def add(self, *values: object) -> None:
        """Queue one row (None is NULL)."""
        self.buffer.write("\t".join("\\N" if v is None else str(v) for v in values) + "\n")
        self.pending += 1
        if self.pending >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        """COPY what is queued."""
        for parent in self.after:
            parent.flush()
        if not self.pending:
            return
        self.buffer.seek(0)
        self.cur.copy_expert(
            f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN", self.buffer
        )
        self.rows += self.pending
        self.pending = 0
        self.buffer = io.StringIO()


def seed(
    database_url: str,
    *,
    users: int,
    rooms: int,
    performances: int,
    follows_per_user: int = 5,
    scores_per_performance: int = 0,
    messages_per_room: int = 0,
    seed_value: int = 7,
    truncate: bool = False,
) -> dict:
    """Fill the database; return row counts and seconds taken per table."""
    users = max(users, 60)
    rooms = max(rooms, 1)
    rng = random.Random(seed_value)
    now = datetime.now(UTC).replace(microsecond=0)
    timings: dict[str, float] = {}
    counts: dict[str, int] = {}
    started = time.monotonic()
    with closing(pg_connect(database_url, autocommit=False)) as conn, conn.cursor() as cur:
        if truncate:
            cur.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
        cur.execute("SELECT count(*) FROM users")
        if cur.fetchone()[0]:
            raise SystemExit("the database already has users; pass --truncate to replace them")

        mark = time.monotonic()
        password = cheap_password_hash()
        copier = Copier(
            cur,
            "users",
            USER_COLUMNS,
        )
        for n in range(1, users + 1):
            name = f"seed_{n}"
            joined = now - timedelta(minutes=n % 500_000)
            copier.add(
                n, name, name, f"Singer {n}", password, "", "Asia/Seoul", f"{n:032x}", _ts(joined)
            )
        copier.flush()
        counts["users"], timings["users"] = copier.rows, time.monotonic() - mark

        mark = time.monotonic()
        copier = Copier(cur, "follows", ("follower_id", "followed_id", "created_at"))
        for n in range(1, users + 1):
            for j in range(1, min(follows_per_user, users - 1) + 1):
                followed = (n - 1 + j * 37) % users + 1
                if followed != n:
                    copier.add(n, followed, _ts(now))
        copier.flush()
        counts["follows"], timings["follows"] = copier.rows, time.monotonic() - mark

        mark = time.monotonic()
        room_copier = Copier(
            cur,
            "rooms",
            (
                "id",
                "title",
                "description",
                "category",
                "mode",
                "capacity",
                "seats_taken",
                "host_id",
                "status",
                "version",
                "created_at",
                "started_at",
                "finished_at",
            ),
        )
        member_copier = Copier(
            cur,
            "room_members",
            ("room_id", "user_id", "joined_at", "left_at", "has_performed"),
            (room_copier,),
        )
        channel_copier = Copier(
            cur,
            "channels",
            ("id", "kind", "title", "room_id", "last_seq", "created_at"),
            (room_copier,),
        )
        channel_member_copier = Copier(
            cur,
            "channel_members",
            ("channel_id", "user_id", "joined_at", "last_read_seq"),
            (channel_copier,),
        )
        perf_copier = Copier(
            cur,
            "performances",
            PERFORMANCE_COLUMNS,
            (room_copier,),
        )
        message_copier = Copier(
            cur,
            "messages",
            ("channel_id", "sender_id", "kind", "seq", "body", "client_id", "created_at"),
            (channel_copier,),
        )
        score_copier = Copier(
            cur, "scores", ("performance_id", "scorer_id", "value", "created_at"), (perf_copier,)
        )
        lobby_cut = max(1, rooms // 20)
        live_cut = lobby_cut * 2
        # Room 1 is live with 50 members; then lobby rooms, live rooms, finished rooms.
        statuses = ["live"] + [
            "lobby" if r <= lobby_cut else "live" if r <= live_cut else "finished"
            for r in range(2, rooms + 1)
        ]
        showing = [r for r in range(1, rooms + 1) if statuses[r - 1] != "lobby"]
        per_room, extra = divmod(performances, max(1, len(showing)))
        perf_id = 0
        current: list[tuple[int, int]] = []
        for room_id in range(1, rooms + 1):
            status = statuses[room_id - 1]
            capacity = 50 if room_id == 1 else rng.randint(2, 50)
            if status == "lobby":
                seated = rng.randint(1, capacity)
            else:
                seated = capacity if room_id == 1 else rng.randint(2, capacity)
            start = rng.randrange(users)
            member_ids = [(start + k) % users + 1 for k in range(seated)]
            category = CATEGORIES[room_id % len(CATEGORIES)]
            mode = "ranked" if room_id % 3 else "casual"
            created = now - timedelta(minutes=rng.randint(5, 60 * 24 * 90))
            started_at = created + timedelta(minutes=5) if status != "lobby" else None
            turns = 0
            if status != "lobby":
                turns = per_room + (1 if extra > 0 else 0)
                extra -= 1
            finished_at = (
                started_at + timedelta(minutes=3 * turns + 1) if status == "finished" else None
            )
            room_copier.add(
                room_id,
                f"Room {room_id}: {category} night",
                "A benchmark room.",
                category,
                mode,
                capacity,
                seated,
                member_ids[0],
                status,
                turns + 1,
                _ts(created),
                _ts(started_at) if started_at else None,
                _ts(finished_at) if finished_at else None,
            )
            for k, user_id in enumerate(member_ids):
                member_copier.add(room_id, user_id, _ts(created), None, "t" if k < turns else "f")
                channel_member_copier.add(room_id, user_id, _ts(created), 0)
            channel_copier.add(room_id, "room", "", room_id, messages_per_room, _ts(created))
            for seq in range(1, messages_per_room + 1):
                sender = member_ids[seq % len(member_ids)]
                message_copier.add(
                    room_id, sender, "user", seq, f"line {seq}", f"s{room_id}-{seq}", _ts(created)
                )
            for turn in range(1, turns + 1):
                perf_id += 1
                performer = member_ids[(turn - 1) % len(member_ids)]
                begun = started_at + timedelta(minutes=3 * (turn - 1))
                on_air = status == "live" and turn == turns
                average = None if on_air else f"{rng.randint(100, 1000) / 100:.2f}"
                perf_copier.add(
                    perf_id,
                    room_id,
                    performer,
                    turn,
                    "on_air" if on_air else "closed",
                    category,
                    _ts(begun),
                    None if on_air else _ts(begun + timedelta(minutes=2)),
                    None if on_air else _ts(begun + timedelta(minutes=3)),
                    rng.randint(0, 200),
                    rng.randint(0, 50),
                    average,
                    "t" if (mode == "ranked" and not on_air) else "f",
                )
                if on_air:
                    current.append((room_id, perf_id))
                elif scores_per_performance:
                    scorers = [u for u in member_ids if u != performer][:scores_per_performance]
                    for scorer in scorers:
                        score_copier.add(perf_id, scorer, rng.randint(1, 10), _ts(begun))
        for copier in (room_copier, member_copier, channel_copier, channel_member_copier):
            copier.flush()
        counts["rooms"], counts["room_members"] = room_copier.rows, member_copier.rows
        counts["channels"] = channel_copier.rows
        counts["channel_members"] = channel_member_copier.rows
        timings["rooms"] = time.monotonic() - mark

        mark = time.monotonic()
        perf_copier.flush()
        counts["performances"], timings["performances"] = perf_copier.rows, time.monotonic() - mark
        mark = time.monotonic()
        score_copier.flush()
        message_copier.flush()
        counts["scores"], counts["messages"] = score_copier.rows, message_copier.rows
        timings["scores_messages"] = time.monotonic() - mark

        mark = time.monotonic()
        if current:
            from psycopg2.extras import execute_values

            execute_values(
                cur,
                "UPDATE rooms SET current_performance_id = v.p FROM (VALUES %s) AS v(r, p)"
                " WHERE rooms.id = v.r",
                current,
                page_size=5000,
            )
        for table in ("users", "rooms", "performances", "channels", "room_members"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT COALESCE(max(id), 1) FROM {table}))"
            )
        for table in ("channel_members", "messages", "scores"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT COALESCE(max(id), 0) + 1 FROM {table}), false)"
            )
        conn.commit()
        timings["finish"] = time.monotonic() - mark
    with closing(pg_connect(database_url)) as conn, conn.cursor() as cur:
        mark = time.monotonic()
        cur.execute("VACUUM ANALYZE")
        timings["vacuum_analyze"] = time.monotonic() - mark
    return {
        "rows": counts,
        "seconds": {k: round(v, 1) for k, v in timings.items()},
        "total_seconds": round(time.monotonic() - started, 1),
    }


def create_database(server_url: str, name: str) -> str:
    """Create database `name` on the server, migrate it, and return its URL."""
    import tempfile

    with closing(pg_connect(server_url)) as conn, conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    url = with_database(server_url, name)
    migrate(url, tempfile.mkdtemp(prefix="encore-seed-"))
    return url


def main(argv: list[str] | None = None) -> None:
    """Seed from the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.seed",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--database-url", help="the database to fill (migrated)")
    parser.add_argument(
        "--create",
        metavar="NAME",
        help="create and migrate database NAME on --server-url first",
    )
    parser.add_argument("--server-url", default=DEFAULT_PG, help="PostgreSQL server for --create")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--rooms", type=int, default=10_000)
    parser.add_argument("--performances", type=int, default=1_000_000)
    parser.add_argument("--follows-per-user", type=int, default=5)
    parser.add_argument("--scores-per-performance", type=int, default=0)
    parser.add_argument("--messages-per-room", type=int, default=0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--truncate", action="store_true", help="empty the tables first")
    args = parser.parse_args(argv)
    if args.create:
        url = create_database(args.server_url, args.create)
    elif args.database_url:
        url = args.database_url
    else:
        parser.error("give --database-url or --create NAME")
    result = seed(
        url,
        users=args.users,
        rooms=args.rooms,
        performances=args.performances,
        follows_per_user=args.follows_per_user,
        scores_per_performance=args.scores_per_performance,
        messages_per_room=args.messages_per_room,
        seed_value=args.seed,
        truncate=args.truncate,
    )
    print(f"seeded {url} in {result['total_seconds']} s: {result['rows']}")
    print(result)


if __name__ == "__main__":
    main()
