"""Fixtures in the flaskr style: app, client, runner, auth, plus real services.

Each run gets its own database (a PostgreSQL database named for the run, or a SQLite file)
and its own Redis key prefix, so two runs never see each other's data.
"""

from __future__ import annotations

import os
import tempfile

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from tests.support.services import RUN_ID, RedisServer, ThrowawayDatabase, missing_service
from tests.support.web import AuthActions

# Room and show fixtures (show_people, show_room, room_state) serve several folders.
pytest_plugins = ("tests.support.show_fixtures",)

_database = ThrowawayDatabase()
_redis = RedisServer()
REDIS_PREFIX = f"encore-test-{RUN_ID}:"


def pytest_configure(config) -> None:
    """Create this run's database and point TestConfig at it before any app exists."""
    _database.create()
    os.environ["TEST_DATABASE_URL_RESOLVED"] = _database.url
    os.environ["TEST_REDIS_PREFIX"] = REDIS_PREFIX
    os.environ.setdefault("ENCORE_INSTANCE_PATH", tempfile.mkdtemp(prefix="encore-instance-"))
    if os.environ.get("TEST_REDIS_URL"):
        # The PostgreSQL + Redis pass: every app in the suite uses Redis.
        os.environ["TEST_REDIS_URL_RESOLVED"] = os.environ["TEST_REDIS_URL"]
    from app import create_app
    from app.config import TestConfig

    app = create_app(TestConfig())
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()


def pytest_unconfigure(config) -> None:
    """Drop this run's database and stop the private Redis."""
    _database.drop()
    _redis.stop()


@pytest.fixture(scope="session")
def database():
    """This run's throwaway database."""
    return _database


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A real Redis: TEST_REDIS_URL, or a redis-server started for this run."""
    url = _redis.start()
    if not url:
        missing_service("no Redis (set TEST_REDIS_URL or install redis-server)")
    return url


def make_app(**overrides):
    """Build a test app; `overrides` set config values.

    Its test clients ask for English (Accept-Language: en) unless a request says otherwise,
    so assertions can quote the English source text; Korean, the default for a browser that
    asks for nothing, is covered by tests/web/test_i18n_*.py.
    """
    from app import create_app
    from app.config import TestConfig

    application = create_app(TestConfig(**overrides))
    application.test_client_class = EnglishClient
    return application


class EnglishClient(FlaskClient):
    """A Flask test client whose requests carry Accept-Language: en by default."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.environ_base.setdefault("HTTP_ACCEPT_LANGUAGE", "en")


@pytest.fixture
def app():
    """A fresh app per test; afterwards every row and this run's Redis keys are wiped."""
    application = make_app()
    yield application
    with application.app_context():
        _wipe_tables()
    _wipe_redis(application)
    # Presence keeps this process's sockets in memory and writes them back to Redis; a
    # socket a test left behind must not reappear in the next test.
    from app.services import presence

    presence.forget_this_process()


def _wipe_tables() -> None:
    """Delete every row so the next test starts empty (tests may commit from threads)."""
    from app.extensions import db

    db.session.remove()
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            conn.execute(text("PRAGMA defer_foreign_keys=ON"))
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
    db.engine.dispose()


def _wipe_redis(application) -> None:
    """Delete this run's Redis keys, if the app used Redis."""
    client = application.extensions.get("encore_redis")
    if client is None:
        return
    # Flask-Limiter writes "LIMITS:LIMITER/<prefix>…", so match the prefix anywhere.
    for key in client.scan_iter(match=f"*{REDIS_PREFIX}*", count=1000):
        client.delete(key)


@pytest.fixture
def client(app):
    """A test client, like a browser with cookies."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A runner for `flask` commands."""
    return app.test_cli_runner()


@pytest.fixture
def auth(client):
    """Sign up, log in and log out through the real forms."""
    return AuthActions(client)


@pytest.fixture
def make_user(app):
    """Create a user through the accounts service: make_user("mina", "김민아")."""
    from app.services import accounts

    def _make(username: str, display_name: str | None = None, password: str = "correct horse"):
        with app.app_context():
            user = accounts.create_user(username, display_name or username, password)
            return user.id

    return _make


@pytest.fixture
def live_server(database, tmp_path):
    """A real `python wsgi.py` process on a free port, sharing this run's database.

    It uses Redis when the run does (TEST_REDIS_URL) and the async mode of
    ENCORE_ASYNC_MODE (eventlet unless set), so the realtime tests run under each.
    """
    from tests.support.live_server import LiveServer

    server = LiveServer(
        database.url,
        redis_url=os.environ.get("TEST_REDIS_URL_RESOLVED"),
        prefix=REDIS_PREFIX,
        instance_path=str(tmp_path / "instance"),
    ).start()
    yield server
    server.stop()
    application = make_app()
    with application.app_context():
        _wipe_tables()
    _wipe_redis(application)
