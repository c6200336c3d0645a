"""Seed a throwaway PostgreSQL database for the leaderboard benchmark: users, rooms and closed
performances spread over a number of weeks, bulk-loaded with COPY (bench/leaderboard_refresh.py)."""

from __future__ import annotations

import io
import random
import secrets
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta

from bench.harness import pg_connect
from bench.seed import PERFORMANCE_COLUMNS, USER_COLUMNS

CATEGORIES = ("talent", "karaoke", "dance", "comedy", "challenge", "instrument")
PASSWORD = "bench-password"  # noqa: S105  (a throwaway database's only login)


def _copy(cursor, table: str, columns: tuple[str, ...], rows) -> None:
    """COPY `rows` (tuples of already-formatted text) into `table` in ~8 MB chunks."""
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(row))
        buffer.write("\n")
        if buffer.tell() > 8_000_000:
            buffer.seek(0)
            cursor.copy_expert(sql, buffer)
            buffer = io.StringIO()
    buffer.seek(0)
    cursor.copy_expert(sql, buffer)


def seed(url: str, users: int, performances: int, weeks: int, rng: random.Random) -> dict:
    """Bulk-load users, rooms and closed performances; return what was loaded."""
    from werkzeug.security import generate_password_hash

    started = time.perf_counter()
    now = datetime.now(UTC)
    stamp = now.isoformat()
    hashed = generate_password_hash(PASSWORD)
    turns_per_room = 50
    rooms = -(-performances // turns_per_room)
    span = weeks * 7 * 24 * 3600
    with closing(pg_connect(url)) as conn, conn.cursor() as cur:
        _copy(
            cur,
            "users",
            USER_COLUMNS,
            (
                (
                    str(i),
                    f"user{i}",
                    f"user{i}",
                    f"사용자 {i}",
                    hashed if i == 1 else r"\N",
                    "",
                    "Asia/Seoul",
                    secrets.token_hex(16),
                    stamp,
                )
                for i in range(1, users + 1)
            ),
        )
        _copy(
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
            ),
            (
                (
                    str(r),
                    f"Room {r}",
                    "",
                    CATEGORIES[r % len(CATEGORIES)],
                    "casual" if r % 10 == 0 else "ranked",
                    "50",
                    "0",
                    str(rng.randint(1, users)),
                    "finished",
                    "1",
                    stamp,
                )
                for r in range(1, rooms + 1)
            ),
        )

        def performance_rows():
            for p in range(performances):
                room = p // turns_per_room + 1
                closed = now - timedelta(seconds=rng.randrange(span))
                ranked = room % 10 != 0
                average = f"{rng.randint(100, 1000) / 100:.2f}"
                yield (
                    str(p + 1),
                    str(room),
                    str(rng.randint(1, users)),
                    str(p % turns_per_room + 1),
                    "closed",
                    CATEGORIES[room % len(CATEGORIES)],
                    closed.isoformat(),
                    closed.isoformat(),
                    closed.isoformat(),
                    "0",
                    "0",
                    average,
                    "t" if ranked else "f",
                )

        _copy(
            cur,
            "performances",
            PERFORMANCE_COLUMNS,
            performance_rows(),
        )
        for table in ("users", "rooms", "performances"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        cur.execute("ANALYZE users, rooms, performances")
    return {
        "users": users,
        "performances": performances,
        "rooms": rooms,
        "seconds": round(time.perf_counter() - started, 2),
    }
