"""Writing, reading, editing and deleting highlights, and liking them."""

from __future__ import annotations

from flask import current_app, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.blueprints.posts import bp
from app.blueprints.posts.forms import CommentForm, EditPostForm, PostForm
from app.blueprints.posts.views import wanted_like
from app.errors import status_for
from app.extensions import limiter
from app.responses import fragment_or_redirect, see_other, viewer_id
from app.services.errors import DomainError
from app.services.posts import comments, likes, writing
from app.upload_limits import upload_rate_limit, uploader_key


def _chosen_photos(form: PostForm) -> list:
    """Return the uploaded photo streams, skipping the empty part a browser sends."""
    files = request.files.getlist(form.photos.name)
    return [f.stream for f in files if getattr(f, "filename", "")]


def _new_page(form: PostForm, *, status: int = 200):
    """Render the new-highlight form with the performance it links, if any."""
    performance = writing.highlightable_performance(form.performance_id.data, current_user.id)
    return render_template("posts/new.html", form=form, performance=performance), status


@bp.get("/posts/new")
@login_required
def new():
    """The form for a new highlight, prefilled with a performance when `performance_id`."""
    form = PostForm(performance_id=request.args.get("performance_id", type=int))
    return _new_page(form)


@bp.post("/posts/")
@login_required
@limiter.limit(upload_rate_limit, key_func=uploader_key)
def create():
    """Publish a highlight with its photos; errors redisplay the form with what was typed."""
    form = PostForm()
    if not form.validate_on_submit():
        return _new_page(form, status=400)
    photos = _chosen_photos(form)
    try:
        post = writing.create_post(
            current_user.id,
            form.body.data or "",
            photos,
            performance_id=form.performance_id.data,
            photo_max_bytes=current_app.config["PHOTO_MAX_BYTES"],
        )
    except DomainError as error:
        getattr(form, error.field or "body", form.body).errors.append(error.message)
        return _new_page(form, status=status_for(error))
    flash(_("Your highlight is up."), "success")
    return see_other(url_for("posts.show", post_id=post.id))


def post_context(post_id: int, cursor: str | None = None) -> dict:
    """Return what the post page and its comments need, in a fixed number of queries."""
    me = viewer_id()
    post = writing.get_post(post_id, me)
    threads, next_cursor = comments.threads(post_id, cursor)
    comment_ids = [t.comment.id for t in threads] + [r.id for t in threads for r in t.replies]
    return {
        "post": post,
        "threads": threads,
        "next_comments": next_cursor,
        "liked": likes.liked_posts_among(me, [post.id]),
        "liked_comments": likes.liked_comments_among(me, comment_ids),
        "comment_form": CommentForm(formdata=None),
    }


@bp.get("/posts/<int:post_id>")
def show(post_id: int):
    """A highlight with its photos, performance, likes and comments."""
    return render_template("posts/show.html", **post_context(post_id))


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit(post_id: int):
    """Change the text of one's own highlight."""
    post = writing.own_post(post_id, current_user.id)
    form = EditPostForm(obj=post)
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("posts/edit.html", form=form, post=post), 400
        try:
            writing.edit_post(post_id, current_user.id, form.body.data or "")
        except DomainError as error:
            form.body.errors.append(error.message)
            return render_template("posts/edit.html", form=form, post=post), status_for(error)
        flash(_("Your highlight is updated."), "success")
        return see_other(url_for("posts.show", post_id=post_id))
    return render_template("posts/edit.html", form=form, post=post)


@bp.post("/posts/<int:post_id>/delete")
@login_required
def delete(post_id: int):
    """Delete one's own highlight with its photos, comments and likes."""
    writing.delete_post(post_id, current_user.id)
    flash(_("Your highlight is deleted."), "success")
    return see_other(url_for("posts.user_posts", username=current_user.username))


@bp.post("/posts/<int:post_id>/like")
@login_required
def like(post_id: int):
    """Like or unlike a highlight (`action` = like or unlike; toggles without it)."""
    wanted = wanted_like(likes.likes_post(current_user.id, post_id))
    state = likes.set_post_like(post_id, current_user.id, wanted)
    return fragment_or_redirect(
        "posts/_like_button.html",
        url_for("posts.show", post_id=post_id),
        target="post",
        target_id=post_id,
        liked=state.liked,
        count=state.count,
    )


@bp.get("/posts/<int:post_id>/likes")
def likers(post_id: int):
    """The people who liked a highlight, most recent first."""
    post = writing.get_post(post_id, viewer_id())
    return render_template("posts/likers.html", post=post, people=likes.likers(post_id))
