"""Highlights read cost: the following feed and a busy post page on a large dataset.

Issue 15's target is p95 server time under 30 ms on 100k users, 1M posts and 5M likes.
The dataset is generated inside PostgreSQL with `INSERT … SELECT generate_series` in a
throwaway database; each page is then timed one request at a time through Flask's test
client in this process (like bench/room_render.py), so the number is the server's own cost.

    python -m bench.highlights                      # a quick, smaller dataset
    python -m bench.highlights --users 100000 --posts 1000000 --likes 5000000
"""

from __future__ import annotations

import argparse
import re
import time

from bench.harness import DEFAULT_PG, latency_line, percentiles, report
from bench.room_render import _app, _drop

PASSWORD = "highlights-bench"  # noqa: S105  (throwaway accounts in a throwaway database)


def _seed(app, users: int, posts: int, likes: int, follows: int, comments: int) -> int:
    """Fill the database in bulk; return the id of the most-liked post."""
    from sqlalchemy import text
    from werkzeug.security import generate_password_hash

    from app.extensions import db

    hashed = generate_password_hash(PASSWORD)
    statements = [
        (
            "INSERT INTO users (username, username_key, display_name, password_hash, bio,"
            " timezone, session_token, created_at)"
            " SELECT 'u' || g, 'u' || g, '관객 ' || g, :hash, '', 'Asia/Seoul',"
            " md5(g::text), now() FROM generate_series(1, :users) g"
        ),
        (
            "INSERT INTO follows (follower_id, followed_id, created_at)"
            " SELECT 1, g, now() FROM generate_series(2, :follows + 1) g"
        ),
        (
            "INSERT INTO posts (author_id, body, created_at, like_count, comment_count,"
            " discover_score)"
            " SELECT (g % :users) + 1, '무대 #노래방 ' || g, now() - g * interval '7 seconds',"
            " 0, 0, 0 FROM generate_series(1, :posts) g"
        ),
        # A skewed spread: low post ids (the newest few) collect most likes.
        (
            "INSERT INTO likes (user_id, post_id, created_at)"
            " SELECT (g % :users) + 1, 1 + floor(power(random(), 3) * :posts)::int, now()"
            " FROM generate_series(1, :likes) g ON CONFLICT DO NOTHING"
        ),
        (
            "UPDATE posts SET like_count = c.n FROM"
            " (SELECT post_id, count(*) n FROM likes GROUP BY post_id) c WHERE posts.id = c.post_id"
        ),
        (
            "INSERT INTO comments (post_id, author_id, body, created_at, like_count)"
            " SELECT 1, (g % :users) + 1, '멋져요 ' || g, now(), 0"
            " FROM generate_series(1, :comments) g"
        ),
        "UPDATE posts SET comment_count = :comments WHERE id = 1",
        "ANALYZE",
    ]
    params = {
        "hash": hashed,
        "users": users,
        "posts": posts,
        "likes": likes,
        "follows": follows,
        "comments": comments,
    }
    with app.app_context():
        for statement in statements:
            started = time.perf_counter()
            db.session.execute(text(statement), params)
            db.session.commit()
            print(f"  {statement[:60]}… {time.perf_counter() - started:.1f}s", flush=True)
        return db.session.scalar(text("SELECT id FROM posts ORDER BY like_count DESC LIMIT 1"))


def _time(client, path: str, requests: int) -> dict:
    """Request `path` `requests` times after a warm-up; return percentiles in ms."""
    for _ in range(10):
        client.get(path)
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return percentiles(samples)


def main() -> None:
    """Parse options, seed, time, report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--likes", type=int, default=500_000)
    parser.add_argument("--follows", type=int, default=200, help="people the viewer follows")
    parser.add_argument("--comments", type=int, default=200, help="comments on the busy post")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--database-url", default=DEFAULT_PG, help="PostgreSQL server to use")
    parser.add_argument("--json-out", help="also write the JSON result to this file")
    args = parser.parse_args()

    app, name = _app(args.database_url)
    try:
        busy = _seed(app, args.users, args.posts, args.likes, args.follows, args.comments)
        client = app.test_client()
        page = client.get("/auth/login").get_data(as_text=True)
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        client.post(
            "/auth/login", data={"username": "u1", "password": PASSWORD, "csrf_token": token}
        )
        feed = _time(client, "/feed", args.requests)
        post_page = _time(client, f"/posts/{busy}", args.requests)
        discussed = _time(client, "/posts/1", args.requests)
    finally:
        _drop(args.database_url, name)
    report(
        "highlights",
        {
            "users": args.users,
            "posts": args.posts,
            "likes": args.likes,
            "feed_ms": feed,
            "busiest_post_ms": post_page,
            "post_with_comments_ms": discussed,
            "target_p95_ms": 30,
        },
        [
            latency_line("following feed", feed),
            latency_line("most-liked post", post_page),
            latency_line(f"post with {args.comments} comments", discussed),
            "target: p95 < 30 ms on 100k users, 1M posts, 5M likes (issue 15)",
        ],
        args.json_out,
    )


if __name__ == "__main__":
    main()
