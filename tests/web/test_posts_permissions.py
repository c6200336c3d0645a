"""Who may do what to highlights, comments, replies and likes: the whole matrix.

Actors: the post's author, the comment's author, someone else, a visitor; and any of
them without a CSRF token. Each case checks the status and that a refusal wrote nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.support.web import post as csrf_post
from tests.web.posts_support import comment_rows, like_rows, post_row, publish_ok


@dataclass
class Scene:
    """A post by mina, a comment and a reply by junho; sora is someone else."""

    post_id: int
    comment_id: int
    reply_id: int
    people: dict


@pytest.fixture
def scene(app, show_people) -> Scene:
    """Build the post, comment and reply every case of the matrix acts on."""
    mina, junho, sora = show_people("mina", "junho", "sora")
    post_id = publish_ok(mina.client, "our show #encore")
    assert csrf_post(junho.client, f"/posts/{post_id}/comments", {"body": "wow"}).status_code == 303
    comment_id = comment_rows(app, post_id)[0].id
    response = csrf_post(
        junho.client, f"/posts/{post_id}/comments", {"body": "again", "parent_id": comment_id}
    )
    assert response.status_code == 303
    reply_id = comment_rows(app, post_id)[1].id
    return Scene(
        post_id,
        comment_id,
        reply_id,
        {"post_author": mina, "comment_author": junho, "other": sora},
    )


def _client(app, scene: Scene, actor: str):
    """The client acting: a person's own, or a fresh visitor's."""
    return app.test_client() if actor == "visitor" else scene.people[actor].client


# (method, url template, form, actor, expected status)
MATRIX = [
    # the post
    ("GET", "/posts/{post}/edit", None, "post_author", 200),
    ("GET", "/posts/{post}/edit", None, "other", 403),
    ("GET", "/posts/{post}/edit", None, "visitor", 302),
    ("POST", "/posts/{post}/edit", {"body": "changed"}, "post_author", 303),
    ("POST", "/posts/{post}/edit", {"body": "changed"}, "comment_author", 403),
    ("POST", "/posts/{post}/edit", {"body": "changed"}, "other", 403),
    ("POST", "/posts/{post}/edit", {"body": "changed"}, "visitor", 302),
    ("POST", "/posts/{post}/delete", {}, "post_author", 303),
    ("POST", "/posts/{post}/delete", {}, "comment_author", 403),
    ("POST", "/posts/{post}/delete", {}, "other", 403),
    ("POST", "/posts/{post}/delete", {}, "visitor", 302),
    ("POST", "/posts/", {"body": "new one"}, "visitor", 302),
    # likes: anyone signed in
    ("POST", "/posts/{post}/like", {"action": "like"}, "post_author", 303),
    ("POST", "/posts/{post}/like", {"action": "like"}, "other", 303),
    ("POST", "/posts/{post}/like", {"action": "like"}, "visitor", 302),
    ("POST", "/comments/{comment}/like", {"action": "like"}, "other", 303),
    ("POST", "/comments/{reply}/like", {"action": "like"}, "post_author", 303),
    ("POST", "/comments/{comment}/like", {"action": "like"}, "visitor", 302),
    # comments and replies: anyone signed in may write
    ("POST", "/posts/{post}/comments", {"body": "hi"}, "other", 303),
    ("POST", "/posts/{post}/comments", {"body": "hi", "parent_id": "{comment}"}, "other", 303),
    ("POST", "/posts/{post}/comments", {"body": "hi"}, "visitor", 302),
    # editing a comment or reply: its author only
    ("GET", "/comments/{comment}/edit", None, "comment_author", 200),
    ("GET", "/comments/{comment}/edit", None, "post_author", 403),
    ("POST", "/comments/{comment}/edit", {"body": "edited"}, "comment_author", 303),
    ("POST", "/comments/{reply}/edit", {"body": "edited"}, "comment_author", 303),
    ("POST", "/comments/{comment}/edit", {"body": "edited"}, "post_author", 403),
    ("POST", "/comments/{reply}/edit", {"body": "edited"}, "other", 403),
    ("POST", "/comments/{comment}/edit", {"body": "edited"}, "visitor", 302),
    # deleting a comment or reply: its author, or the post's author
    ("POST", "/comments/{comment}/delete", {}, "comment_author", 303),
    ("POST", "/comments/{reply}/delete", {}, "comment_author", 303),
    ("POST", "/comments/{comment}/delete", {}, "post_author", 303),
    ("POST", "/comments/{reply}/delete", {}, "post_author", 303),
    ("POST", "/comments/{comment}/delete", {}, "other", 403),
    ("POST", "/comments/{reply}/delete", {}, "other", 403),
    ("POST", "/comments/{comment}/delete", {}, "visitor", 302),
]


def _fill(text: str, scene: Scene) -> str:
    """Put the scene's ids into a URL or form value template."""
    return text.format(post=scene.post_id, comment=scene.comment_id, reply=scene.reply_id)


