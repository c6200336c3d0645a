"""Flask-Limiter for Encore: counted in Redis, and checked only where a limit is declared.

Every limit in Encore is a decorator on its view (`limiter.limit`, `limiter.shared_limit`);
none is application-wide, a default, or set on a blueprint. Flask-Limiter checks a
decorated limit when its view runs. Its before-request pass looks for the other three
kinds, so with none declared it finds nothing, but it still resolves the endpoint's limits
and exemptions on every request. That pass cost a room chat post 0.39 M of its 6.94 M
instructions (5.6 %, docs/benchmarks.md, "Fast path, twelfth round"), and every page paid
it too. Encore leaves it out while no limit of those kinds is declared.

Its after-request and teardown passes (the rate-limit headers, the per-request state) are
kept, but run only for a request that touched a limit: Flask-Limiter keeps its state for a
request on the request's context, created by the first limit checked. A request with none
has no state to report or clear, and the two passes cost every post 0.12 M instructions
(docs/benchmarks.md, "Fast path, twenty-first round").
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from flask import Flask, Response
from flask.globals import request_ctx

from app.extensions import limiter

# Where Flask-Limiter keeps a request's state (flask_limiter.Limiter.context).
_LIMITER_STATE = "_limiter_request_context"


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
    _only_after_a_limit(app.after_request_funcs.setdefault(None, []))
    _only_after_a_limit(app.teardown_request_funcs.setdefault(None, []))


def _only_after_a_limit(hooks: list[Callable]) -> None:
    """Wrap Flask-Limiter's hooks in `hooks` to run only when the request checked a limit."""
    for index, hook in enumerate(hooks):
        if _owner(hook) is limiter:
            hooks[index] = _when_limited(hook)


def _owner(hook: Callable) -> object:
    """The object a hook belongs to: Flask-Limiter registers a bound method and a partial."""
    if isinstance(hook, partial):
        return hook.args[0] if hook.args else None
    return getattr(hook, "__self__", None)


def _when_limited(hook: Callable) -> Callable:
    """`hook`, skipped for a request that no limit looked at (it returns what it was given)."""

    def limited_only(response: Response | BaseException | None = None):
        if hasattr(request_ctx._get_current_object(), _LIMITER_STATE):
            return hook(response)
        return response

    return limited_only


def request_wide_limits(app: Flask) -> bool:
    """Tell whether any limit is declared that Flask-Limiter checks before every view:
    default or application limits (in configuration or on the limiter), or a blueprint's."""
    manager = limiter.limit_manager
    return bool(
        manager.default_limits
        or manager.application_limits
        or any(manager.blueprint_limits(app, name) for name in app.blueprints)
    )
