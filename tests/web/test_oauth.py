"""Social login end to end against a real OAuth 2.0 / OIDC provider on loopback.

The Flask test client is the browser on Encore's side; `requests` follows the provider's
consent redirect; Encore's server-side calls (token, JWKS, profile) go over real HTTP.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from sqlalchemy import select

from app.extensions import db
from app.models import OAuthAccount, User
from tests.conftest import _wipe_redis, _wipe_tables, make_app
from tests.support.oauth_provider import LocalProvider, Person
from tests.support.web import AuthActions, post
from tests.web.people_fixtures import count

KAKAO_ID, KAKAO_SECRET = "kakao-client", "kakao-secret"
GOOGLE_ID, GOOGLE_SECRET = "google-client", "google-secret"


@pytest.fixture(scope="module")
def kakao():
    """Kakao without OIDC: OAuth 2.0 plus the profile API, client_secret_post."""
    provider = LocalProvider(KAKAO_ID, KAKAO_SECRET, auth_method="client_secret_post").start()
    yield provider
    provider.stop()


@pytest.fixture(scope="module")
def kakao_oidc():
    """Kakao with OIDC enabled."""
    provider = LocalProvider(KAKAO_ID, KAKAO_SECRET, auth_method="client_secret_post").start()
    yield provider
    provider.stop()


@pytest.fixture(scope="module")
def google():
    """Google: OIDC discovered from its metadata URL, client_secret_basic."""
    provider = LocalProvider(GOOGLE_ID, GOOGLE_SECRET, auth_method="client_secret_basic").start()
    yield provider
    provider.stop()


@pytest.fixture(autouse=True)
def _reset(kakao, kakao_oidc, google):
    for provider in (kakao, kakao_oidc, google):
        provider.deny = False
        provider.person = Person("12345", "카카오 민아", "mina@example.com")
        provider.token_requests.clear()


def _app(**overrides):
    application = make_app(**overrides)
    yield application
    with application.app_context():
        _wipe_tables()
    _wipe_redis(application)


@pytest.fixture
def app(kakao, google):
    """Kakao (OAuth 2.0 mode) and Google both configured."""
    yield from _app(
        KAKAO_CLIENT_ID=KAKAO_ID,
        KAKAO_CLIENT_SECRET=KAKAO_SECRET,
        KAKAO_USE_OIDC=False,
        KAKAO_SERVER_URL=kakao.url,
        KAKAO_API_URL=kakao.url,
        GOOGLE_CLIENT_ID=GOOGLE_ID,
        GOOGLE_CLIENT_SECRET=GOOGLE_SECRET,
        GOOGLE_METADATA_URL=f"{google.url}/.well-known/openid-configuration",
    )


def to_provider(client, path: str, *, method: str = "get") -> str:
    """Start at Encore, follow the provider's consent, return Encore's callback URL."""
    response = post(client, path) if method == "post" else client.get(path)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    at_provider = requests.get(response.headers["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302, at_provider.text[:500]
    callback = at_provider.headers["Location"]
    assert callback.startswith("http://localhost/auth/oauth/")
    return callback


def back_to_encore(client, callback: str):
    """Deliver the provider's redirect to Encore."""
    parts = urlsplit(callback)
    return client.get(f"{parts.path}?{parts.query}")


def signed_in_as(client) -> str | None:
    """Return the username the client is signed in as, or None."""
    with client.session_transaction() as session:
        key = session.get("_user_id")
    return key


def logged_in(client) -> bool:
    return "Log out" in client.get("/").get_data(as_text=True)


def choose_username(client, username: str = "mina_k", display_name: str = "카카오 민아"):
    return post(
        client, "/auth/oauth/username", {"username": username, "display_name": display_name}
    )


def test_buttons_show_only_configured_providers(client):
    html = client.get("/auth/login").get_data(as_text=True)
    assert 'href="/auth/oauth/kakao"' in html and 'href="/auth/oauth/google"' in html


def test_no_buttons_and_404_when_nothing_is_configured():
    gen = _app()
    application = next(gen)
    try:
        client = application.test_client()
        html = client.get("/auth/login").get_data(as_text=True)
        assert "/auth/oauth/" not in html
        assert client.get("/auth/oauth/kakao").status_code == 404
        assert client.get("/auth/oauth/kakao/callback?code=x&state=y").status_code == 404
    finally:
        next(gen, None)