def _snapshot(app, scene: Scene) -> tuple:
    """Everything the matrix could change."""
    row = post_row(app, scene.post_id)
    comments = [(c.id, c.body, c.like_count) for c in comment_rows(app, scene.post_id)]
    body = row.body if row else None
    likes = like_rows(app, post_id=scene.post_id)
    return body, comments, likes, row.like_count if row else None


@pytest.mark.parametrize(
    ("method", "url", "form", "actor", "status"),
    MATRIX,
    ids=[f"{m} {u} {a}" for m, u, _, a, _ in MATRIX],
)
def test_permission_matrix(app, scene, method, url, form, actor, status):
    client = _client(app, scene, actor)
    target = _fill(url, scene)
    before = _snapshot(app, scene)
    if method == "GET":
        response = client.get(target)
    else:
        data = {k: _fill(str(v), scene) for k, v in (form or {}).items()}
        response = csrf_post(client, target, data)
    assert response.status_code == status, response.get_data(as_text=True)[:400]
    if status == 302:
        assert response.headers["Location"].startswith("/auth/login")
    if status in (302, 403) or method == "GET":
        assert _snapshot(app, scene) == before


@pytest.mark.parametrize(
    ("url", "form"),
    [(u, f) for m, u, f, _, _ in MATRIX if m == "POST"][::3],
)
def test_every_write_needs_a_csrf_token(app, scene, url, form):
    client = scene.people["post_author"].client
    before = _snapshot(app, scene)
    data = {k: _fill(str(v), scene) for k, v in (form or {}).items()}
    response = client.post(_fill(url, scene), data=data)
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert _snapshot(app, scene) == before


def test_deleting_a_comment_takes_its_replies_and_the_count_follows(app, scene):
    mina = scene.people["post_author"]
    assert post_row(app, scene.post_id).comment_count == 2
    assert csrf_post(mina.client, f"/comments/{scene.comment_id}/delete").status_code == 303
    assert comment_rows(app, scene.post_id) == []
    assert post_row(app, scene.post_id).comment_count == 0


def test_a_reply_to_a_reply_joins_the_same_thread(app, scene):
    sora = scene.people["other"]
    response = csrf_post(
        sora.client,
        f"/posts/{scene.post_id}/comments",
        {"body": "deeper", "parent_id": scene.reply_id},
    )
    assert response.status_code == 303
    newest = comment_rows(app, scene.post_id)[-1]
    assert newest.parent_id == scene.comment_id


def test_a_reply_to_another_posts_comment_is_refused(app, scene):
    mina = scene.people["post_author"]
    other_post = publish_ok(mina.client, "second")
    response = csrf_post(
        mina.client, f"/posts/{other_post}/comments", {"body": "x", "parent_id": scene.comment_id}
    )
    assert response.status_code == 400
    assert comment_rows(app, other_post) == []


def test_missing_things_are_404(app, scene):
    mina = scene.people["post_author"]
    assert mina.client.get("/posts/999999").status_code == 404
    assert csrf_post(mina.client, "/posts/999999/like", {"action": "like"}).status_code == 404
    assert csrf_post(mina.client, "/comments/999999/like", {"action": "like"}).status_code == 404
    assert csrf_post(mina.client, "/posts/999999/comments", {"body": "x"}).status_code == 404
    assert csrf_post(mina.client, "/comments/999999/delete").status_code == 404
