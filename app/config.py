"""Configuration read from the environment, with embedded defaults for `make run`."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("ENCORE_INSTANCE_PATH", BASE_DIR / "instance"))
# Database connections one process keeps open, and how many more it may open at a peak.
DB_POOL_SIZE = 10
DB_POOL_CAPACITY = 30


def N_(text: str) -> str:  # noqa: N802  (the gettext name extractors look for)
    """Mark `text` for the catalogue without translating it yet (templates translate it)."""
    return text


ROOM_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("talent", N_("Talent show")),
    ("karaoke", N_("Karaoke night")),
    ("dance", N_("Dance battle")),
    ("comedy", N_("Stand-up & comedy")),
    ("challenge", N_("Challenge session")),
    ("instrument", N_("Instrument jam")),
)


def _database_url() -> str:
    """Return DATABASE_URL normalised for SQLAlchemy, or the embedded SQLite file."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{INSTANCE_DIR / 'encore.sqlite3'}"
    # Heroku-style hosts still hand out the pre-SQLAlchemy-1.4 scheme.
    return normalise_database_url(url)


def normalise_database_url(url: str) -> str:
    """Pin PostgreSQL URLs to psycopg2, the driver psycogreen makes cooperative.

    Heroku-style hosts hand out `postgres://`, and SQLAlchemy 2.1 maps a bare
    `postgresql://` to psycopg 3; neither would yield to eventlet or gevent.
    """
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg2://" + url[len(scheme) :]
    return url


def _secret_key(production: bool) -> str:
    """Return SECRET_KEY from the environment, or one generated once into instance/."""
    key = os.environ.get("SECRET_KEY", "").strip()
    if key:
        return key
    if production:
        raise RuntimeError("SECRET_KEY must be set when ENCORE_ENV=production.")
    path = INSTANCE_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


