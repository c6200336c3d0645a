"""Highlights read cost: the following feed, a busy post, a tag page and Discover on a
large dataset (the target: p95 server time under 30 ms on 100k users, 1M posts, 5M likes).

The dataset is generated inside PostgreSQL with `INSERT … SELECT generate_series` in a
database of its own, with foreign-key triggers off for the seeding session
(`session_replication_role = replica`; every generated id exists) and a fixed random seed,
so two seedings hold the same rows. Each page is then timed one request at a time through
Flask's test client in this process (like bench/room_render.py): the number is the
server's own cost (routing, queries, rendering), without a network or a second process.

    python -m bench.highlights                      # a quick, smaller dataset
    python -m bench.highlights --users 100000 --posts 1000000 --likes 5000000
    # Seed once and keep the database, then time two checkouts of the code against it:
    python -m bench.highlights --full --database encore_bench_hl --keep
    python -m bench.highlights --full --database encore_bench_hl --keep --no-migrate
"""

from __future__ import annotations

import argparse
import os
import re
import time
from urllib.parse import quote

from bench.harness import DEFAULT_PG, latency_line, percentiles, report, with_database

PASSWORD = "highlights-bench"  # noqa: S105  (throwaway accounts in a throwaway database)
TAGS = 50  # posts carry one of 50 tags; tag 1 is the busy one on the tag page
TAG_NAME = "노래방"
RARE_TAG = "rare"
BUSY_POST = 1  # the newest post: the skewed likes and the long discussion both land here
REPLIED_THREADS = 40  # the first top-level comments of the busy post each get replies
REPLIES_EACH = 5


