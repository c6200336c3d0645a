"""Sign up, log in and log out."""

from __future__ import annotations

from flask import flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from app.blueprints.auth import bp
from app.blueprints.auth.forms import LoginForm, SignupForm
from app.errors import form_error
from app.responses import safe_next
from app.services import accounts, login_throttle, sanctions
from app.services.errors import DomainError
from app.sessions import remember_device, sign_in, sign_out


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """Create a local account and sign it in."""
    if current_user.is_authenticated:
        return redirect("/")
    form = SignupForm(next=request.args.get("next", ""))
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                user = accounts.create_user(
                    form.username.data, form.display_name.data, form.password.data
                )
            except DomainError as error:
                status = form_error(form, error, "username")
            else:
                sign_in(user)
                flash(_("Welcome to Encore, %(name)s!", name=user.display_name), "success")
                return redirect(safe_next(form.next.data), code=303)
        else:
            status = 400
    from app.services.oauth_providers import configured_providers

    return render_template("auth/signup.html", form=form, providers=configured_providers()), status


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with a username and password, then go to a safe `next`."""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm(next=request.args.get("next", ""))
    status = 200
    if request.method == "POST":
        device = login_throttle.read_device(request.cookies.get(login_throttle.DEVICE_COOKIE))
        tried = accounts.get_user_by_username(request.form.get("username") or "")
        # Counted before the password check, so parallel guesses cannot all slip through.
        attempt = login_throttle.charge(
            request.form.get("username") or "",
            get_remote_address(),
            device,
            tried.id if tried else None,
        )
        user = None
        if form.validate_on_submit():
            user = accounts.authenticate(form.username.data, form.password.data)
        if user is None:
            form.password.errors.append(_("That username and password do not match."))
            status = 400 if form.errors.keys() - {"password"} else 401
        else:
            login_throttle.succeeded(attempt)
            sanctions.check_may_sign_in(user.id)
            sign_in(user, remember=form.remember.data)
            response = redirect(safe_next(form.next.data), code=303)
            if device is None or device.user_id != user.id:
                remember_device(response, user.id)
            return response
    from app.services.oauth_providers import configured_providers

    return (
        render_template("auth/login.html", form=form, providers=configured_providers()),
        status,
    )


@bp.post("/logout")
@login_required
def logout():
    """End this session (logout is a POST so no link or image can trigger it)."""
    sign_out()
    flash(_("You are logged out. See you at the next show!"), "info")
    return redirect("/", code=303)
