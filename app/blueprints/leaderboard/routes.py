"""The leaderboard page: all-time and weekly boards, by category, read from the snapshot."""

from __future__ import annotations

from datetime import datetime

from flask import render_template, request

from app.blueprints.leaderboard import bp
from app.blueprints.leaderboard.rows import board_rows
from app.request_input import page_arg
from app.responses import page_or_fragment, viewer_id
from app.services import leaderboard


def _query_args() -> tuple[str, str | None, int]:
    """Return period, category and page from the query string, or answer 400."""
    period = request.args.get("period", "all")
    category = request.args.get("category") or None
    return period, category, page_arg()


@bp.get("/leaderboard")
def index():
    """Show a page of a board, the viewer's own rank and when it was last updated."""
    period, category, number = _query_args()
    board_page = leaderboard.page(period, category, number, viewer_id())
    return page_or_fragment(
        "leaderboard/page.html",
        "leaderboard/_board.html",
        board_page=board_page,
        board_rows=board_rows(board_page),
    )


@bp.get("/leaderboard/notice")
def notice():
    """Answer the live notice: an offer to reload when a newer snapshot than `since` exists."""
    period, category, number = _query_args()
    board = leaderboard.board_for(period, category)
    try:
        # A bare "+" in a hand-typed query string arrives as a space.
        since = datetime.fromisoformat(request.args.get("since", "").replace(" ", "+"))
    except ValueError:
        since = None
    latest = leaderboard.updated_at()
    fresh = latest is not None and (since is None or latest > since)
    response = render_template(
        "leaderboard/_notice.html", board=board, page_number=number, fresh=fresh
    )
    return response, 200, {"Cache-Control": "no-store"}
