"""What every item of a highlights list would otherwise work out again, worked out once.

A feed page shows 20 posts and a busy post page 20 comment threads with their replies,
often more than 100 comments. Rendering, not reading, is what such a page costs: per item,
Babel resolved the locale and the date pattern again, `url_for` walked the URL map for the
same rule three or four times, and each label went through gettext again. `list_ui()`
resolves all of that once per response; the macros in `posts/_macros.html` take it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from babel.dates import get_date_format, get_datetime_format, get_time_format, parse_pattern
from flask import g, request, url_for
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from app.blueprints.posts import bp

# Stands in for the id while a URL is built once; any int the converters accept will do.
_ID = 2_147_483_647


def _url_by_id(endpoint: str, field: str, **values: str) -> Callable[[int], str]:
    """Build the URL of `endpoint` once; return a function that puts an id in it."""
    head, tail = url_for(endpoint, **{field: _ID}, **values).split(str(_ID))
    return lambda ident: f"{head}{int(ident)}{tail}"


def _profile_url() -> Callable[[str], str]:
    """Build a profile URL once; return a function that puts a username in it."""
    head, tail = url_for("profiles.show", username="~").split("~")
    return lambda username: f"{head}{quote(username, safe='')}{tail}"


def short_clock() -> Callable[[datetime | None], str]:
    """Return a formatter equal to the `datetime_short` filter for this response's language
    and time zone, with Babel's locale and patterns resolved once instead of per call."""
    locale = get_locale()
    zone = get_timezone()
    date_pattern = parse_pattern(get_date_format("short", locale=locale))
    time_pattern = parse_pattern(get_time_format("short", locale=locale))
    glue = get_datetime_format("short", locale=locale).replace("'", "")

    def clock(value: datetime | None) -> str:
        """Write `value` like datetime_short does."""
        if value is None:
            return ""
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        local = value.astimezone(zone)
        return glue.replace("{0}", time_pattern.apply(local, locale)).replace(
            "{1}", date_pattern.apply(local, locale)
        )

    return clock


@dataclass(frozen=True)
class ListUI:
    """Labels, URL shapes, the CSRF token, the viewer and the clock of one response."""

    viewer_id: int | None
    csrf: str
    clock: Callable[[datetime | None], str]
    labels: dict[str, str]
    post_url: Callable[[int], str]
    post_like_url: Callable[[int], str]
    comment_like_url: Callable[[int], str]
    comment_edit_url: Callable[[int], str]
    comment_delete_url: Callable[[int], str]
    comment_report_url: Callable[[int], str]
    add_comment_url: Callable[[int], str]
    profile_url: Callable[[str], str]
    login_to_like_url: str


@bp.app_template_global("list_ui")
def list_ui() -> ListUI:
    """Return this response's ListUI, building it on first use."""
    ui = g.get("_posts_list_ui")
    if ui is None:
        ui = ListUI(
            viewer_id=current_user.id if current_user.is_authenticated else None,
            csrf=generate_csrf(),
            clock=short_clock(),
            labels={
                "edited": _("edited"),
                "edit": _("Edit"),
                "delete": _("Delete"),
                "comment": _("comment"),
                "like": _("Like"),
                "unlike": _("Unlike"),
                "log_in_to_like": _("Log in to like"),
                "reply": _("Reply"),
                "report": _("Report"),
            },
            post_url=_url_by_id("posts.show", "post_id"),
            post_like_url=_url_by_id("posts.like", "post_id"),
            comment_like_url=_url_by_id("posts.like_comment", "comment_id"),
            comment_edit_url=_url_by_id("posts.edit_comment", "comment_id"),
            comment_delete_url=_url_by_id("posts.delete_comment", "comment_id"),
            comment_report_url=_url_by_id("safety.new_report", "target_id", target_type="comment"),
            add_comment_url=_url_by_id("posts.add_comment", "post_id"),
            profile_url=_profile_url(),
            login_to_like_url=url_for("auth.login", next=request.path),
        )
        g._posts_list_ui = ui
    return ui