def test_kakao_oauth2_first_login_picks_a_username(client, app, kakao):
    callback = to_provider(client, "/auth/oauth/kakao?next=/people")
    response = back_to_encore(client, callback)
    assert response.status_code == 303
    assert response.headers["Location"] == "/auth/oauth/username"
    assert not logged_in(client)
    form = client.get("/auth/oauth/username").get_data(as_text=True)
    assert 'value="mina"' in form and 'value="카카오 민아"' in form  # suggested from the profile
    response = choose_username(client)
    assert response.status_code == 303 and response.headers["Location"] == "/people"
    assert logged_in(client)
    with app.app_context():
        account = db.session.scalar(select(OAuthAccount))
        assert (account.provider, account.subject, account.email) == (
            "kakao",
            "12345",
            "mina@example.com",
        )
        assert account.user.username == "mina_k" and account.user.password_hash is None
    # Kakao's token endpoint got the secret in the body, not in Basic auth.
    request = kakao.token_requests[-1]
    assert request["form"]["client_secret"] == KAKAO_SECRET and not request["basic"]


def test_returning_kakao_user_is_signed_in_directly(client, app, kakao):
    back_to_encore(client, to_provider(client, "/auth/oauth/kakao"))
    choose_username(client)
    AuthActions(client).logout()
    assert not logged_in(client)
    response = back_to_encore(client, to_provider(client, "/auth/oauth/kakao"))
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert logged_in(client)
    assert count(app, User) == 1 and count(app, OAuthAccount) == 1


def test_kakao_with_oidc_reads_the_signed_id_token(kakao_oidc):
    gen = _app(
        KAKAO_CLIENT_ID=KAKAO_ID,
        KAKAO_CLIENT_SECRET=KAKAO_SECRET,
        KAKAO_USE_OIDC=True,
        KAKAO_SERVER_URL=kakao_oidc.url,
        KAKAO_API_URL="http://127.0.0.1:9",  # never used in OIDC mode
    )
    application = next(gen)
    try:
        client = application.test_client()
        start = client.get("/auth/oauth/kakao")
        query = parse_qs(urlsplit(start.headers["Location"]).query)
        assert query["scope"] == ["openid"] and query["nonce"]
        callback = to_provider(client, "/auth/oauth/kakao")
        assert back_to_encore(client, callback).headers["Location"] == "/auth/oauth/username"
        assert choose_username(client, "oidc_mina").status_code == 303
        with application.app_context():
            account = db.session.scalar(select(OAuthAccount))
            assert (account.provider, account.subject) == ("kakao", "12345")
        assert kakao_oidc.token_requests[-1]["form"]["client_secret"] == KAKAO_SECRET
    finally:
        next(gen, None)


def test_google_oidc_login(client, app, google):
    google.person = Person("google-sub-9", "Alex Kim", "alex@example.com")
    callback = to_provider(client, "/auth/oauth/google")
    assert back_to_encore(client, callback).headers["Location"] == "/auth/oauth/username"
    assert 'value="alex"' in client.get("/auth/oauth/username").get_data(as_text=True)
    assert choose_username(client, "alex", "Alex Kim").status_code == 303
    assert logged_in(client)
    with app.app_context():
        account = db.session.scalar(select(OAuthAccount))
        assert (account.provider, account.subject) == ("google", "google-sub-9")
    assert google.token_requests[-1]["basic"]


def test_state_mismatch_never_signs_in(client, app, kakao):
    back_to_encore(client, to_provider(client, "/auth/oauth/kakao"))
    choose_username(client)
    AuthActions(client).logout()
    callback = to_provider(client, "/auth/oauth/kakao")
    parts = urlsplit(callback)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["state"] = "forged-state"
    response = client.get(f"{parts.path}?{urlencode(query)}")
    assert response.status_code == 400
    assert not logged_in(client)


def test_someone_elses_callback_never_signs_in(client, app, kakao):
    """Login CSRF: an attacker's valid code and state, delivered to a victim's browser."""
    attacker = app.test_client()
    callback = to_provider(attacker, "/auth/oauth/kakao")
    victim = client
    victim.get("/auth/oauth/kakao")  # the victim has a flow of their own in progress
    response = back_to_encore(victim, callback)
    assert response.status_code == 400
    assert not logged_in(victim)
    assert count(app, OAuthAccount) == 0


def test_denied_consent_never_signs_in(client, app, kakao):
    kakao.deny = True
    callback = to_provider(client, "/auth/oauth/kakao")
    assert "error=access_denied" in callback
    response = back_to_encore(client, callback)
    assert response.status_code == 303 and response.headers["Location"] == "/auth/login"
    assert "cancelled" in client.get("/auth/login").get_data(as_text=True)
    assert not logged_in(client)
    assert count(app, User) == 0
    # Nor can a denied callback be turned into a login by adding a code afterwards.
    response = back_to_encore(client, callback.replace("error=access_denied", "code=abc"))
    assert response.status_code == 400
    assert not logged_in(client)


