"""Social login: the redirect to a provider, its callback, picking a username, linking."""

from __future__ import annotations

import logging
import time

from authlib.integrations.base_client.errors import OAuthError
from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from requests import RequestException

from app.blueprints.auth import bp
from app.blueprints.auth.forms import NameForm
from app.errors import form_error
from app.responses import safe_next
from app.services import oauth as accounts_oauth
from app.services import sanctions
from app.services.errors import DomainError, InvalidInput, Unavailable
from app.services.oauth_providers import configured_providers, oauth_client, uses_oidc
from app.sessions import sign_in

log = logging.getLogger(__name__)

INTENT_KEY = "oauth_intent"
PENDING_KEY = "oauth_pending"
PENDING_SECONDS = 15 * 60


class SignInFailed(InvalidInput):
    """The provider's answer could not be trusted or used; nobody is signed in."""

    default_message = _l("Signing in with that provider did not work. Please try again.")


class ProviderUnavailable(Unavailable):
    """The provider could not be reached to start signing in."""

    default_message = _l("That provider is not answering right now. Please try again soon.")


class ChooseUsernameForm(NameForm):
    """The first sign-in with a provider: pick how Encore names you."""


def _client_or_404(provider: str):
    """Return the Authlib client of a configured provider, or answer 404."""
    client = oauth_client(provider)
    if client is None:
        abort(404)
    return client


def _label(provider: str) -> str:
    """Return the provider's display name."""
    return next((p.label for p in configured_providers() if p.name == provider), provider)


def _start(provider: str, *, link_user_id: int | None, next_url: str):
    """Remember why we are going to the provider, then send the browser there."""
    client = _client_or_404(provider)
    session[INTENT_KEY] = {"provider": provider, "link": link_user_id, "next": next_url}
    callback = url_for("auth.oauth_callback", provider=provider, _external=True)
    try:
        return client.authorize_redirect(callback)
    except (RequestException, OAuthError, ValueError) as exc:
        log.warning("could not reach %s: %s", provider, exc)
        session.pop(INTENT_KEY, None)
        raise ProviderUnavailable(
            _("%(name)s is not answering right now. Please try again soon.", name=_label(provider))
        ) from exc


@bp.get("/oauth/<provider>")
def oauth_login(provider: str):
    """Send the visitor to the provider's consent page."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    return _start(provider, link_user_id=None, next_url=safe_next(request.args.get("next")))


@bp.post("/oauth/<provider>/link")
@login_required
def oauth_link(provider: str):
    """Link a provider account to the signed-in user (a POST, so no page can start it)."""
    return _start(provider, link_user_id=current_user.id, next_url="/settings/profile")


def _identity(provider: str, client, token: dict) -> accounts_oauth.Identity:
    """Read who signed in from the ID token, or from Kakao's profile API."""
    if uses_oidc(provider):
        claims = token.get("userinfo")
        if not claims:
            raise SignInFailed()
        return accounts_oauth.identity_from(
            provider,
            claims.get("sub"),
            claims.get("email") if claims.get("email_verified", True) else None,
            claims.get("name") or claims.get("nickname"),
        )
    response = client.get("v2/user/me", token=token)
    response.raise_for_status()
    profile = response.json()
    account = profile.get("kakao_account") or {}
    nickname = (account.get("profile") or {}).get("nickname") or (
        profile.get("properties") or {}
    ).get("nickname")
    return accounts_oauth.identity_from(provider, profile.get("id"), account.get("email"), nickname)


@bp.get("/oauth/<provider>/callback")
def oauth_callback(provider: str):
    """Finish the dance: check state, swap the code for a token, then sign in or link."""
    client = _client_or_404(provider)
    intent = session.pop(INTENT_KEY, None)
    if request.args.get("error"):
        # The state still has to be consumed, so this callback can never be replayed.
        client.framework.clear_state_data(session, request.args.get("state"))
        flash(_("Signing in with %(name)s was cancelled.", name=_label(provider)), "info")
        return redirect(url_for("auth.login"), code=303)
    if not intent or intent.get("provider") != provider:
        raise SignInFailed()
    try:
        token = client.authorize_access_token()
        identity = _identity(provider, client, token)
    except (OAuthError, RequestException, ValueError, KeyError) as exc:
        # Mismatched or reused state, a spent code, a bad ID token: all end here.
        log.info("%s callback refused: %s", provider, exc)
        raise SignInFailed() from exc

    if intent.get("link"):
        if not current_user.is_authenticated or current_user.id != intent["link"]:
            raise SignInFailed()
        accounts_oauth.link(current_user.id, identity)
        flash(_("%(name)s is linked to your account.", name=_label(provider)), "success")
        return redirect(url_for("profiles.settings"), code=303)

    user = accounts_oauth.find_user(identity.provider, identity.subject)
    if user is not None:
        sanctions.check_may_sign_in(user.id)
        sign_in(user)
        return redirect(safe_next(intent.get("next")), code=303)

    session[PENDING_KEY] = {
        "provider": identity.provider,
        "subject": identity.subject,
        "email": identity.email,
        "name": identity.name,
        "next": safe_next(intent.get("next")),
        "expires": time.time() + PENDING_SECONDS,
    }
    return redirect(url_for("auth.oauth_choose_username"), code=303)


def _pending() -> dict:
    """Return the identity waiting for a username, or refuse when there is none."""
    pending = session.get(PENDING_KEY)
    if not pending or pending.get("expires", 0) < time.time():
        session.pop(PENDING_KEY, None)
        flash(_("That sign-in took too long. Please start again."), "info")
        abort(redirect(url_for("auth.login"), code=303))
    return pending


@bp.route("/oauth/username", methods=["GET", "POST"])
def oauth_choose_username():
    """First sign-in with a provider: choose a username, then the account is created."""
    pending = _pending()
    identity = accounts_oauth.Identity(
        pending["provider"], pending["subject"], pending.get("email"), pending.get("name")
    )
    form = ChooseUsernameForm(
        username=accounts_oauth.suggest_username(identity),
        display_name=identity.name or "",
    )
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                user = accounts_oauth.create_user_with(
                    identity, form.username.data, form.display_name.data
                )
            except DomainError as error:
                status = form_error(form, error, "username")
            else:
                sign_in(user)
                flash(_("Welcome to Encore, %(name)s!", name=user.display_name), "success")
                return redirect(pending.get("next") or "/", code=303)
        else:
            status = 400
    return (
        render_template(
            "auth/oauth_username.html", form=form, provider_label=_label(identity.provider)
        ),
        status,
    )