def _statements() -> list[str]:
    """The seeding SQL, in order; parameters are bound by name."""
    return [
        "SELECT setseed(0.15)",
        (
            "INSERT INTO users (username, username_key, display_name, password_hash, bio,"
            " timezone, session_token, created_at)"
            " SELECT 'u' || g, 'u' || g, '관객 ' || g, :hash, '', 'Asia/Seoul',"
            " md5(g::text), now() - interval '200 days' FROM generate_series(1, :users) g"
        ),
        # The viewer (u1) follows `follows` people spread over all users, so the feed query
        # has to find their posts among everyone's; everyone else follows ten.
        (
            "INSERT INTO follows (follower_id, followed_id, created_at)"
            " SELECT 1, ((g * 487) % :users) + 1, now() FROM generate_series(1, :follows) g"
        ),
        (
            "INSERT INTO follows (follower_id, followed_id, created_at)"
            " SELECT f, ((f + k * 7919) % :users) + 1, now()"
            " FROM generate_series(2, :users) f, generate_series(1, 10) k"
            " WHERE ((f + k * 7919) % :users) + 1 <> f ON CONFLICT DO NOTHING"
        ),
        # Post g is g × 7 s old: 1M posts span about 81 days, the newest is post 1.
        (
            "INSERT INTO posts (author_id, body, created_at, like_count, comment_count,"
            " discover_score)"
            " SELECT (g % :users) + 1, '무대 #' || CASE WHEN g % :tags = 0 THEN :tag"
            " ELSE 'tag' || (g % :tags) END || ' 오늘도 ' || g,"
            " now() - g * interval '7 seconds', 0, 0, 0 FROM generate_series(1, :posts) g"
        ),
        (
            "INSERT INTO tags (id, name) SELECT t, CASE WHEN t = 1 THEN :tag"
            " ELSE 'tag' || (t - 1) END FROM generate_series(1, :tags) t"
        ),
        # A rare tag on 30 posts spread over the whole history: the plan that walks the
        # newest posts first would read most of the table to fill one page.
        "INSERT INTO tags (id, name) VALUES (:tags + 1, :rare)",
        "SELECT setval(pg_get_serial_sequence('tags', 'id'), :tags + 1)",
        (
            "INSERT INTO post_tags (post_id, tag_id)"
            " SELECT g, (g % :tags) + 1 FROM generate_series(1, :posts) g"
        ),
        (
            "INSERT INTO post_tags (post_id, tag_id)"
            " SELECT g * (:posts / 30 - 2), :tags + 1 FROM generate_series(1, 30) g"
        ),
        # Skewed: the newest posts collect most likes (post 1 about a thousand).
        (
            "INSERT INTO likes (user_id, post_id, created_at)"
            " SELECT (g % :users) + 1, 1 + floor(power(random(), 3) * :posts)::int,"
            " now() - (g % 86400) * interval '1 second'"
            " FROM generate_series(1, :likes) g ON CONFLICT DO NOTHING"
        ),
        (
            "INSERT INTO likes (user_id, post_id, created_at) SELECT g, :busy, now()"
            " FROM generate_series(1, :busy_likes) g ON CONFLICT DO NOTHING"
        ),
        # The busy post's discussion: top-level comments, then replies to the first ones.
        (
            "INSERT INTO comments (post_id, author_id, body, created_at, like_count)"
            " SELECT :busy, (g % :users) + 1, '멋져요 ' || g,"
            " now() - interval '1 day' + g * interval '1 second', 0"
            " FROM generate_series(1, :busy_comments) g"
        ),
        (
            "INSERT INTO comments (post_id, author_id, parent_id, body, created_at, like_count)"
            " SELECT :busy, (g % :users) + 1, c.id, '저도요 ' || g,"
            " c.created_at + g * interval '1 second', 0"
            " FROM (SELECT id, created_at FROM comments WHERE post_id = :busy"
            " ORDER BY id LIMIT :threads) c, generate_series(1, :replies) g"
        ),
        # Everyone else's comments, skewed to newer posts like the likes.
        (
            "INSERT INTO comments (post_id, author_id, body, created_at, like_count)"
            " SELECT 2 + floor(power(random(), 3) * (:posts - 1))::int, (g % :users) + 1,"
            " '좋아요 ' || g, now() - (g % 86400) * interval '1 second', 0"
            " FROM generate_series(1, :comments) g"
        ),
        # Likes on the busy post's comments and replies.
        (
            "INSERT INTO likes (user_id, comment_id, created_at)"
            " SELECT u, c.id, now() FROM (SELECT id FROM comments WHERE post_id = :busy"
            " ORDER BY id LIMIT 200) c, generate_series(1, 25) u ON CONFLICT DO NOTHING"
        ),
        (
            "UPDATE posts SET like_count = c.n FROM (SELECT post_id, count(*) n FROM likes"
            " WHERE post_id IS NOT NULL GROUP BY post_id) c WHERE posts.id = c.post_id"
        ),
        (
            "UPDATE posts SET comment_count = c.n FROM (SELECT post_id, count(*) n"
            " FROM comments GROUP BY post_id) c WHERE posts.id = c.post_id"
        ),
        (
            "UPDATE comments SET like_count = c.n FROM (SELECT comment_id, count(*) n"
            " FROM likes WHERE comment_id IS NOT NULL GROUP BY comment_id) c"
            " WHERE comments.id = c.comment_id"
        ),
        # What the Discover job writes (app/services/posts/ranking.py), in one statement.
        (
            "UPDATE posts SET discover_score = (1 + like_count + 2 * comment_count)"
            " / power(extract(epoch FROM now() - created_at) / 3600 + 2, 1.5)"
            " WHERE created_at >= now() - interval '7 days'"
        ),
        "VACUUM ANALYZE",
    ]


