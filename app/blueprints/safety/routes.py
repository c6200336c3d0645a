"""Report something, block someone, and the moderators' queue, log and panic switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from app import badges
from app.blueprints.safety import bp
from app.models import ReportTarget
from app.request_input import parse_int
from app.responses import fragment_or_redirect, is_htmx, safe_next, see_other
from app.services import accounts, blocks, moderation_actions, modlog, panic, reports, sanctions
from app.services.errors import InvalidInput


@bp.before_app_request
def _tell_report_outcomes() -> None:
    """Show reporters what became of their reports, once, on their next full page."""
    # Only full pages show notices, and not the auth pages: flashing on a picture, a health
    # check or a fragment could race the page's own response for the session cookie and
    # lose the message. Checked before `current_user`, which loads the user from the
    # database: /healthz must answer its JSON to a logged-in browser too while the
    # database is away.
    if request.blueprint == "auth" or not badges.page_shows_badges():
        return
    if not current_user.is_authenticated:
        return
    # Read with the navigation badges (and the user); the page needs those anyway.
    if not badges.counts(current_user.id).outcomes_waiting:
        return
    for message in reports.outcomes_to_tell(current_user.id):
        flash(message, "info")


def _int_or_none(name: str) -> int | None:
    """Return a form field as an int, None when empty; 400 when it is not a number."""
    value = (request.form.get(name) or "").strip()
    if not value:
        return None
    number = parse_int(value)
    if number is None:
        raise InvalidInput(field=name)
    return number


def _back(default: str = "/") -> str:
    """Return the safe `next` of the form, or `default`."""
    return safe_next(request.form.get("next") or request.args.get("next") or default)


@bp.get("/reports/new")
@login_required
def new_report():
    """The report form for one target (`target_type`, `target_id`)."""
    kind, number = reports.parse_target(
        request.args.get("target_type", ""), request.args.get("target_id", "")
    )
    reports.check_target(current_user.id, kind, number)
    return render_template(
        "safety/report.html",
        target_type=kind.value,
        target_id=number,
        reasons=reports.reason_choices(),
        next=safe_next(request.args.get("next") or _referrer_path()),
    )


def _referrer_path() -> str | None:
    """Return the path of the page that linked here, when it is on this site."""
    if not request.referrer:
        return None
    parts = urlsplit(request.referrer)
    if parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


@bp.post("/reports")
@login_required
def create_report():
    """Report a user, room, chat line, post or comment; reporting again updates it."""
    reports.file_report(
        current_user.id,
        request.form.get("target_type", ""),
        request.form.get("target_id", ""),
        request.form.get("reason", ""),
        request.form.get("note", ""),
    )
    if is_htmx():
        return render_template("safety/_reported.html")
    flash(_("Thanks for telling us. A moderator will look at it."), "success")
    return see_other(_back())


@bp.post("/users/<username>/block")
@login_required
def block(username: str):
    """Block this person: they cannot follow, message or join my rooms; lists hide us."""
    user = _user_or_404(username)
    blocks.block(current_user.id, user.id)
    return _block_answer(user)


@bp.post("/users/<username>/unblock")
@login_required
def unblock(username: str):
    """Unblock this person; everything hidden comes back."""
    user = _user_or_404(username)
    blocks.unblock(current_user.id, user.id)
    return _block_answer(user)


def _user_or_404(username: str):
    """Return the user or answer 404."""
    user = accounts.get_user_by_username(username)
    if user is None:
        abort(404)
    return user


def _block_answer(user):
    """The block button for htmx; a plain form goes back to the profile."""
    return fragment_or_redirect(
        "safety/_block_button.html",
        url_for("profiles.show", username=user.username),
        user=user,
        has_blocked=blocks.has_blocked(current_user.id, user.id),
    )


@bp.get("/mod/")
@login_required
def queue():
    """The moderator queue: open reports grouped by target, with context."""
    items = reports.queue(current_user.id)
    return render_template(
        "safety/queue.html",
        items=items,
        reasons=reports.reason_choices(),
        actionable=moderation_actions.ACTIONABLE,
        minutes=sanctions.TIMEOUT_MINUTES,
        panic_on=panic.is_on(),
        ReportTarget=ReportTarget,
    )


@bp.post("/mod/resolve")
@login_required
def resolve():
    """Close every open report on a target with an action and a note."""
    modlog.require_moderator(current_user.id)
    closed = reports.resolve(
        current_user.id,
        request.form.get("target_type", ""),
        request.form.get("target_id", ""),
        request.form.get("action", ""),
        request.form.get("note", ""),
        reason=request.form.get("reason", "other"),
        minutes=_int_or_none("minutes"),
        days=_int_or_none("days"),
        scope=request.form.get("scope", "site"),
    )
    flash(
        ngettext("Resolved %(num)d report.", "Resolved %(num)d reports.", len(closed)),
        "success",
    )
    return see_other(url_for("safety.queue"))


@bp.post("/mod/panic")
@login_required
def toggle_panic():
    """Switch panic mode on or off (field `on` = 1 or 0)."""
    modlog.require_moderator(current_user.id)
    on = request.form.get("on")
    if on not in ("0", "1"):
        raise InvalidInput(field="on")
    panic.set_panic(current_user.id, on == "1", request.form.get("note", "")[:500])
    flash(_("Panic mode is on.") if on == "1" else _("Panic mode is off."), "success")
    return see_other(url_for("safety.queue"))


@bp.post("/mod/users/<username>/unban")
@login_required
def unban(username: str):
    """Lift every ban in force on this person."""
    modlog.require_moderator(current_user.id)
    user = _user_or_404(username)
    sanctions.lift_ban(current_user.id, user.id, request.form.get("note", "")[:500])
    flash(_("The ban is lifted."), "success")
    return see_other(url_for("safety.log"))


@bp.get("/mod/log")
@login_required
def log():
    """Every moderator action, newest first."""
    modlog.require_moderator(current_user.id)
    entries = modlog.recent(before_id=parse_int(request.args.get("before")))
    return render_template("safety/log.html", entries=entries)
