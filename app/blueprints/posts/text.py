"""How a highlight's text is shown: escaped, with #tags linked to their tag pages."""

from __future__ import annotations

from urllib.parse import quote

from flask import g, url_for
from markupsafe import Markup, escape

from app.blueprints.posts import bp
from app.services.posts.writing import TAG_RE


def _tag_url(name: str) -> str:
    """The tag page URL, as url_for writes it; the prefix is built once per response
    because a feed page links many tags. A tag is word characters only (TAG_RE), which
    the path converter and quote() escape alike."""
    prefix = g.get("_posts_tag_url_prefix")
    if prefix is None:
        prefix = g._posts_tag_url_prefix = url_for("posts.tag", tag="~").removesuffix("~")
    return prefix + quote(name, safe="")


@bp.app_template_filter("post_body")
def post_body(body: str) -> Markup:
    """Escape the text and turn each #tag into a link; nothing else becomes markup."""
    parts: list[str] = []
    last = 0
    for match in TAG_RE.finditer(body or ""):
        parts.append(str(escape(body[last : match.start()])))
        name = match.group(1)
        href = _tag_url(name.casefold())
        parts.append(f'<a class="tag" href="{escape(href)}">#{escape(name)}</a>')
        last = match.end()
    parts.append(str(escape((body or "")[last:])))
    return Markup("".join(parts))  # noqa: S704  (every piece above is escaped)
