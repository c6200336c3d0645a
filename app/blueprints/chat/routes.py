"""Chat routes: room chat history and posting, and the conversations under /chats/."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import abort, flash, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.blueprints.chat import bp
from app.blueprints.chat.forms import DirectForm, GroupForm, ReadForm, RenameForm
from app.blueprints.chat.templating import line_tools
from app.errors import form_error
from app.extensions import db, login_manager
from app.models import ChannelKind, User
from app.request_input import arg_int
from app.responses import is_htmx, page_or_fragment, safe_next, see_other, varying
from app.services import blocks
from app.services import chat as chat_service
from app.services.chat import PostResult
from app.services.errors import DomainError, NotFound, SessionEnded
from app.sessions import Claim, session_claim


def _seq_arg(name: str) -> int | None:
    """Return the query argument `name` as a sequence number, or 400 when it is not one."""
    return arg_int(name, message=_("'%(name)s' must be a message number.", name=name))


def _history(channel_id: int, hidden_senders: set[int] | None = None) -> dict:
    """Load the lines a history request asks for: `after`, `before`, or the latest page.

    `hidden_senders` is the viewer's blocked ids when the caller has read them already
    (`chat_service.chat_viewer`); None reads them here.
    """
    after, before = _seq_arg("after"), _seq_arg("before")
    more = False
    if after is not None:
        lines = chat_service.after(channel_id, after)
        more = len(lines) == chat_service.AFTER_LIMIT
        has_older = False
    elif before is not None:
        lines = chat_service.before(channel_id, before)
        has_older = bool(lines) and lines[0].seq > 1
    else:
        lines = chat_service.latest(channel_id)
        has_older = bool(lines) and lines[0].seq > 1
    return {
        "channel_id": channel_id,
        "messages": lines,
        "has_older": has_older,
        "more": more,
        "before": before,
        "viewer_id": current_user.id,
        # Lines of people in a block with the viewer stay as empty numbered slots, so the
        # page's gap detection still sees 1, 2, 3, …
        "hidden_senders": blocks.blocked_ids(current_user.id)
        if hidden_senders is None
        else hidden_senders,
    }


def _lines_response(history: dict, **context):
    """Answer an htmx history request with just the lines (and the "earlier" link)."""
    response = varying(render_template("chat/_messages.html", **history, **context))
    response.headers["X-Chat-More"] = "1" if history["more"] else "0"
    response.headers["Cache-Control"] = "no-store"
    return response


def _posted_line() -> tuple[str | None, str | None]:
    """The composer's two fields, read straight from the form: the chat service checks both,
    and building a WTForms form for them cost a post more than the word filter."""
    return request.form.get("body"), request.form.get("client_id")


def _posted(result: PostResult, back: str):
    """Answer a post: the line itself for htmx (the sender sees it at once), else 303 back.

    The line is the HTML every socket received, marked as the sender's own: it is rendered
    once per post.
    """
    if is_htmx():
        response = varying(chat_service.mark_mine(result.html), 201 if result.created else 200)
        response.headers["X-Chat-Seq"] = str(result.seq)
        return response
    return see_other(back)


def _post_signed_in(post: Callable[[Claim, str | None, str | None], PostResult], back: str):
    """Run a post as the user the session names, and answer it (see `_posted`).

    Not `login_required`: that loads the user first, and the post's own statement checks
    the session token and loads them (app/services/chat/post.py). A session that names
    nobody, or whose token is no longer current, is sent to sign in, as there.
    """
    claim = session_claim()
    if claim is None:
        return login_manager.unauthorized()
    body, client_id = _posted_line()
    try:
        result = post(claim, body, client_id)
    except SessionEnded:
        return login_manager.unauthorized()
    return _posted(result, back)


# Room chat ------------------------------------------------------------------------------


def _room_back(room_id: int) -> str:
    """Where a plain-form room post returns: the room page it came from, else the chat page."""
    referrer = urlsplit(request.referrer or "")
    room_path = f"/rooms/{room_id}"
    same_room = referrer.path == room_path or referrer.path.startswith(room_path + "/")
    if same_room and referrer.netloc == request.host:
        return safe_next(referrer.path) + "#chat"
    return url_for("chat.room_messages", room_id=room_id) + "#chat"


@bp.get("/rooms/<int:room_id>/messages", endpoint="room_messages")
@login_required
def room_messages(room_id: int):
    """A room's chat: the lines for htmx (`after`, `before`), or a page of its own."""
    from app.models import Room

    channel_id = chat_service.room_channel_for(current_user.id, room_id)
    if is_htmx():
        viewer = None  # the lines alone: no composer, so no restriction to read
        history = _history(channel_id)
    else:
        viewer = chat_service.chat_viewer(current_user.id, room_id)
        history = _history(channel_id, viewer.hidden_senders)
    room = db.session.get(Room, room_id)
    messages_url = url_for("chat.room_messages", room_id=room_id)
    context = {
        "messages_url": messages_url,
        "page_url": messages_url,
        "line_tools": line_tools(room),
    }
    if viewer is None:
        return _lines_response(history, **context)
    return varying(
        render_template(
            "chat/room.html",
            room=room,
            **history,
            **context,
            post_url=url_for("chat.post_room_message", room_id=room_id),
            client_id=chat_service.new_client_id(),
            restriction=viewer.restriction,
            slow_seconds=room.chat_slow_seconds if room else 0,
        )
    )


@bp.post("/rooms/<int:room_id>/messages", endpoint="post_room_message")
def post_room_message(room_id: int):
    """Post a line to a room's chat."""

    def post(claim: Claim, body: str | None, client_id: str | None) -> PostResult:
        return chat_service.post_room_message(
            claim.user_id, room_id, body, client_id, token=claim.token
        )

    return _post_signed_in(post, _room_back(room_id))


