"""Flask-Limiter for Encore: counted in Redis, and checked only where a limit is declared.

Every limit in Encore is a decorator on its view (`limiter.limit`, `limiter.shared_limit`);
none is application-wide, a default, or set on a blueprint. Flask-Limiter checks a
decorated limit when its view runs. Its before-request pass looks for the other three
kinds, so with none declared it finds nothing, but it still resolves the endpoint's limits
and exemptions on every request. That pass cost a room chat post 0.39 M of its 6.94 M
instructions (5.6 %, docs/benchmarks.md, "Fast path, twelfth round"), and every page paid
it too. Encore leaves it out while no limit of those kinds is declared.
"""

from __future__ import annotations

from flask import Flask

from app.extensions import limiter


def init_rate_limits(app: Flask) -> None:
    """Bind the limiter to `app` (after its blueprints), storing counts in its Redis namespace."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", app.config["REDIS_KEY_PREFIX"] + "limits")
    limiter.init_app(app)
    hooks = app.before_request_funcs.get(None, [])
    # Flask-Limiter has no setting for this. Without its before-request pass the decorated
    # limits are still checked, by their own wrappers around the views
    # (tests/web/test_rate_limits.py). A disabled limiter adds no pass at all.
    if limiter._check_request_limit in hooks and not request_wide_limits(app):
        hooks.remove(limiter._check_request_limit)


def request_wide_limits(app: Flask) -> bool:
    """Tell whether any limit is declared that Flask-Limiter checks before every view:
    default or application limits (in configuration or on the limiter), or a blueprint's."""
    manager = limiter.limit_manager
    return bool(
        manager.default_limits
        or manager.application_limits
        or any(manager.blueprint_limits(app, name) for name in app.blueprints)
    )
