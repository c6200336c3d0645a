"""Profiles, follows, settings, avatars and people search."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.dates import get_timezone_location
from flask import (
    abort,
    current_app,
    flash,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.blueprints.profiles import bp
from app.blueprints.profiles.charts import score_line, week_bars
from app.blueprints.profiles.forms import AvatarForm, BioForm, PasswordForm, ProfileForm
from app.errors import form_error, status_for
from app.extensions import limiter
from app.i18n import current_locale
from app.request_input import page_arg
from app.responses import (
    fragment_or_redirect,
    is_htmx,
    page_or_fragment,
    safe_next,
    see_other,
    viewer_id,
)
from app.services import avatars, profiles, social, stats
from app.services.accounts import get_user_by_username
from app.services.errors import DomainError, NotFound
from app.sessions import sign_in
from app.upload_limits import upload_rate_limit, uploader_key


def get_user_or_404(username: str):
    """Return the user named `username` (any case), or answer 404."""
    user = get_user_by_username(username)
    if user is None:
        raise NotFound(_("Nobody here goes by that name."))
    return user


def _page_arg() -> int:
    """Return the `page` query argument as a positive number."""
    return page_arg(strict=False)


def _follow_context(user) -> dict:
    """Return what the follow button, the counts and the block button need."""
    state = social.follow_state(user.id, viewer_id())
    return {
        "user": user,
        "is_following": state.viewer_follows,
        "followers_count": state.followers,
        "following_count": state.following,
        "has_blocked": state.viewer_blocked,
    }


def _followed_set(people: list) -> set[int]:
    """Return which of `people` the viewer follows, for their buttons in a list."""
    return social.following_among(viewer_id(), [person.id for person in people])


def _follow_answer(user):
    """Answer a follow or unfollow: the button (and counts on a profile), or 303."""
    in_list = request.form.get("from") == "list"
    back = url_for("profiles.show", username=user.username)
    if in_list and request.referrer:
        # A list without scripts goes back to the same page of the list.
        referrer = urlsplit(request.referrer)
        if referrer.netloc == request.host:
            back = safe_next(referrer.path + (f"?{referrer.query}" if referrer.query else ""))
    return fragment_or_redirect(
        "profiles/_follow_button.html" if in_list else "profiles/_follow_update.html",
        back,
        compact=in_list,
        **_follow_context(user),
    )


@bp.get("/users/<username>")
def show(username: str):
    """A person's profile: who they are, their numbers, charts and recent shows."""
    user = get_user_or_404(username)
    return render_template(
        "profiles/show.html",
        stats=stats.user_stats(user.id),
        # The template lays the charts out only when it has no kept copy of them.
        score_line=score_line,
        week_bars=week_bars,
        recent=stats.recent_performances(user.id),
        is_self=viewer_id() == user.id,
        **_follow_context(user),
    )


@bp.get("/users/<username>/followers")
def followers(username: str):
    """The people who follow this person, a page at a time."""
    user = get_user_or_404(username)
    people = social.followers(user.id, _page_arg(), viewer_id=viewer_id())
    return page_or_fragment(
        "profiles/people_list.html",
        "profiles/_people_page.html",
        user=user,
        people=people,
        followed_set=_followed_set(people.items),
        kind="followers",
        heading=_("Followers of %(name)s", name=user.display_name),
    )


@bp.get("/users/<username>/following")
def following(username: str):
    """The people this person follows, a page at a time."""
    user = get_user_or_404(username)
    people = social.following(user.id, _page_arg(), viewer_id=viewer_id())
    return page_or_fragment(
        "profiles/people_list.html",
        "profiles/_people_page.html",
        user=user,
        people=people,
        followed_set=_followed_set(people.items),
        kind="following",
        heading=_("%(name)s follows", name=user.display_name),
    )


def _follow_limit_key() -> str:
    """Rate-limit follows per person, not per network (a dorm shares one address)."""
    return f"follow:{current_user.id}" if current_user.is_authenticated else "follow:anon"


# One budget for follows and unfollows together, so toggling cannot double it.
follow_limit = limiter.shared_limit("60 per minute", scope="follow", key_func=_follow_limit_key)


@bp.post("/users/<username>/follow")
@login_required
@follow_limit
def follow(username: str):
    """Follow this person (again is fine); htmx swaps the button, a form goes back."""
    user = get_user_or_404(username)
    social.follow(current_user.id, user.id)
    return _follow_answer(user)


@bp.post("/users/<username>/unfollow")
@login_required
@follow_limit
def unfollow(username: str):
    """Stop following this person (again is fine)."""
    user = get_user_or_404(username)
    social.unfollow(current_user.id, user.id)
    return _follow_answer(user)


def _own_profile_or_403(username: str):
    """Return the user if it is the viewer; editing anyone else is refused."""
    user = get_user_or_404(username)
    if user.id != current_user.id:
        abort(403)
    return user


@bp.get("/users/<username>/bio")
@login_required
def bio(username: str):
    """The bio line of the profile (what the in-place editor returns to on cancel)."""
    user = _own_profile_or_403(username)
    if not is_htmx():
        return see_other(url_for("profiles.show", username=user.username))
    return render_template("profiles/_bio.html", user=user, is_self=True)


@bp.get("/users/<username>/bio/edit")
@login_required
def edit_bio(username: str):
    """The in-place bio editor; without scripts, the settings page."""
    user = _own_profile_or_403(username)
    if not is_htmx():
        return see_other(url_for("profiles.settings"))
    return render_template("profiles/_bio_form.html", user=user, form=BioForm(bio=user.bio))


