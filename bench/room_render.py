"""Room render cost: the room page and the stage fragment of a live show with N members.

Issue 3's target is p95 under 30 ms with 50 members. This scenario measures the server's
own cost of building those responses, one request at a time through Flask's test client
in this process (real PostgreSQL or SQLite, real templates, a logged-in member), so the
number does not depend on how busy the HTTP server or the machine's other work is.
`bench/pages.py` measures the same pages under concurrent HTTP load.

    python -m bench.room_render --members 50 --requests 200
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import time
import uuid

from bench.harness import DEFAULT_PG, latency_line, percentiles, report

PASSWORD = "room-render-bench"  # noqa: S105  (throwaway accounts in a throwaway database)


def _app(database_url: str | None):
    """Build an app on a fresh database: a throwaway PostgreSQL database, or a SQLite file."""
    if database_url:
        import psycopg2

        name = f"encore_bench_render_{uuid.uuid4().hex[:8]}"
        admin = psycopg2.connect(database_url.replace("postgresql+psycopg2://", "postgresql://"))
        admin.autocommit = True
        admin.cursor().execute(f'CREATE DATABASE "{name}"')
        admin.close()
        url = database_url.rsplit("/", 1)[0] + "/" + name
    else:
        name, url = None, f"sqlite:///{tempfile.mkdtemp()}/render.sqlite3"
    os.environ["TEST_DATABASE_URL_RESOLVED"] = url
    from app import create_app
    from app.config import TestConfig

    app = create_app(TestConfig(RATELIMIT_ENABLED=False))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    return app, name


def _drop(database_url: str, name: str | None) -> None:
    """Drop the throwaway PostgreSQL database."""
    if name is None:
        return
    import psycopg2

    admin = psycopg2.connect(database_url.replace("postgresql+psycopg2://", "postgresql://"))
    admin.autocommit = True
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def _live_show(app, members: int) -> tuple[int, str]:
    """Seat `members` people in a ranked room with the host on air; return (room id, a username)."""
    from werkzeug.security import generate_password_hash

    from app.extensions import db
    from app.models import Room, RoomMember, RoomMode, User
    from app.services import show

    with app.app_context():
        hashed = generate_password_hash(PASSWORD)
        people = [
            User(
                username=f"r{i}",
                username_key=f"r{i}",
                display_name=f"무대 {i}",
                password_hash=hashed,
            )
            for i in range(members)
        ]
        db.session.add_all(people)
        db.session.flush()
        room = Room(
            title="Render bench",
            description="",
            category="karaoke",
            mode=RoomMode.RANKED,
            capacity=50,
            host_id=people[0].id,
            seats_taken=members,
        )
        db.session.add(room)
        db.session.flush()
        db.session.add_all(RoomMember(room_id=room.id, user_id=p.id) for p in people)
        db.session.commit()
        show.start_show(room.id, people[0].id)
        return room.id, people[members // 2].username


def _time(client, path: str, requests: int, headers: dict) -> dict:
    """Request `path` `requests` times after a warm-up; return percentiles in ms."""
    for _ in range(10):
        client.get(path, headers=headers)
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return percentiles(samples)


def main() -> None:
    """Parse options, run, report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=50, help="people seated (2–50)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument(
        "--database-url",
        default=DEFAULT_PG,
        help="PostgreSQL server for a throwaway database ('' for SQLite)",
    )
    parser.add_argument("--json-out", help="also write the JSON result to this file")
    args = parser.parse_args()

    app, name = _app(args.database_url or None)
    try:
        room_id, username = _live_show(app, max(2, min(args.members, 50)))
        client = app.test_client()
        page = client.get("/auth/login").get_data(as_text=True)
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        client.post(
            "/auth/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
        )
        room = _time(client, f"/rooms/{room_id}", args.requests, {})
        stage = _time(client, f"/rooms/{room_id}/stage", args.requests, {"HX-Request": "true"})
    finally:
        _drop(args.database_url, name)
    report(
        "room_render",
        {
            "members": args.members,
            "database": "postgresql" if name else "sqlite",
            "room_page_ms": room,
            "stage_fragment_ms": stage,
            "target_p95_ms": 30,
        },
        [
            latency_line("room page", room),
            latency_line("stage fragment", stage),
            "target: p95 < 30 ms with 50 members (issue 3)",
        ],
        args.json_out,
    )


if __name__ == "__main__":
    main()
