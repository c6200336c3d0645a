"""The browser guard itself: it must notice what it promises to, or the suite proves nothing."""

from __future__ import annotations

import pytest

from tests.e2e.audits import assert_no_sideways_scroll, axe_violations
from tests.e2e.support import eventually

pytestmark = pytest.mark.e2e


def _taken(browsers, fragment: str) -> list[str]:
    """Remove and return the recorded problems that mention `fragment`."""
    found = [p for p in browsers.problems if fragment in p]
    browsers.problems[:] = [p for p in browsers.problems if fragment not in p]
    return found


def test_guard_catches_console_errors_csp_violations_and_unexpected_statuses(browsers):
    page = browsers.phone().new_page()
    page.goto("/")

    page.evaluate("() => console.error('stage went dark')")
    eventually(page, lambda: _taken(browsers, "stage went dark"))

    # An inline script is exactly what our CSP forbids; the guard must see the violation.
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.inlineRan = true";
          document.body.appendChild(script);
        }"""
    )
    eventually(page, lambda: _taken(browsers, "CSP violation"))
    assert page.evaluate("() => window.inlineRan") is None
    _taken(browsers, "Content Security Policy")  # Chromium also logs it to the console

    page.goto("/no-such-page")
    eventually(page, lambda: _taken(browsers, "HTTP 404"))
    _taken(browsers, "status of 404")

    page.evaluate("() => setTimeout(() => { throw new Error('unhandled on stage'); }, 0)")
    eventually(page, lambda: _taken(browsers, "unhandled on stage"))
    assert browsers.problems == []


def test_guard_catches_axe_violations_and_sideways_scroll(browsers):
    page = browsers.phone().new_page()
    page.goto("/")
    page.evaluate(
        """() => {
          const img = document.createElement("img");
          img.src = document.querySelector("link[rel=icon]").href;
          document.querySelector("main").appendChild(img);
        }"""
    )
    assert "image-alt" in [v["id"] for v in axe_violations(page)]

    page.evaluate(
        """() => {
          const wide = document.createElement("div");
          wide.style.width = "600px";
          wide.style.height = "10px";
          document.querySelector("main").appendChild(wide);
        }"""
    )
    with pytest.raises(AssertionError, match="scrolls sideways"):
        assert_no_sideways_scroll(page)
