"""The main navigation, listed once; an entry shows when its endpoint exists."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class NavItem:
    """One entry of the navigation bar."""

    endpoint: str
    label: object  # a lazy string, translated when rendered
    icon: str
    needs_login: bool = False


NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("main.index", _l("Home"), "home"),
    NavItem("rooms.index", _l("Rooms"), "stage"),
    NavItem("posts.discover", _l("Highlights"), "clap"),
    NavItem("chat.index", _l("Chats"), "chat", needs_login=True),
    NavItem("leaderboard.index", _l("Ranks"), "trophy"),
    NavItem("profiles.search", _l("People"), "people"),
)


def nav_items(logged_in: bool) -> list[NavItem]:
    """Return the entries this viewer sees, in order."""
    endpoints = current_app.view_functions
    return [
        item
        for item in NAV_ITEMS
        if item.endpoint in endpoints and (logged_in or not item.needs_login)
    ]


def is_current(item: NavItem) -> bool:
    """Tell whether the request is in the item's area (for aria-current)."""
    endpoint = request.endpoint or ""
    return endpoint == item.endpoint or (
        endpoint.split(".")[0] == item.endpoint.split(".")[0] and item.endpoint != "main.index"
    )