class Config:
    """Settings for a real deployment or `make run`; every value comes from the environment."""

    ENV_NAME = os.environ.get("ENCORE_ENV", "development")
    PRODUCTION = ENV_NAME == "production"

    SECRET_KEY: str | None = None  # resolved in __init__ so tests never touch instance/
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    REDIS_URL = os.environ.get("REDIS_URL", "").strip() or None
    # Every Redis key Encore writes starts with this, so several deployments (or test runs)
    # can share one Redis without seeing each other.
    REDIS_KEY_PREFIX = os.environ.get("ENCORE_REDIS_PREFIX", "encore:")
    # The chat post's hot statements are PostgreSQL prepared statements (app/prepared.py),
    # kept by each connection. Set ENCORE_DB_PREPARED=0 behind a pooler that hands a
    # connection to another client between transactions (PgBouncer in transaction mode).
    DB_PREPARED_STATEMENTS = os.environ.get("ENCORE_DB_PREPARED", "1") != "0"
    # Sized deliberately: the Socket.IO publisher, the limiter and the leaderboard share it.
    REDIS_MAX_CONNECTIONS = int(os.environ.get("ENCORE_REDIS_MAX_CONNECTIONS", "200"))
    # Chat posts one process handles at once before it sheds new ones with 429. Each holds at
    # most one publisher connection, so this stays well under REDIS_MAX_CONNECTIONS.
    CHAT_MAX_INFLIGHT_POSTS = int(os.environ.get("ENCORE_CHAT_MAX_INFLIGHT_POSTS", "64"))
    # The chat flood rule: at most CHAT_FLOOD_LINES lines per CHAT_FLOOD_SECONDS in one room
    # or conversation, and not the same line twice within CHAT_REPEAT_SECONDS.
    CHAT_FLOOD_LINES = int(os.environ.get("ENCORE_CHAT_FLOOD_LINES", "5"))
    CHAT_FLOOD_SECONDS = int(os.environ.get("ENCORE_CHAT_FLOOD_SECONDS", "10"))
    CHAT_REPEAT_SECONDS = int(os.environ.get("ENCORE_CHAT_REPEAT_SECONDS", "30"))
    # Shed on time (app/shedding.py): when the event loop runs this many seconds late, writes
    # answer 429 with Retry-After instead of queueing behind it. 0 turns it off.
    SHED_LAG_SECONDS = float(os.environ.get("ENCORE_SHED_LAG_SECONDS", "1.0"))
    SHED_RETRY_AFTER = int(os.environ.get("ENCORE_SHED_RETRY_AFTER", "2"))
    # Shed on the line for the database (app/shedding.py): a green-thread web process lets
    # REQUEST_SLOTS requests use the database at once, 10 fewer than its pool holds (see
    # engine_options) so sockets and background work always find a connection. A write that
    # waits SHED_QUEUE_SECONDS for a slot answers 429 (0 turns the line off); a page waits
    # READ_QUEUE_SECONDS, then answers 503.
    REQUEST_SLOTS = int(os.environ.get("ENCORE_REQUEST_SLOTS", str(DB_POOL_CAPACITY - 10)))
    SHED_QUEUE_SECONDS = float(os.environ.get("ENCORE_SHED_QUEUE_SECONDS", "0.5"))
    READ_QUEUE_SECONDS = float(os.environ.get("ENCORE_READ_QUEUE_SECONDS", "10"))

    ASYNC_MODE = os.environ.get("ENCORE_ASYNC_MODE", "eventlet")
    SOCKETIO_ASYNC_MODE: str | None = None  # None: follow ASYNC_MODE
    SOCKETIO_USE_QUEUE = True
    # Worker and beat processes publish events but never serve sockets.
    SOCKETIO_WRITE_ONLY = os.environ.get("ENCORE_PROCESS") == "worker"

    # How many proxies (nginx, a load balancer) sit in front and set X-Forwarded-For. Behind
    # nginx without this, every client shares nginx's address and so one set of rate limits;
    # set it only when a proxy really is in front, or clients could forge their address.
    PROXY_HOPS = int(os.environ.get("ENCORE_PROXY_HOPS", "0"))

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = PRODUCTION
    # The cookie is re-sent when the session changes, and app.sessions slides its expiry
    # once a day: not re-signed on every request.
    SESSION_REFRESH_EACH_REQUEST = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = PRODUCTION
    PREFERRED_URL_SCHEME = "https" if PRODUCTION else "http"

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session; phones stay open for days
    WTF_CSRF_HEADERS = ["X-CSRFToken"]

    RATELIMIT_ENABLED = True
    # When Redis is away the limits keep counting in this process's memory instead of
    # failing every limited request; Flask-Limiter returns to Redis once it answers again.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_LIMIT_PER_USERNAME = "5 per minute"
    LOGIN_LIMIT_PER_IP = "20 per minute"
    # The word filter: starter lists by language, an optional site list (one entry a line),
    # and whether a listed word is masked with ● ("mask") or the line refused ("refuse").
    WORD_FILTER_LISTS = tuple(
        filter(None, os.environ.get("ENCORE_WORD_FILTER_LISTS", "ko,en").split(","))
    )
    WORD_FILTER_FILE = os.environ.get("ENCORE_WORD_FILTER_FILE") or None
    WORD_FILTER_MODE = os.environ.get("ENCORE_WORD_FILTER_MODE", "mask")
    # A browser that signed in to the account before counts on its own budget.
    LOGIN_LIMIT_PER_DEVICE = "10 per minute"

    # Korean first, English second; the order is the order of the language switch.
    BABEL_DEFAULT_LOCALE = "ko"
    BABEL_DEFAULT_TIMEZONE = "Asia/Seoul"
    LANGUAGES = ("ko", "en")
    DEFAULT_USER_TIMEZONE = "Asia/Seoul"

    ROOM_CATEGORIES = ROOM_CATEGORIES
    ROOMS_PER_PAGE = 12
    # A highlight carries up to four photos of at most 8 MB each; the avatar route keeps its
    # own 5 MB check. Anything bigger is refused with a 413 before it is read.
    PHOTO_MAX_BYTES = 8 * 1024 * 1024
    POST_MAX_PHOTOS = 4
    MAX_CONTENT_LENGTH = POST_MAX_PHOTOS * PHOTO_MAX_BYTES + 1024 * 1024
    AVATAR_MAX_BYTES = 5 * 1024 * 1024
    # Decoding pictures costs CPU; each person may upload this often (posts and avatars).
    UPLOAD_RATE_LIMIT = os.environ.get("ENCORE_UPLOAD_RATE_LIMIT", "10 per minute;60 per hour")
    FEED_PAGE_SIZE = 20
    UPLOAD_DIR = str(INSTANCE_DIR / "uploads")

    # OAuth providers appear only when their client id is configured.
    KAKAO_CLIENT_ID = os.environ.get("KAKAO_CLIENT_ID") or None
    KAKAO_CLIENT_SECRET = os.environ.get("KAKAO_CLIENT_SECRET") or None
    KAKAO_USE_OIDC = os.environ.get("KAKAO_USE_OIDC", "0") == "1"
    KAKAO_SERVER_URL = os.environ.get("KAKAO_SERVER_URL", "https://kauth.kakao.com")
    KAKAO_API_URL = os.environ.get("KAKAO_API_URL", "https://kapi.kakao.com")
    GOOGLE_CLIENT_ID = os.environ.get("GOOGLE_CLIENT_ID") or None
    GOOGLE_CLIENT_SECRET = os.environ.get("GOOGLE_CLIENT_SECRET") or None
    GOOGLE_METADATA_URL = os.environ.get(
        "GOOGLE_METADATA_URL", "https://accounts.google.com/.well-known/openid-configuration"
    )

    LEADERBOARD_TIMEZONE = "Asia/Seoul"
    LEADERBOARD_PAGE_SIZE = 25
    LEADERBOARD_BATCH_SIZE = 2000

    SEED_DEMO_ON_RUN = True

    # Video (docs/video.md). ICE_SERVERS is a JSON list of RTCIceServer objects; none by
    # default, which connects peers on the same network (and loopback) only.
    ICE_SERVERS = os.environ.get("ICE_SERVERS", "[]")
    # With TURN_SECRET set, each user gets coturn REST credentials (use-auth-secret) for
    # TURN_URLS that expire after TURN_TTL_SECONDS.
    TURN_SECRET = os.environ.get("TURN_SECRET") or None
    TURN_URLS = os.environ.get("TURN_URLS", "")
    TURN_TTL_SECONDS = int(os.environ.get("TURN_TTL_SECONDS", "3600"))
    # Peer-to-peer: how many viewers one performer's phone uploads to.
    VIDEO_P2P_MAX_VIEWERS = int(os.environ.get("VIDEO_P2P_MAX_VIEWERS", "8"))
    # The media server (docs/video.md): with JANUS_URL set, video goes through a Janus
    # VideoRoom per show instead of peer to peer. JANUS_ADMIN_URL and JANUS_ADMIN_SECRET reach
    # its admin API (rooms and tokens); JANUS_ROOM_ADMIN_KEY is the VideoRoom `admin_key`, so
    # only Encore creates rooms. Tokens last JANUS_TOKEN_TTL_SECONDS (and end with the show).
    JANUS_URL = os.environ.get("JANUS_URL", "").strip() or None
    JANUS_ADMIN_URL = os.environ.get("JANUS_ADMIN_URL", "").strip() or None
    JANUS_ADMIN_SECRET = os.environ.get("JANUS_ADMIN_SECRET") or None
    JANUS_ROOM_ADMIN_KEY = os.environ.get("JANUS_ROOM_ADMIN_KEY") or None
    JANUS_TOKEN_TTL_SECONDS = int(os.environ.get("JANUS_TOKEN_TTL_SECONDS", "1800"))
    # Janus calls are on the request path: fail fast so a dead server never stalls a show.
    JANUS_TIMEOUT_SECONDS = float(os.environ.get("JANUS_TIMEOUT_SECONDS", "3"))
    # Signalling limits, per socket: payload size in bytes and messages per 10 seconds.
    RTC_MAX_PAYLOAD_BYTES = int(os.environ.get("RTC_MAX_PAYLOAD_BYTES", "12000"))
    RTC_MESSAGES_PER_10S = int(os.environ.get("RTC_MESSAGES_PER_10S", "120"))

    def __init__(self) -> None:
        if self.SECRET_KEY is None:
            self.SECRET_KEY = _secret_key(self.PRODUCTION)
        if self.SOCKETIO_ASYNC_MODE is None:
            self.SOCKETIO_ASYNC_MODE = self.ASYNC_MODE
        self.CELERY = celery_settings(self.REDIS_URL, self.REDIS_KEY_PREFIX)
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(self.SQLALCHEMY_DATABASE_URI)


