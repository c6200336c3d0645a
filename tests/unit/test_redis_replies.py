"""Redis replies are parsed in C (hiredis, pyproject.toml's `redis[hiredis]`).

redis-py falls back to its pure-Python parser without a word when hiredis is missing; the
leaderboard's page read alone (a hundred nested values) then cost a tenth of the page.
"""

from __future__ import annotations

from app.redis_store import redis_client
from tests.conftest import make_app


def test_the_apps_redis_connections_parse_replies_with_hiredis(redis_url):
    app = make_app(REDIS_URL=redis_url)
    with app.app_context():
        client = redis_client()
        pool = client.connection_pool
        connection = pool.get_connection()
        try:
            connection.send_command("PING")
            assert connection.read_response() in ("PONG", b"PONG")
            assert type(connection._parser).__name__ == "_HiredisParser"
        finally:
            pool.release(connection)