@bp.post("/users/<username>/bio")
@login_required
def update_bio(username: str):
    """Save the bio edited in place."""
    user = get_user_or_404(username)
    form = BioForm()
    if not form.validate_on_submit():
        return _bio_form_error(user, form, _("Bios are at most 160 characters."))
    try:
        profiles.update_bio(current_user.id, user.id, form.bio.data or "")
    except DomainError as error:
        if status_for(error) == 403:
            raise
        return _bio_form_error(user, form, error.message)
    return fragment_or_redirect(
        "profiles/_bio.html",
        url_for("profiles.show", username=user.username),
        user=user,
        is_self=True,
    )


def _bio_form_error(user, form: BioForm, message: str):
    """Answer a bad bio with the form and its error (400)."""
    if user.id != current_user.id:
        abort(403)
    form.bio.errors = [message]
    template = "profiles/_bio_form.html" if is_htmx() else "profiles/bio_page.html"
    return render_template(template, user=user, form=form), 400


@bp.route("/settings/profile", methods=["GET", "POST"])
@login_required
def settings():
    """Edit display name and bio; links to the picture and password settings."""
    form = _profile_form()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                profiles.update_profile(
                    current_user.id,
                    current_user.id,
                    display_name=form.display_name.data,
                    bio=form.bio.data or "",
                    timezone=form.timezone.data or current_user.timezone,
                )
            except DomainError as error:
                status = form_error(form, error, "display_name")
            else:
                flash(_("Your profile is saved."), "success")
                return see_other(url_for("profiles.settings"))
        else:
            status = 400
    return _settings_page(profile_form=form, status=status)


def _profile_form() -> ProfileForm:
    """The profile form, filled from the signed-in user, with every time zone to pick."""
    form = ProfileForm(obj=current_user)
    form.timezone.choices = _timezone_choices(current_locale())
    return form


@functools.cache
def _timezone_choices(locale: str) -> dict[str, list[tuple]]:
    """The common zones by their name in `locale` ("대한민국 시간"), then every IANA zone id.

    Babel's names are slow to look up, so only the common ones are named, once per language;
    the ids are identifiers, marked translate="no" so no one mistakes them for copy.
    """
    common = []
    for zone in profiles.COMMON_TIMEZONES:
        try:
            label = get_timezone_location(ZoneInfo(zone), locale=locale)
        except LookupError:
            label = zone
        if zone == "UTC":
            label = "UTC"
        common.append((zone, label))
    rest = [
        (zone, zone, {"translate": "no"})
        for zone in profiles.timezone_choices()
        if zone not in profiles.COMMON_TIMEZONES
    ]
    return {str(_("Common time zones")): common, str(_("Every time zone")): rest}


def _settings_page(*, status: int = 200, **forms):
    """Render the settings page with fresh forms where none were given."""
    from app.services.oauth import linked_providers
    from app.services.oauth_providers import configured_providers

    forms.setdefault("profile_form", _profile_form())
    forms.setdefault("password_form", PasswordForm())
    forms.setdefault("avatar_form", AvatarForm())
    return (
        render_template(
            "profiles/settings.html",
            providers=configured_providers(),
            linked=linked_providers(current_user.id),
            **forms,
        ),
        status,
    )


@bp.post("/settings/password")
@login_required
def change_password():
    """Change the password; other sessions end and this one carries on."""
    form = PasswordForm()
    if not form.validate_on_submit():
        return _settings_page(password_form=form, status=400)
    try:
        user = profiles.change_password(
            current_user.id,
            form.current_password.data or "",
            form.new_password.data,
            keep_session=session.get("sid"),
        )
    except DomainError as error:
        return _settings_page(password_form=form, status=form_error(form, error, "new_password"))
    sign_in(user)
    flash(_("Your password is changed. Other devices have been signed out."), "success")
    return see_other(url_for("profiles.settings"))


@bp.post("/settings/avatar")
@login_required
@limiter.limit(upload_rate_limit, key_func=uploader_key)
def upload_avatar():
    """Replace the profile picture."""
    max_bytes = current_app.config["AVATAR_MAX_BYTES"]
    if request.content_length and request.content_length > max_bytes + 64 * 1024:
        raise avatars.AvatarTooLarge()
    form = AvatarForm()
    if not form.validate_on_submit():
        return _settings_page(avatar_form=form, status=400)
    upload = form.avatar.data
    if upload is None or not getattr(upload, "filename", ""):
        form.avatar.errors.append(_("Choose a picture first."))
        return _settings_page(avatar_form=form, status=400)
    try:
        avatars.save_avatar(
            current_user.id,
            upload.stream,
            max_bytes=max_bytes,
        )
    except avatars.NotAnImage as error:
        return _settings_page(avatar_form=form, status=form_error(form, error, "avatar"))
    flash(_("Your new picture is up."), "success")
    return see_other(url_for("profiles.settings"))


@bp.get("/avatars/<filename>")
def avatar(filename: str):
    """Serve a stored profile picture; never sniffed as anything but an image."""
    if not avatars.is_avatar_name(filename):
        abort(404)
    response = send_from_directory(
        current_app.config["UPLOAD_DIR"], filename, mimetype="image/jpeg", max_age=31536000
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/people")
def search():
    """Find people by username or display name."""
    query = request.args.get("q", "")
    people = profiles.search_people(query, _page_arg(), viewer_id=viewer_id())
    return page_or_fragment(
        "profiles/search.html",
        "profiles/_search_results.html",
        query=query,
        people=people,
        followed_set=_followed_set(people.items),
    )