def engine_options(url: str) -> dict:
    """Return engine options suited to the database behind `url`."""
    pool = {"pool_size": DB_POOL_SIZE, "max_overflow": DB_POOL_CAPACITY - DB_POOL_SIZE}
    if url.startswith("sqlite"):
        # Several threads share the embedded file; WAL and the busy timeout are set on connect.
        options: dict = {"connect_args": {"check_same_thread": False, "timeout": 15}}
        if url.startswith("sqlite:///"):  # a file; an in-memory database has a pool of one
            options |= pool
        return options
    # No pre-ping: it costs a round trip on every checkout. Connections are recycled before
    # any server or proxy idle timeout can cut them, and a connection that dies anyway is
    # dropped with its pool on the first error (docs/architecture.md, "Database connections").
    return {
        "pool_pre_ping": False,
        "pool_recycle": int(os.environ.get("ENCORE_DB_POOL_RECYCLE", "1800")),
        **pool,
    }


def celery_settings(redis_url: str | None, prefix: str) -> dict:
    """Return the Celery settings, including the hourly leaderboard schedule."""
    return {
        "broker_url": redis_url or "memory://",
        "result_backend": redis_url,
        "task_ignore_result": True,
        "broker_transport_options": {"global_keyprefix": prefix},
        "result_backend_transport_options": {"global_keyprefix": prefix},
        "broker_connection_retry_on_startup": True,
        "timezone": "Asia/Seoul",
        "enable_utc": True,
        "beat_schedule": {
            "refresh-leaderboards-hourly": {
                "task": "app.tasks.leaderboard.refresh_leaderboards",
                "schedule": crontab(minute=0),
            },
            "rank-discover-every-10-minutes": {
                "task": "app.tasks.discover.rank_discover",
                "schedule": crontab(minute="*/10"),
            },
            # Show deadlines live on the room rows; this sweep applies the overdue ones.
            "sweep-show-deadlines": {
                "task": "app.tasks.deadlines.sweep_deadlines",
                "schedule": 5.0,
                "options": {"expires": 10},
            },
        },
    }


class TestConfig(Config):
    """Settings for the test suite: throwaway database, own Redis prefix, real CSRF."""

    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
    SOCKETIO_ASYNC_MODE = "threading"
    # In-process tests use the Socket.IO test client; the Redis queue is proven with
    # real server processes in tests/realtime.
    SOCKETIO_USE_QUEUE = False
    SEED_DEMO_ON_RUN = False

    def __init__(self, **overrides: object) -> None:
        super().__init__()
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL_RESOLVED", "sqlite://")
        self.REDIS_URL = os.environ.get("TEST_REDIS_URL_RESOLVED") or None
        self.REDIS_KEY_PREFIX = os.environ.get("TEST_REDIS_PREFIX", "encore-test:")
        for key, value in overrides.items():
            setattr(self, key, value)
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(self.SQLALCHEMY_DATABASE_URI)
        self.CELERY = celery_settings(self.REDIS_URL, self.REDIS_KEY_PREFIX)
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(self.SQLALCHEMY_DATABASE_URI)
