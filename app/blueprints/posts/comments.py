"""Comments and replies under a highlight, and likes on them."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_login import current_user, login_required

from app.blueprints.posts import bp
from app.blueprints.posts.forms import CommentForm
from app.blueprints.posts.routes import post_context
from app.blueprints.posts.views import wanted_like
from app.errors import status_for
from app.responses import fragment_or_redirect, is_htmx, page_or_fragment, see_other
from app.services.errors import DomainError
from app.services.posts import comments, likes


@bp.get("/posts/<int:post_id>/comments")
def comment_list(post_id: int):
    """The comments of a highlight: a fragment for live refreshes and for the next page of
    threads (`cursor`); the post page otherwise."""
    cursor = request.args.get("cursor") or None
    fragment = "posts/_comment_threads.html" if cursor else "posts/_comments.html"
    return page_or_fragment("posts/show.html", fragment, **post_context(post_id, cursor))


@bp.post("/posts/<int:post_id>/comments")
@login_required
def add_comment(post_id: int):
    """Comment on a highlight, or reply to a comment (`parent_id`)."""
    form = CommentForm()
    try:
        if not form.validate_on_submit():
            raise DomainError(" ".join(form.body.errors) or None, field="body")
        comment = comments.add_comment(
            post_id, current_user.id, form.body.data, form.parent_id.data
        )
    except DomainError as error:
        if is_htmx():
            raise
        context = post_context(post_id)
        form.body.errors = [error.message]
        context["comment_form"] = form
        return render_template("posts/show.html", **context), status_for(error)
    location = url_for("posts.show", post_id=post_id, _anchor=f"comment-{comment.id}")
    return fragment_or_redirect("posts/_comments.html", location, **post_context(post_id))


@bp.post("/comments/<int:comment_id>/like")
@login_required
def like_comment(comment_id: int):
    """Like or unlike a comment or reply (`action` = like or unlike; toggles without it)."""
    wanted = wanted_like(likes.likes_comment(current_user.id, comment_id))
    post_id, state = likes.set_comment_like(comment_id, current_user.id, wanted)
    return fragment_or_redirect(
        "posts/_like_button.html",
        url_for("posts.show", post_id=post_id, _anchor=f"comment-{comment_id}"),
        target="comment",
        target_id=comment_id,
        liked=state.liked,
        count=state.count,
    )


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_comment(comment_id: int):
    """Change one's own comment or reply."""
    comment = comments.own_comment(comment_id, current_user.id)
    form = CommentForm(obj=comment)
    if request.method == "POST":
        try:
            if not form.validate_on_submit():
                raise DomainError(" ".join(form.body.errors) or None, field="body")
            comments.edit_comment(comment_id, current_user.id, form.body.data)
        except DomainError as error:
            form.body.errors = [error.message]
            return render_template(
                "posts/comment_edit.html", form=form, comment=comment
            ), status_for(error)
        return see_other(
            url_for("posts.show", post_id=comment.post_id, _anchor=f"comment-{comment_id}")
        )
    return render_template("posts/comment_edit.html", form=form, comment=comment)


@bp.post("/comments/<int:comment_id>/delete")
@login_required
def delete_comment(comment_id: int):
    """Delete a comment (its author, or the highlight's author); its replies go with it."""
    post_id = comments.delete_comment(comment_id, current_user.id)
    location = url_for("posts.show", post_id=post_id, _anchor="comments")
    return fragment_or_redirect("posts/_comments.html", location, **post_context(post_id))
