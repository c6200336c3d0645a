"""Choosing a language: negotiation, the /language switch, and live text per receiver."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale, gettext

from tests.support.i18n import html_lang
from tests.support.web import HTMX, AuthActions, csrf_token, post
from tests.web.chat_helpers import start_group

KO = {"Accept-Language": "ko-KR,ko;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


def lang_of(client, path: str = "/", **headers) -> str | None:
    """Return the `<html lang>` of `path` as `client` sees it."""
    return html_lang(client.get(path, headers=headers).get_data(as_text=True))


def test_korean_is_served_when_the_browser_asks_for_nothing(app):
    client = app.test_client()
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE")
    response = client.get("/auth/login")
    html = response.get_data(as_text=True)
    assert html_lang(html) == "ko" and "다시 만나서 반가워요" in html
    assert {"Accept-Language", "Cookie"} <= set(response.vary)
    assert response.headers["Content-Language"] == "ko"


def test_accept_language_picks_english_or_korean(client):
    assert lang_of(client, "/", **EN) == "en"
    assert lang_of(client, "/", **KO) == "ko"
    assert lang_of(client, "/", **{"Accept-Language": "fr-FR,fr;q=0.9"}) == "ko"


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_a_visitor_switch_is_kept_in_a_cookie(client, htmx):
    response = post(client, "/language", {"lang": "ko", "next": "/rooms/?q=a"}, htmx=htmx)
    if htmx:
        assert response.status_code == 204 and response.headers["HX-Redirect"] == "/rooms/?q=a"
    else:
        assert response.status_code == 303 and response.headers["Location"] == "/rooms/?q=a"
    assert "encore_lang=ko" in response.headers["Set-Cookie"]
    assert lang_of(client, "/", **EN) == "ko"  # the cookie outranks the browser
    post(client, "/language", {"lang": "en", "next": "/"})
    assert lang_of(client, "/", **KO) == "en"


def test_a_user_choice_follows_them_to_every_device(app, make_user):
    make_user("mina", "Mina")
    phone, laptop = app.test_client(), app.test_client()
    assert AuthActions(phone).login("mina").status_code == 303
    settings = phone.get("/settings/profile", headers=KO).get_data(as_text=True)
    assert 'action="/language"' in settings and 'name="lang" value="en"' in settings
    assert post(phone, "/language", {"lang": "en", "next": "/settings/profile"}).status_code == 303

    assert AuthActions(laptop).login("mina").status_code == 303
    laptop.delete_cookie("encore_lang")
    assert lang_of(laptop, "/", **KO) == "en"  # saved on the account, not the device
    assert post(laptop, "/language", {"lang": "ko", "next": "/"}, htmx=True).status_code == 204
    assert lang_of(phone, "/", **EN) == "ko"


@pytest.mark.parametrize(
    ("data", "status"),
    [({"lang": "fr", "next": "/"}, 400), ({"next": "/"}, 400)],
)
def test_a_bad_language_is_refused_and_nothing_is_saved(client, data, status):
    response = post(client, "/language", data)
    assert response.status_code == status
    assert (
        "Set-Cookie" not in response.headers or "encore_lang" not in response.headers["Set-Cookie"]
    )


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "javascript:x"])
def test_next_never_leaves_the_site(client, target):
    response = post(client, "/language", {"lang": "en", "next": target})
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_the_switch_needs_a_csrf_token(client):
    csrf_token(client)
    assert client.post("/language", data={"lang": "en", "next": "/"}).status_code == 400


def test_form_validation_speaks_korean(client):
    response = post(
        client, "/auth/signup", {"username": "", "display_name": "", "password": ""}, headers=KO
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400 or response.status_code == 200
    assert "이 항목은 필수입니다" in html and "This field is required" not in html


@pytest.mark.parametrize("name", ["김민준", "이서아", "Alex"], ids=["consonant", "vowel", "latin"])
def test_sentences_with_names_read_right_for_any_name(app, name):
    with app.test_request_context(), force_locale("ko"):
        lines = [
            gettext("%(name)s left the conversation.", name=name),
            gettext("Hi, %(name)s", name=name),
            gettext("Next up: %(name)s", name=name),
            gettext("Your score for %(name)s", name=name),
        ]
    # The name is followed by 님 or punctuation, never by a particle chosen for one ending.
    assert lines == [
        f"{name} 님이 대화방을 나갔어요.",
        f"{name} 님, 안녕하세요",
        f"다음 차례: {name}",
        f"{name} 님에게 줄 점수",
    ]


def test_no_korean_message_glues_a_particle_to_a_name():
    from tests.support.i18n import catalogue

    glued = [
        msgstr
        for _msgid, msgstr in catalogue()
        if re.search(r"%\((name|names|title|query)\)s[은는이가을를와과]", msgstr)
    ]
    assert not glued, glued


def test_live_chat_lines_arrive_in_the_receivers_language(app, make_user):
    from app.extensions import socketio

    make_user("mina", "Mina")
    make_user("junho", "Junho")
    mina, junho = app.test_client(), app.test_client()
    AuthActions(mina).login("mina")
    AuthActions(junho).login("junho")
    post(mina, "/language", {"lang": "en", "next": "/"})  # Mina reads English
    post(junho, "/language", {"lang": "ko", "next": "/"})  # Junho, who leaves, reads Korean
    group = start_group(mina, "Band", "junho")
    sock = socketio.test_client(app, flask_test_client=mina)
    assert sock.emit("subscribe", {"channel_id": group}, callback=True)["ok"]

    assert post(junho, f"/chats/{group}/leave").status_code == 303
    pushed = [e["args"][0] for e in sock.get_received() if e["name"] == "chat:message"]
    assert len(pushed) == 1
    lines = pushed[0]["html_by_locale"]
    assert "Junho left the conversation." in lines["en"] and "나갔어요" not in lines["en"]
    assert "Junho 님이 대화방을 나갔어요." in lines["ko"]
    # Mina's page is English, so chat.js shows her the English line; a fetch agrees.
    page = mina.get(f"/chats/{group}", headers=KO).get_data(as_text=True)
    assert html_lang(page) == "en" and "Junho left the conversation." in page
    sock.disconnect()


def test_stage_refreshes_and_toasts_arrive_in_each_viewers_language(app, show_room):
    room_id, (mina, junho) = show_room("mina", "junho")
    post(mina.client, "/language", {"lang": "ko", "next": "/"})
    post(junho.client, "/language", {"lang": "en", "next": "/"})
    assert mina.act(room_id, "start").status_code == 303
    stage_ko = mina.client.get(f"/rooms/{room_id}/stage", headers={**HTMX, **KO}).get_data(
        as_text=True
    )
    stage_en = junho.client.get(f"/rooms/{room_id}/stage", headers={**HTMX, **KO}).get_data(
        as_text=True
    )
    assert "ON AIR" in stage_ko and "차례" in stage_ko
    assert "Turn 1" in stage_en and "차례" not in stage_en
    # A refused action answers each person with a toast in their own language.
    toast_en = junho.act(room_id, "score", {"value": "5"}, htmx=True).get_data(as_text=True)
    toast_ko = mina.client.post(
        f"/rooms/{room_id}/score",
        data={"value": "5"},
        headers={**HTMX, **EN, "X-CSRFToken": csrf_token(mina.client)},
    ).get_data(as_text=True)
    assert "Scoring opens when the turn ends." in toast_en
    assert "내 공연에는 점수를 줄 수 없어요." in toast_ko  # though her browser asks for English


@pytest.mark.parametrize("path", ["/auth/login", "/auth/signup"])
def test_social_buttons_follow_each_brand_on_login_and_signup(path):
    from tests.conftest import make_app

    application = make_app(KAKAO_CLIENT_ID="kakao-id", GOOGLE_CLIENT_ID="google-id")
    client = application.test_client()
    ko = client.get(path, headers=KO).get_data(as_text=True)
    en = client.get(path, headers=EN).get_data(as_text=True)
    google_ko = "Google 계정으로 가입하기" if path.endswith("signup") else "Google 계정으로 로그인"
    google_en = "Sign up with Google" if path.endswith("signup") else "Sign in with Google"
    assert "카카오 로그인" in ko and google_ko in ko
    assert "Login with Kakao" in en and google_en in en
    for html in (ko, en):
        # The marks are drawn inline: Kakao's black bubble, Google's four colours; no CDN.
        assert 'class="btn btn-provider btn-kakao' in html and 'fill="#000"' in html
        assert all(colour in html for colour in ("#EA4335", "#4285F4", "#FBBC05", "#34A853"))
        assert "https://" not in html.split("provider-list", 1)[1].split("</ul>", 1)[0]


def test_names_inside_translated_sentences_are_escaped_in_both_languages(app):
    from tests.web.chat_helpers import person, room_with

    host, host_id = person(app, "hostess")
    _guest, guest_id = person(app, "guest", '<img src=x onerror="alert(1)">')
    room_id = room_with(app, host_id, guest_id)
    for language, manage in [("ko", "님 관리"), ("en", "Manage ")]:
        html = host.get(
            f"/rooms/{room_id}/stage", headers={"HX-Request": "true", "Accept-Language": language}
        ).get_data(as_text=True)
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html, language
        assert "<img src=x" not in html, language
        assert manage in html, language
