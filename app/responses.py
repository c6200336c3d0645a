"""How views answer: a full page or its fragment, and 303s after successful posts."""

from __future__ import annotations

from flask import Response, make_response, redirect, render_template, request


def is_htmx() -> bool:
    """Tell whether htmx sent this request (and it is not a history restore)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def page_or_fragment(page: str, fragment: str, *, status: int = 200, **context) -> Response:
    """Render `fragment` alone for htmx, else the full `page` that includes it.

    Every response varies on HX-Request, so no cache ever serves one in place of the other.
    """
    template = fragment if is_htmx() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def fragment_or_redirect(fragment: str | None, location: str, **context) -> Response:
    """Answer a successful post: the updated fragment for htmx, else 303 to `location`."""
    if is_htmx() and fragment:
        response = make_response(render_template(fragment, **context))
        response.vary.add("HX-Request")
        return response
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
