"""Rooms and the live show: the list, creating, the room page, the stage and its actions.

Every action is a form POST. Without htmx it answers 303 back to the room; with htmx it
answers the re-rendered stage fragment (join and leave reload the whole page, because
membership changes more than the stage).
"""

from __future__ import annotations

from flask import current_app, flash, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_login import current_user, login_required

from app.blueprints.rooms import bp
from app.blueprints.rooms.forms import RoomForm
from app.blueprints.rooms.guards import form_int, viewer_id
from app.errors import form_error, render_error
from app.extensions import limiter
from app.models import RoomStatus
from app.request_input import page_arg
from app.responses import fragment_or_redirect, is_htmx, page_or_fragment, see_other, varying
from app.services import chat as chat_service
from app.services import deadlines, reactions, show_members
from app.services import rooms as rooms_service
from app.services import show as show_service
from app.services.errors import DomainError
from app.services.room_chat_access import set_members_only
from app.services.show_view import stage_for

STAGE_FRAGMENT = "rooms/_stage.html"


def _stage_context(room_id: int) -> dict:
    """Return what the room page and the stage fragment render, for this viewer."""
    stage = stage_for(room_id, viewer_id())
    return {"room": stage.room, "stage": stage}


def _after_action(room_id: int):
    """Answer a successful show action: the stage for htmx, else 303 back to the room."""
    return fragment_or_redirect(
        STAGE_FRAGMENT, url_for("rooms.show", room_id=room_id), **_stage_context(room_id)
    )


def _list_filters() -> dict[str, str]:
    """Return the rooms-list filters from the query string, dropping empty or unknown ones."""
    args = request.args
    filters = {
        "q": (args.get("q") or "").strip()[:80],
        "category": args.get("category", "")
        if args.get("category") in rooms_service.categories()
        else "",
        "mode": args.get("mode", "") if args.get("mode") in ("ranked", "casual") else "",
        "status": args.get("status", "")
        if args.get("status") in rooms_service.LIST_STATUSES
        else "",
    }
    return {key: value for key, value in filters.items() if value}


def _page_number() -> int:
    """Return the `page` query parameter as a page number (1 when missing or garbage)."""
    return page_arg(strict=False)


@bp.get("/")
def index():
    """List open and live rooms: search, filters and infinite scroll."""
    filters = _list_filters()
    result = rooms_service.list_rooms(page=_page_number(), viewer_id=viewer_id(), **filters)
    next_url = url_for("rooms.index", page=result.page + 1, **filters) if result.has_next else None
    prev_url = url_for("rooms.index", page=result.page - 1, **filters) if result.page > 1 else None
    return page_or_fragment(
        "rooms/index.html",
        "rooms/_room_cards.html",
        result=result,
        filters=filters,
        next_url=next_url,
        prev_url=prev_url,
    )


@bp.get("/new")
@login_required
def new():
    """Show the form that opens a room."""
    return render_template("rooms/new.html", form=RoomForm())


@bp.post("/")
@login_required
def create():
    """Open a room from the form; errors redisplay it with what was typed."""
    form = RoomForm()
    status = 400
    if form.validate_on_submit():
        try:
            room = rooms_service.create_room(
                current_user.id,
                form.title.data,
                form.description.data or "",
                form.category.data,
                form.mode.data,
                form.capacity.data,
                # Left empty, they keep the defaults (3 minutes, 60 seconds).
                form.turn_minutes.data or rooms_service.TURN_MINUTES[2],
                form.scoring_seconds.data or rooms_service.SCORING_SECONDS[2],
                form.video.data or "stage",
            )
        except DomainError as error:
            status = form_error(form, error, "title")
        else:
            flash(_("Your room is open. Share it and start when people have joined."), "success")
            return see_other(url_for("rooms.show", room_id=room.id))
    return page_or_fragment("rooms/new.html", "rooms/_room_form.html", status=status, form=form)


@bp.get("/<int:room_id>")
def show(room_id: int):
    """The room page: details, the stage and the room chat."""
    return render_template("rooms/show.html", **_stage_context(room_id))


@bp.get("/<int:room_id>/stage")
def stage(room_id: int):
    """The stage fragment, personalised for the viewer (the whole page without htmx)."""
    return page_or_fragment("rooms/show.html", STAGE_FRAGMENT, **_stage_context(room_id))


@bp.post("/<int:room_id>/join")
@login_required
def join(room_id: int):
    """Take a seat in a lobby room."""
    rooms_service.join_room(room_id, current_user.id)
    flash(_("You have a seat. The show starts when the host says so."), "success")
    return see_other(url_for("rooms.show", room_id=room_id))


