"""Routes for the benchmarks only, registered when ENCORE_BENCH_ROUTES=1 (never in production)."""

from flask import Blueprint

bp = Blueprint("diagnostics", __name__, url_prefix="/_bench")

from app.blueprints.diagnostics import routes  # noqa: E402, F401
