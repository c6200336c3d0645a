"""Opening an invite link, the QR code and the full-screen invite, and renewing the link."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.blueprints.invites import bp
from app.blueprints.invites.qr import qr_svg
from app.blueprints.invites.templating import invite_url
from app.extensions import limiter
from app.responses import see_other
from app.services import invites
from app.services import rooms as rooms_service
from app.services.oauth_providers import configured_providers


@bp.get("/r/<code>")
# Codes are 128 random bits; the limit also makes trying many of them visibly pointless.
@limiter.limit("60 per minute")
def open_invite(code: str):
    """Invite link: the room for members, a sign-up or log-in page that returns to the room."""
    opened = invites.open_invite(code)
    room_url = url_for("rooms.show", room_id=opened.room.id)
    if current_user.is_authenticated:
        return redirect(room_url, code=303)
    return render_template(
        "invites/invite.html",
        room=opened.room,
        host=opened.host,
        next_url=room_url,
        share_url=invite_url(opened.code),
        providers=configured_providers(),
    )


@bp.get("/rooms/<int:room_id>/qr.svg")
@login_required
def qr(room_id: int):
    """QR code of the room's invite link (`image/svg+xml`)."""
    rooms_service.visible_room(room_id, current_user.id)
    response = make_response(qr_svg(invite_url(invites.live_invite(room_id).code)))
    response.mimetype = "image/svg+xml"
    # A renewed link must show at once, so nothing may keep the old picture.
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/rooms/<int:room_id>/invite")
@login_required
def invite_page(room_id: int):
    """The room's invite, full screen: the QR code to scan and the link to share."""
    room = rooms_service.visible_room(room_id, current_user.id)
    return render_template(
        "invites/qr.html", room=room, share_url=invite_url(invites.live_invite(room_id).code)
    )


@bp.post("/rooms/<int:room_id>/invite/renew")
@login_required
def renew(room_id: int):
    """The host replaces the invite link; the old link stops working at once."""
    invites.renew(room_id, current_user.id)
    flash(_("Here is a new invite link. The old one no longer works."), "success")
    return see_other(url_for("rooms.show", room_id=room_id))
