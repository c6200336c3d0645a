"""Sign up, log in and log out."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.blueprints.auth import bp
from app.blueprints.auth.forms import LoginForm, SignupForm
from app.errors import form_error
from app.extensions import limiter
from app.responses import safe_next
from app.services import accounts
from app.services.errors import DomainError
from app.sessions import sign_in, sign_out


def _login_failed(response) -> bool:
    """Count a login attempt against the limits only when it did not sign anyone in."""
    return response.status_code != 303


def _username_key() -> str:
    """Rate-limit key for the username being tried, whatever its case."""
    return "login-user:" + (request.form.get("username") or "").strip().lower()


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
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"], deduct_when=_login_failed
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_USERNAME"],
    methods=["POST"],
    key_func=_username_key,
    deduct_when=_login_failed,
)
def login():
    """Sign in with a username and password, then go to a safe `next`."""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm(next=request.args.get("next", ""))
    status = 200
    if request.method == "POST":
        user = None
        if form.validate_on_submit():
            user = accounts.authenticate(form.username.data, form.password.data)
        if user is None:
            form.password.errors.append(_("That username and password do not match."))
            status = 400 if form.errors.keys() - {"password"} else 401
        else:
            sign_in(user, remember=form.remember.data)
            return redirect(safe_next(form.next.data), code=303)
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