# Conversations --------------------------------------------------------------------------


@bp.get("/chats/", endpoint="index")
@login_required
def index():
    """My conversations with their last line and unread counts."""
    rows = chat_service.conversations(current_user.id)
    return page_or_fragment(
        "chat/index.html", "chat/_list.html", rows=rows, direct_form=DirectForm()
    )


@bp.get("/chats/badge", endpoint="badge")
@login_required
def badge():
    """The unread badge of the navigation, for live refreshes."""
    response = make_response(render_template("chat/_nav_badge.html"))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/chats/new", methods=["GET", "POST"], endpoint="new_group")
@login_required
def new_group():
    """Start a group conversation with a title and chosen people."""
    form = GroupForm()
    if request.method == "GET" and request.args.get("with"):
        form.members.data = request.args["with"]
    status = 200
    if request.method == "POST":
        try:
            names = (form.members.data or "").replace(",", " ").split()
            people = chat_service.users_by_username(names)
            channel = chat_service.start_group(
                current_user.id, form.title.data, [p.id for p in people]
            )
        except DomainError as error:
            status = form_error(form, error, "members")
        else:
            return see_other(url_for("chat.conversation", channel_id=channel.id))
    return render_template("chat/new.html", form=form), status


def _start_direct_with(username: str):
    """Open the direct conversation with `username` and go there."""
    other = db.session.scalar(
        select(User).where(User.username_key == (username or "").strip().lstrip("@").lower())
    )
    if other is None:
        raise NotFound(_("We could not find that person."))
    channel = chat_service.start_direct(current_user.id, other.id)
    return see_other(url_for("chat.conversation", channel_id=channel.id))


@bp.post("/chats/direct", endpoint="start_direct")
@login_required
def start_direct():
    """Start or reopen a direct conversation; form field `username`."""
    return _start_direct_with(DirectForm().username.data)


@bp.post("/users/<username>/message", endpoint="message_user")
@login_required
def message_user(username: str):
    """The profile's "Message" button: start or reopen a direct conversation."""
    return _start_direct_with(username)


def _conversation_context(channel_id: int, viewer: chat_service.ChatViewer) -> dict:
    """Everything the conversation page shows besides its lines."""
    channel = chat_service.conversation(current_user.id, channel_id)
    return {
        "channel": channel,
        "is_group": channel.kind == ChannelKind.GROUP,
        "title": chat_service.conversation_title(channel, current_user.id),
        "people": chat_service.members(channel_id),
        "messages_url": url_for("chat.conversation_messages", channel_id=channel_id),
        "page_url": url_for("chat.conversation", channel_id=channel_id),
        "post_url": url_for("chat.post_conversation_message", channel_id=channel_id),
        "read_url": url_for("chat.read", channel_id=channel_id),
        "client_id": chat_service.new_client_id(),
        "rename_form": RenameForm(title=channel.title),
        "restriction": viewer.restriction,
    }


@bp.get("/chats/<int:channel_id>", endpoint="conversation")
@login_required
def conversation(channel_id: int):
    """A conversation page; opening it marks it read."""
    viewer = chat_service.chat_viewer(current_user.id)
    context = _conversation_context(channel_id, viewer)
    history = _history(channel_id, viewer.hidden_senders)
    if history["before"] is None:
        chat_service.mark_read(current_user.id, channel_id)
    response = varying(render_template("chat/conversation.html", **context, **history))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/chats/<int:channel_id>/messages", endpoint="conversation_messages")
@login_required
def conversation_messages(channel_id: int):
    """A conversation's lines: `after` a number, `before` one, or the latest page."""
    viewer = chat_service.chat_viewer(current_user.id)
    context = _conversation_context(channel_id, viewer)
    history = _history(channel_id, viewer.hidden_senders)
    if is_htmx():
        return _lines_response(history, **context)
    return varying(render_template("chat/conversation.html", **context, **history))


@bp.post("/chats/<int:channel_id>/messages", endpoint="post_conversation_message")
def post_conversation_message(channel_id: int):
    """Post a line to a conversation (the post itself checks the seat)."""

    def post(claim: Claim, body: str | None, client_id: str | None) -> PostResult:
        return chat_service.post_message(
            claim.user_id, channel_id, body, client_id, token=claim.token, conversations_only=True
        )

    return _post_signed_in(post, url_for("chat.conversation", channel_id=channel_id) + "#composer")


@bp.post("/chats/<int:channel_id>/read", endpoint="read")
@login_required
def read(channel_id: int):
    """Record how far the reader has read (`seq`; all when missing)."""
    form = ReadForm()
    if form.seq.data is None and form.seq.raw_data and form.seq.raw_data[0]:
        abort(400, _("'seq' must be a message number."))
    unread = chat_service.mark_read(current_user.id, channel_id, form.seq.data)
    if is_htmx():
        response = make_response("", 204)
        response.headers["X-Chat-Unread"] = str(unread)
        return response
    return see_other(url_for("chat.conversation", channel_id=channel_id))


@bp.post("/chats/<int:channel_id>/rename", endpoint="rename")
@login_required
def rename(channel_id: int):
    """Give a group conversation a new title (field `title`)."""
    chat_service.rename(current_user.id, channel_id, RenameForm().title.data)
    return see_other(url_for("chat.conversation", channel_id=channel_id))


@bp.post("/chats/<int:channel_id>/leave", endpoint="leave")
@login_required
def leave(channel_id: int):
    """Leave a conversation; the others see a system line."""
    chat_service.leave(current_user.id, channel_id)
    flash(_("You left the conversation."), "success")
    return see_other(url_for("chat.index"))