def test_replayed_callback_never_signs_in(client, app, kakao):
    back_to_encore(client, to_provider(client, "/auth/oauth/kakao"))
    choose_username(client)
    AuthActions(client).logout()
    callback = to_provider(client, "/auth/oauth/kakao")
    assert back_to_encore(client, callback).status_code == 303
    assert logged_in(client)
    AuthActions(client).logout()
    assert back_to_encore(client, callback).status_code == 400
    assert not logged_in(client)
    stranger = app.test_client()
    assert back_to_encore(stranger, callback).status_code == 400
    assert not logged_in(stranger)


def test_username_step_rules(client, app, kakao, make_user):
    # Nothing pending: back to the login page.
    response = client.get("/auth/oauth/username")
    assert response.status_code == 303 and response.headers["Location"] == "/auth/login"
    make_user("taken")
    back_to_encore(client, to_provider(client, "/auth/oauth/kakao"))
    # CSRF is required.
    response = client.post("/auth/oauth/username", data={"username": "x_y_z", "display_name": "X"})
    assert response.status_code == 400
    assert choose_username(client, "TAKEN").status_code == 409
    assert choose_username(client, "민아").status_code == 400
    assert count(app, OAuthAccount) == 0 and count(app, User) == 1
    assert not logged_in(client)
    assert choose_username(client, "fresh_name").status_code == 303
    assert count(app, OAuthAccount) == 1


def test_link_a_provider_from_settings(client, app, kakao):
    auth = AuthActions(client)
    auth.signup("mina", "김민아")
    settings = client.get("/settings/profile").get_data(as_text=True)
    assert 'action="/auth/oauth/kakao/link"' in settings
    callback = to_provider(client, "/auth/oauth/kakao/link", method="post")
    response = back_to_encore(client, callback)
    assert response.status_code == 303 and response.headers["Location"] == "/settings/profile"
    assert "Linked" in client.get("/settings/profile").get_data(as_text=True)
    auth.logout()
    back_to_encore(client, to_provider(client, "/auth/oauth/kakao"))
    assert logged_in(client)
    with app.app_context():
        (account,) = db.session.scalars(select(OAuthAccount)).all()
        assert account.user.username == "mina"


def test_a_provider_account_belongs_to_one_user(client, app, kakao, make_user):
    make_user("junho")
    auth = AuthActions(client)
    auth.login("junho")
    back_to_encore(client, to_provider(client, "/auth/oauth/kakao/link", method="post"))
    auth.logout()
    auth.signup("mina", "김민아")
    response = back_to_encore(client, to_provider(client, "/auth/oauth/kakao/link", method="post"))
    assert response.status_code == 409
    with app.app_context():
        rows = db.session.execute(select(OAuthAccount.provider, OAuthAccount.subject)).all()
        assert rows == [("kakao", "12345")]
        assert db.session.scalar(select(OAuthAccount.user_id)) == db.session.scalar(
            select(User.id).where(User.username_key == "junho")
        )


def test_link_needs_csrf_and_login(client, app, make_user):
    assert client.post("/auth/oauth/kakao/link").status_code == 400
    response = post(client, "/auth/oauth/kakao/link")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    make_user("mina")
    AuthActions(client).login("mina")
    assert client.post("/auth/oauth/kakao/link").status_code == 400
    assert count(app, OAuthAccount) == 0


def test_link_callback_for_another_user_is_refused(client, app, kakao, make_user):
    """A link started by one user cannot complete in another user's session."""
    make_user("junho")
    AuthActions(client).signup("mina", "김민아")
    callback = to_provider(client, "/auth/oauth/kakao/link", method="post")
    other = app.test_client()
    AuthActions(other).login("junho")
    assert back_to_encore(other, callback).status_code == 400
    assert count(app, OAuthAccount) == 0


def test_provider_only_user_can_set_a_password_later(client, app, kakao):
    back_to_encore(client, to_provider(client, "/auth/oauth/kakao"))
    choose_username(client, "mina_k")
    page = client.get("/settings/profile").get_data(as_text=True)
    assert 'name="current_password"' not in page
    response = post(client, "/settings/password", {"new_password": "battery staple"})
    assert response.status_code == 303
    AuthActions(client).logout()
    assert AuthActions(client).login("mina_k", "battery staple").status_code == 303


def test_unreachable_provider_is_503_and_starts_nothing():
    from tests.support.services import free_port

    gen = _app(
        GOOGLE_CLIENT_ID=GOOGLE_ID,
        GOOGLE_CLIENT_SECRET=GOOGLE_SECRET,
        GOOGLE_METADATA_URL=f"http://127.0.0.1:{free_port()}/.well-known/openid-configuration",
    )
    application = next(gen)
    try:
        client = application.test_client()
        response = client.get("/auth/oauth/google")
        assert response.status_code == 503
        assert "Google is not answering" in response.get_data(as_text=True)
        with client.session_transaction() as session:
            assert not any(key.startswith(("_state_", "oauth_")) for key in session)
    finally:
        next(gen, None)
