"""How views answer: a full page or its fragment, 303s after successful posts, safe
redirect targets, and who is looking. Every blueprint shapes its answers with these."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, make_response, redirect, render_template, request
from flask_login import current_user


def is_htmx() -> bool:
    """Tell whether htmx sent this request (and it is not a history restore)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def viewer_id() -> int | None:
    """Return the signed-in viewer's id, or None for visitors."""
    return current_user.id if current_user.is_authenticated else None


def add_vary(response: Response, *names: str) -> None:
    """Add each of `names` to the response's Vary header once.

    Every page and post passes here twice (htmx, then language); werkzeug's `vary` header
    set parses and rewrites the header on each change, a plain string does not.
    """
    current = response.headers.get("Vary")
    if not current:
        response.headers["Vary"] = ", ".join(names)
        return
    present = {part.strip().lower() for part in current.split(",")}
    missing = [name for name in names if name.lower() not in present]
    if missing:
        response.headers["Vary"] = ", ".join((current, *missing))


def varying(body: str, status: int = 200) -> Response:
    """Answer `body`, marked as depending on HX-Request.

    Every answer that differs between htmx and a plain request carries `Vary: HX-Request`,
    so no cache ever serves a fragment in place of a page.
    """
    response = make_response(body, status)
    add_vary(response, "HX-Request")
    return response


def page_or_fragment(page: str, fragment: str, *, status: int = 200, **context) -> Response:
    """Render `fragment` alone for htmx, else the full `page` that includes it."""
    template = fragment if is_htmx() else page
    return varying(render_template(template, **context), status)


def safe_next(target: str | None) -> str:
    """Return `target` if it is a path on this site, else "/".

    Browsers read `//host`, `/\\host` and `https:host` as other sites, and `javascript:` as
    code, so only a plain absolute path with no scheme or host survives.
    """
    if not target or any(ord(ch) < 32 or ch == "\\" for ch in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def fragment_or_redirect(fragment: str | None, location: str, **context) -> Response:
    """Answer a successful post: the updated fragment for htmx, else 303 to `location`."""
    if is_htmx() and fragment:
        return varying(render_template(fragment, **context))
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, code=303)


def see_other(location: str) -> Response:
    """Redirect after a post: htmx follows HX-Redirect, a plain form follows the 303."""
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, code=303)
