"""Encore: live-show rooms for small groups. `create_app` builds the web app."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from flask import Flask, request, url_for
from flask_login import current_user

from app.config import INSTANCE_DIR, Config
from app.extensions import babel, csrf, db, login_manager, migrate, oauth

BLUEPRINTS = (
    "app.blueprints.main",
    "app.blueprints.auth",
    "app.blueprints.rooms",
    "app.blueprints.chat",
    "app.blueprints.profiles",
    "app.blueprints.leaderboard",
    "app.blueprints.posts",
    "app.blueprints.invites",
    "app.blueprints.notifications",
    "app.blueprints.safety",
)


class EncoreFlask(Flask):
    """Flask, remembering which of its hooks and views are plain functions.

    Flask asks `inspect.iscoroutinefunction` about every hook and the view on every
    request, fifteen times for a chat post, to run `async def` ones through asgiref. Encore
    has none, and a function's kind never changes, so each is asked about once. The memo
    holds the app's own hooks and views; it stops growing at `RUNNABLE_MEMO` entries, so a
    callable made afresh per request (a class-based view's bound method, say) is asked
    about each time, as Flask would, rather than kept forever.
    """

    RUNNABLE_MEMO = 1024

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._runnable: dict[Callable, Callable] = {}

    def ensure_sync(self, func: Callable) -> Callable:
        """Flask's `ensure_sync`, answered from memory after the first time for `func`."""
        try:
            return self._runnable[func]
        except KeyError:
            runnable = super().ensure_sync(func)
            if len(self._runnable) < self.RUNNABLE_MEMO:
                self._runnable[func] = runnable
            return runnable
        except TypeError:  # an unhashable callable: asked about each time, as in Flask
            return super().ensure_sync(func)


def create_app(config: object | None = None) -> Flask:
    """Build the Encore app from `config` (a Config instance; defaults to the environment)."""
    app = EncoreFlask(__name__, instance_path=str(INSTANCE_DIR), instance_relative_config=False)
    app.config.from_object(config if config is not None else Config())
    Path(app.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.config["SQLALCHEMY_DATABASE_URI"][len("sqlite:///") :]).parent.mkdir(
            parents=True, exist_ok=True
        )

    from app.rate_limits import init_rate_limits
    from app.request_input import init_request_input
    from app.security import register_security_headers

    # Before any blueprint adds rules: `<int:…>` binds its converter when a rule is added.
    init_request_input(app)
    # Before Flask-SocketIO wraps the app: Flask's own responses carry the headers.
    register_security_headers(app)
    _init_extensions(app)
    _register_blueprints(app)
    # After the blueprints: whether a blueprint carries limits decides what is checked.
    init_rate_limits(app)
    _register_template_helpers(app)

    from app.cli import register_cli
    from app.errors import register_error_handlers
    from app.i18n import register_i18n
    from app.services.oauth_providers import register_providers

    if app.config.get("PROXY_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        # Only the address and scheme: deploy/nginx.conf sets those, and a Host header
        # nginx passes through untouched must not be trusted.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    register_error_handlers(app)
    register_i18n(app)
    register_cli(app)
    register_providers(app)
    return app


def _init_extensions(app: Flask) -> None:
    """Bind every extension to `app`."""
    from app import models  # noqa: F401  (registers every table on the metadata)
    from app.celery_app import celery_init_app
    from app.csrf_check import init_csrf_check
    from app.database import configure_engine
    from app.health import init_health
    from app.i18n import install_request_domain, select_locale, select_timezone
    from app.realtime import effective_async_mode, init_realtime
    from app.redis_store import init_redis
    from app.session_cookie import init_session_cookie
    from app.shedding import init_shedding

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    init_health(app)
    # First of the request hooks: a request waits for its turn at the database (or is shed)
    # before any other hook can load the signed-in user.
    init_shedding(app, effective_async_mode(app.config["SOCKETIO_ASYNC_MODE"]))
    migrate.init_app(
        app,
        db,
        directory=str(Path(__file__).resolve().parent.parent / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )

    init_session_cookie(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    from app.sessions import load_user, slide_expiry_daily, unauthorized

    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)
    app.before_request(slide_expiry_daily)

    init_csrf_check(app, csrf)

    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    with app.app_context():
        install_request_domain(babel)
    oauth.init_app(app)
    init_redis(app)
    init_realtime(app)
    celery_init_app(app)


def _register_blueprints(app: Flask) -> None:
    """Import each area's blueprint package and register its `bp`."""
    import importlib

    names = list(BLUEPRINTS)
    if os.environ.get("ENCORE_BENCH_ROUTES") == "1" and not app.config.get("PRODUCTION"):
        names.append("app.blueprints.diagnostics")
    for name in names:
        module = importlib.import_module(name)
        app.register_blueprint(module.bp)


def _register_template_helpers(app: Flask) -> None:
    """Expose navigation, asset URLs and settings to every template."""
    from flask_babel import get_locale

    from app.fragment_cache import init_fragment_cache
    from app.navigation import is_current, nav_items

    init_fragment_cache(app)
    static_root = Path(app.static_folder or "")
    # filename -> digest, and (script root, filename) -> the finished URL: every page links
    # the same handful of assets, and building each URL anew cost a route build apiece.
    digests: dict[str, str] = {}
    urls: dict[tuple[str, str], str] = {}

    def asset_url(filename: str) -> str:
        """Return a static URL with a content digest, so browsers cache it safely."""
        if app.debug:  # files change while developing: digest them every time
            digests.pop(filename, None)
            urls.clear()
        key = (request.script_root, filename)
        url = urls.get(key)
        if url is None:
            if filename not in digests:
                data = (static_root / filename).read_bytes()
                digests[filename] = hashlib.sha256(data).hexdigest()[:10]
            url = urls[key] = url_for("static", filename=filename, v=digests[filename])
        return url

    @app.context_processor
    def _globals() -> dict:
        return {
            "asset_url": asset_url,
            "nav_items": lambda: nav_items(current_user.is_authenticated),
            "nav_is_current": is_current,
            "room_categories": dict(app.config["ROOM_CATEGORIES"]),
            "config_view_functions": app.view_functions,
            "get_locale": get_locale,
            "languages": app.config["LANGUAGES"],
        }