@bp.post("/<int:room_id>/leave")
@login_required
def leave(room_id: int):
    """Give up a seat, in the lobby or during the show (the turn is forfeited)."""
    room = show_members.leave(room_id, current_user.id)
    if room.status == RoomStatus.CANCELLED:
        chat_service.stop_hearing_room(current_user.id, room_id)
    elif room.chat_members_only:
        # A leaver may stay to watch, but no longer hears a members-only chat.
        chat_service.stop_hearing_room_chat(current_user.id, room_id)
    if room.status == RoomStatus.CANCELLED:
        flash(_("You left, and the room closed because nobody else was in it."), "info")
        return see_other(url_for("rooms.index"))
    flash(_("You left the room."), "info")
    return see_other(url_for("rooms.show", room_id=room_id))


@bp.post("/<int:room_id>/remove")
@login_required
def remove(room_id: int):
    """The host takes a member's seat away (lobby or live)."""
    user_id = form_int("user_id")
    if user_id is None:
        raise show_members.NotSeated()
    show_members.remove_member(room_id, current_user.id, user_id)
    chat_service.stop_hearing_room_chat(user_id, room_id)
    return _after_action(room_id)


@bp.post("/<int:room_id>/host")
@login_required
def hand_over(room_id: int):
    """The host hands hosting to another member."""
    user_id = form_int("user_id")
    if user_id is None:
        raise show_members.NotSeated()
    show_members.hand_over(room_id, current_user.id, user_id)
    return _after_action(room_id)


@bp.post("/<int:room_id>/chat-access")
@login_required
def chat_access(room_id: int):
    """The host makes the room chat members-only (`members_only=1`) or open to spectators."""
    set_members_only(room_id, current_user.id, request.form.get("members_only") == "1")
    return _after_action(room_id)


@bp.post("/<int:room_id>/pause")
@login_required
def pause(room_id: int):
    """The host stops the show's clock."""
    deadlines.pause(room_id, current_user.id)
    return _after_action(room_id)


@bp.post("/<int:room_id>/resume")
@login_required
def resume(room_id: int):
    """The host restarts the show's clock."""
    deadlines.resume(room_id, current_user.id)
    return _after_action(room_id)


@bp.post("/<int:room_id>/extend")
@login_required
def extend(room_id: int):
    """The host gives the current phase another minute."""
    deadlines.extend(room_id, current_user.id)
    return _after_action(room_id)


@bp.post("/<int:room_id>/start")
@login_required
def start(room_id: int):
    """The host starts the show with the first performer on air."""
    show_service.start_show(room_id, current_user.id, form_int("first_performer_id"))
    return _after_action(room_id)


@bp.post("/<int:room_id>/end-turn")
@login_required
def end_turn(room_id: int):
    """The performer or the host ends the turn; scoring opens."""
    show_service.end_turn(room_id, current_user.id)
    return _after_action(room_id)


@bp.post("/<int:room_id>/nominate")
@login_required
def nominate(room_id: int):
    """The performer or the host picks who goes on stage next."""
    nominee_id = form_int("user_id")
    if nominee_id is None:
        raise show_service.InvalidNominee()
    show_service.nominate(room_id, current_user.id, nominee_id)
    return _after_action(room_id)


@bp.post("/<int:room_id>/score")
@login_required
def score(room_id: int):
    """Score the performance being scored, 1 to 10, once."""
    show_service.score(room_id, current_user.id, request.form.get("value", ""))
    return _after_action(room_id)


@bp.post("/<int:room_id>/close-scoring")
@login_required
def close_scoring(room_id: int):
    """The host closes scoring before everyone has scored."""
    show_service.close_scoring(room_id, current_user.id)
    return _after_action(room_id)


@bp.post("/<int:room_id>/finish")
@login_required
def finish(room_id: int):
    """The host ends the show and shows the results."""
    show_service.finish_show(room_id, current_user.id)
    return _after_action(room_id)


def _reaction_limit() -> str:
    """Return how many reactions one person may send, as a Flask-Limiter limit string."""
    return current_app.config.get("REACTION_RATE_LIMIT", "10 per 5 seconds")


def _reaction_key() -> str:
    """Rate-limit reactions per person, whichever device or address they use."""
    user_id = viewer_id()
    return f"react:user:{user_id}" if user_id is not None else f"react:ip:{request.remote_addr}"


@bp.post("/<int:room_id>/react")
@login_required
@limiter.limit(_reaction_limit, key_func=_reaction_key)
def react(room_id: int):
    """Clap or spin the mirror ball for the performer on air."""
    kind = request.form.get("kind", "")
    counts = reactions.react(room_id, current_user.id, kind)
    url = url_for("rooms.show", room_id=room_id)
    if not is_htmx():
        return see_other(url)
    context = _stage_context(room_id)
    return varying(render_template("rooms/_reactions.html", **context, counts=counts))


@bp.errorhandler(RateLimitExceeded)
def _too_many(error: RateLimitExceeded):
    """Answer a rate limit quietly for htmx (no swap, no toast); others get the 429 page."""
    if is_htmx():
        response = make_response("", 429)
        response.headers["HX-Reswap"] = "none"
        response.headers["Retry-After"] = "2"
        return response
    return render_error(429, _("You are going a little fast. Wait a moment and try again."))