def _ensure_database(server_url: str, name: str) -> bool:
    """Create database `name` unless it exists; tell whether it was created."""
    from bench.harness import pg_connect

    conn = pg_connect(server_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone():
                return False
            cur.execute(f'CREATE DATABASE "{name}"')
            return True
    finally:
        conn.close()


def _drop_database(server_url: str, name: str) -> None:
    """Drop the throwaway database."""
    from bench.harness import pg_connect

    conn = pg_connect(server_url)
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


def _app(database_url: str, migrate: bool):
    """Build the app on `database_url`, bringing the schema up to date unless told not to."""
    os.environ["TEST_DATABASE_URL_RESOLVED"] = database_url
    from app import create_app
    from app.config import TestConfig

    app = create_app(TestConfig(RATELIMIT_ENABLED=False))
    if migrate:
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
    return app


def _seeded(database_url: str) -> bool:
    """Tell whether the database already holds the dataset."""
    from bench.harness import pg_connect

    conn = pg_connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('posts') IS NOT NULL")
            if not cur.fetchone()[0]:
                return False
            cur.execute("SELECT EXISTS (SELECT 1 FROM posts)")
            return bool(cur.fetchone()[0])
    finally:
        conn.close()


def _seed(database_url: str, params: dict) -> float:
    """Fill the database in bulk on one connection; return the seconds it took."""
    from werkzeug.security import generate_password_hash

    from bench.harness import pg_connect

    params = {**params, "hash": generate_password_hash(PASSWORD)}
    conn = pg_connect(database_url)
    started = time.perf_counter()
    try:
        with conn.cursor() as cur:
            # Every id below exists by construction, so the per-row foreign-key triggers can
            # sleep for this session; that is most of the cost of 5M likes.
            cur.execute("SET session_replication_role = replica")
            cur.execute("SET synchronous_commit = off")
            cur.execute("SET maintenance_work_mem = '256MB'")
            for statement in _statements():
                step = time.perf_counter()
                sql = re.sub(r"(?<!:):(\w+)", r"%(\1)s", statement.replace("%", "%%"))
                cur.execute(sql, params)
                print(f"  {statement[:64]}… {time.perf_counter() - step:.1f}s", flush=True)
    finally:
        conn.close()
    return time.perf_counter() - started


def _time(client, path: str, requests: int, warmup: int = 10) -> dict:
    """Request `path` `requests` times after a warm-up; return wall-clock percentiles in ms
    and the mean CPU time of this process per request (less sensitive to a busy machine:
    it leaves out waiting for PostgreSQL and for a core)."""
    for _ in range(warmup):
        assert client.get(path).status_code == 200, path
    samples = []
    cpu_started = time.process_time()
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    cpu_ms = (time.process_time() - cpu_started) * 1000 / requests
    return {**percentiles(samples), "cpu_ms_per_request": round(cpu_ms, 2)}


def _login(client) -> None:
    """Sign in as u1, the viewer who follows `--follows` people."""
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    response = client.post(
        "/auth/login", data={"username": "u1", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code in (302, 303), response.status_code


PAGES = {
    "feed": ("/feed", "following feed (u1 follows {follows})"),
    "post": (f"/posts/{BUSY_POST}", "busy post ({post_likes} likes, {post_comments} comments)"),
    "tag": (f"/tags/{quote(TAG_NAME)}", "tag page (#{tag}, {tagged} posts)"),
    "rare_tag": (f"/tags/{RARE_TAG}", "rare tag page (#{rare}, {rare_tagged} posts)"),
    "discover": ("/posts/", "Discover"),
}


def _facts(database_url: str) -> dict:
    """Counts that describe the dataset, for the report."""
    from bench.harness import pg_connect

    conn = pg_connect(database_url)
    try:
        with conn.cursor() as cur:
            facts = {}
            for name, sql in {
                "users": "SELECT count(*) FROM users",
                "posts": "SELECT count(*) FROM posts",
                "post_likes_total": "SELECT count(*) FROM likes WHERE post_id IS NOT NULL",
                "comment_likes_total": "SELECT count(*) FROM likes WHERE comment_id IS NOT NULL",
                "comments_total": "SELECT count(*) FROM comments",
                "follows": "SELECT count(*) FROM follows",
                "post_likes": f"SELECT like_count FROM posts WHERE id = {BUSY_POST}",
                "post_comments": f"SELECT comment_count FROM posts WHERE id = {BUSY_POST}",
                "tagged": "SELECT count(*) FROM post_tags WHERE tag_id = 1",
                "rare_tagged": f"SELECT count(*) FROM post_tags JOIN tags ON tags.id = tag_id"
                f" WHERE tags.name = '{RARE_TAG}'",
                "follows_viewer": "SELECT count(*) FROM follows WHERE follower_id = 1",
            }.items():
                cur.execute(sql)
                facts[name] = cur.fetchone()[0]
            return facts
    finally:
        conn.close()


def main() -> None:
    """Parse options, seed (or reuse), time, report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--likes", type=int, default=500_000)
    parser.add_argument("--comments", type=int, default=100_000, help="comments on other posts")
    parser.add_argument("--full", action="store_true", help="100k users, 1M posts, 5M likes")
    parser.add_argument("--follows", type=int, default=200, help="people the viewer follows")
    parser.add_argument("--busy-comments", type=int, default=1000, help="top-level, busy post")
    parser.add_argument("--busy-likes", type=int, default=3000, help="extra likes, busy post")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests first")
    parser.add_argument("--database-url", default=DEFAULT_PG, help="PostgreSQL server to use")
    parser.add_argument("--database", help="database name to use (created when missing)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--no-migrate", action="store_true", help="reuse the schema as it is (older code)"
    )
    parser.add_argument("--pages", default=",".join(PAGES), help="which pages to time")
    parser.add_argument("--json-out", help="also write the JSON result to this file")
    args = parser.parse_args()
    if args.full:
        args.users, args.posts, args.likes, args.comments = 100_000, 1_000_000, 5_000_000, 500_000

    name = args.database or f"encore_bench_highlights_{os.getpid()}"
    _ensure_database(args.database_url, name)
    url = with_database(args.database_url, name)
    seconds = None
    try:
        app = _app(url, migrate=not args.no_migrate)
        if not _seeded(url):
            seconds = round(
                _seed(
                    url,
                    {
                        "users": args.users,
                        "posts": args.posts,
                        "likes": args.likes,
                        "comments": args.comments,
                        "follows": args.follows,
                        "tags": TAGS,
                        "tag": TAG_NAME,
                        "rare": RARE_TAG,
                        "busy": BUSY_POST,
                        "busy_likes": args.busy_likes,
                        "busy_comments": args.busy_comments,
                        "threads": REPLIED_THREADS,
                        "replies": REPLIES_EACH,
                    },
                ),
                1,
            )
        facts = _facts(url)
        client = app.test_client()
        _login(client)
        timings = {}
        for page in args.pages.split(","):
            path, _ = PAGES[page]
            timings[page] = _time(client, path, args.requests, args.warmup)
    finally:
        if not args.keep:
            _drop_database(args.database_url, name)
    labels = {
        "follows": facts["follows_viewer"],
        "post_likes": facts["post_likes"],
        "post_comments": facts["post_comments"],
        "tag": TAG_NAME,
        "tagged": facts["tagged"],
        "rare": RARE_TAG,
        "rare_tagged": facts["rare_tagged"],
    }
    report(
        "highlights",
        {
            "dataset": facts,
            "seed_seconds": seconds,
            "pages_ms": timings,
            "target_p95_ms": 30,
        },
        [
            latency_line(PAGES[page][1].format(**labels), stats)
            + f"; CPU {stats['cpu_ms_per_request']} ms/request"
            for page, stats in timings.items()
        ]
        + [
            f"dataset: {facts['users']} users, {facts['posts']} posts,"
            f" {facts['post_likes_total']} post likes, {facts['comments_total']} comments"
            + (f"; seeded in {seconds} s" if seconds is not None else "; reused"),
            "target: p95 < 30 ms on 100k users, 1M posts, 5M likes",
        ],
        args.json_out,
    )


if __name__ == "__main__":
    main()
