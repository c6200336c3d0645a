"""Browser plumbing for the end-to-end tests: Chromium contexts that fail on any browser error.

`Browsers` opens phone and desktop contexts on one Chromium. Every page of every context is
watched: a console error, an uncaught page error, a failed request, a response of 500 or
more, a 4xx the test did not announce with `browsers.expecting(...)`, and any Content
Security Policy violation are collected, and the test fails when it ends (see conftest).

One standing exception: the end of a long poll to the media server's origin
(`media_origins`, the Janus of a JANUS_URL server). Janus answers 404 to a long poll still
open on a session the page has just destroyed (every line-up change destroys one), or cuts
that poll off mid-answer (`ERR_INCOMPLETE_CHUNKED_ENCODING`); both are the teardown
working, not an app error.
"""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Request, Response

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # WebRTC without real devices or a permission prompt.
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 3,
}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
NARROWEST_PHONE = 360
PASSWORD = "correct horse battery"

# Records every CSP violation in the page and reports it to the test at once.
CSP_RECORDER = """
(() => {
  window.__cspViolations = [];
  document.addEventListener("securitypolicyviolation", (event) => {
    const violation = {
      directive: event.violatedDirective,
      blocked: event.blockedURI,
      source: event.sourceFile,
      line: event.lineNumber,
      sample: event.sample,
    };
    window.__cspViolations.push(violation);
    if (typeof window.__encoreCspViolation === "function") {
      window.__encoreCspViolation(violation);
    }
  }, true);
})();
"""
FAILED_LOAD = re.compile(r"Failed to load resource: the server responded with a status of (\d{3})")
HTMX_ERROR = re.compile(r"^Response Status Error Code (\d{3}) from ")


def unique(prefix: str) -> str:
    """Return a username-safe name nobody else in this run has: prefix + 6 hex digits."""
    return f"{prefix}{uuid.uuid4().hex[:6]}"


@dataclass
class Browsers:
    """Chromium contexts for one test, watched for every kind of browser error."""

    browser: Browser
    base_url: str
    problems: list[str] = field(default_factory=list)
    contexts: list[BrowserContext] = field(default_factory=list)
    kinds: dict[int, str] = field(default_factory=dict)
    scripted: dict[int, bool] = field(default_factory=dict)
    expected_statuses: set[int] = field(default_factory=set)
    offline: set[int] = field(default_factory=set)
    network: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    # Origins of the media server (Janus) the pages talk to: its 404s are teardown.
    media_origins: set[str] = field(default_factory=set)

    def _media_404(self, status: int, url: str) -> bool:
        """Tell whether this is Janus answering 404 for a session the page destroyed."""
        parts = urlsplit(url)
        return status == 404 and f"{parts.scheme}://{parts.netloc}" in self.media_origins

    def _media_poll_cut(self, request: Request, failure: str) -> bool:
        """Tell whether Janus cut off a long poll on a session the page was tearing down."""
        return request.method == "GET" and self._media_cut(failure, request.url)

    def _media_cut(self, text: str, url: str) -> bool:
        """Tell whether `text` (a request's failure, or the console line Chromium logs for
        it) is Janus cutting off an answer to the media server's origin at `url`."""
        parts = urlsplit(url)
        return (
            "net::ERR_INCOMPLETE_CHUNKED_ENCODING" in text
            and f"{parts.scheme}://{parts.netloc}" in self.media_origins
        )

    # -- contexts -------------------------------------------------------------------------

    def phone(self, *, javascript: bool = True) -> BrowserContext:
        """Open a 390×844 touch phone context (JavaScript on unless told otherwise)."""
        return self._open("phone", PHONE, javascript)

    def desktop(self, *, javascript: bool = True) -> BrowserContext:
        """Open a 1280×800 desktop context."""
        return self._open("desktop", DESKTOP, javascript)

    def _open(self, kind: str, options: dict, javascript: bool) -> BrowserContext:
        """Open a context, install the CSP recorder and watch every page it opens."""
        context = self.browser.new_context(
            base_url=self.base_url,
            java_script_enabled=javascript,
            locale="en-US",
            timezone_id="Asia/Seoul",
            service_workers="block",
            **options,
        )
        context.set_default_timeout(10_000)
        context.set_default_navigation_timeout(15_000)
        self.kinds[id(context)] = kind
        self.scripted[id(context)] = javascript
        label = f"{kind}#{len(self.contexts) + 1}{'' if javascript else ' (no JS)'}"
        if javascript:
            context.expose_binding(
                "__encoreCspViolation",
                lambda source, violation: self.problems.append(
                    f"{label}: CSP violation {violation} on {source['page'].url}"
                ),
            )
            context.add_init_script(script=CSP_RECORDER)
        context.on("page", lambda page: self._watch(page, context, label))
        self.contexts.append(context)
        return context

    def page(self, context: BrowserContext) -> Page:
        """Open a new page in `context`."""
        return context.new_page()

    def kind_of(self, page: Page) -> str:
        """Return "phone" or "desktop" for the context `page` belongs to."""
        return self.kinds[id(page.context)]

    def has_javascript(self, page: Page) -> bool:
        """Tell whether scripts run in `page`'s context."""
        return self.scripted[id(page.context)]

    # -- the guard ------------------------------------------------------------------------

    @contextlib.contextmanager
    def expecting(self, *statuses: int) -> Iterator[None]:
        """Within this block, responses with these 4xx statuses are what the test wants."""
        added = set(statuses) - self.expected_statuses
        self.expected_statuses |= added
        try:
            yield
        finally:
            self.expected_statuses -= added

    @contextlib.contextmanager
    def offline_window(self, context: BrowserContext) -> Iterator[None]:
        """Take `context` offline for the block; network errors it causes meanwhile are fine."""
        self.offline.add(id(context))
        context.set_offline(True)
        try:
            yield
        finally:
            context.set_offline(False)

    def back_online(self, context: BrowserContext) -> None:
        """Stop forgiving `context`'s network errors (call once it has reconnected)."""
        self.offline.discard(id(context))

    def _watch(self, page: Page, context: BrowserContext, label: str) -> None:
        """Record every browser-side problem on `page`."""
        answered: set[Request] = set()  # requests whose response arrived

        def offline() -> bool:
            return id(context) in self.offline

        def on_console(message: ConsoleMessage) -> None:
            if message.type != "error":
                return
            text = message.text
            # Chromium logs every 4xx it loads, and htmx every 4xx it swaps; those are fine
            # exactly when the test announced that status.
            status = FAILED_LOAD.search(text) or HTMX_ERROR.search(text)
            if status and int(status.group(1)) in self.expected_statuses:
                return
            where = (message.location or {}).get("url", "")
            if status and self._media_404(int(status.group(1)), where):
                return
            if self._media_cut(text, where):
                # The console's line for the long poll that on_request_failed forgives.
                return
            if offline():
                # Offline, the socket's retries and a form that cannot be sent log errors;
                # that is the browser reporting the outage the test made on purpose.
                return
            self.problems.append(f"{label}: console error on {page.url}: {text}")

        def on_page_error(error: Exception) -> None:
            where = getattr(error, "stack", "") or ""
            self.problems.append(f"{label}: uncaught error on {page.url}: {error} {where}")

        def on_request_failed(request: Request) -> None:
            failure = request.failure or ""
            if offline() or self._media_poll_cut(request, failure):
                return
            if failure == "net::ERR_ABORTED" and request.method == "GET":
                # The page itself cancelled a read: a navigation superseded by a newer one,
                # or an icon still loading when the automatic refresh moved on. Not a
                # failure. An aborted POST is (someone's action was lost), and so is every
                # other reason (refused, reset, timed out, blocked).
                return
            if failure == "net::ERR_ABORTED" and request in answered:
                # The server answered it (its response arrived) and the page moved on, as
                # the answer told it to, before Chromium marked the request finished: the
                # action reached the server and was answered, so nothing was lost.
                return
            self.problems.append(
                f"{label}: request failed: {request.method} {request.url} ({failure})"
            )

        def on_response(response: Response) -> None:
            answered.add(response.request)
            status = response.status
            path = response.url.removeprefix(self.base_url)
            if not path.startswith("/static/"):
                elapsed = time.monotonic() - self.started
                method = response.request.method
                self.network.append(f"{elapsed:7.3f}s {label}: {method} {path} -> {status}")
            if self._media_404(status, response.url):
                return
            if status >= 500 or (status >= 400 and status not in self.expected_statuses):
                self.problems.append(
                    f"{label}: HTTP {status} for {response.request.method} {response.url}"
                )

        page.on("console", on_console)
        page.on("pageerror", on_page_error)
        page.on("requestfailed", on_request_failed)
        page.on("response", on_response)

    def collect_csp_from_pages(self) -> None:
        """Add the CSP violations recorded inside still-open pages (belt and braces)."""
        for context in self.contexts:
            if not self.scripted[id(context)]:
                continue
            for page in context.pages:
                if page.is_closed():
                    continue
                with contextlib.suppress(Exception):  # a page mid-navigation has no window
                    found = page.evaluate("() => window.__cspViolations || []")
                    for violation in found:
                        message = f"CSP violation {violation} on {page.url}"
                        if not any(message in problem for problem in self.problems):
                            self.problems.append(f"{self.kinds[id(context)]}: {message}")

    def close(self) -> None:
        """Close every context this test opened."""
        for context in self.contexts:
            with contextlib.suppress(Exception):
                context.close()
        self.contexts.clear()


def eventually(page: Page, predicate, *, timeout: float = 5000, message: str = "") -> object:
    """Poll `predicate` (letting the browser deliver its events) until it is truthy."""
    waited = 0.0
    while True:
        value = predicate()
        if value:
            return value
        if waited >= timeout:
            raise AssertionError(message or f"condition not met within {timeout:.0f} ms")
        page.wait_for_timeout(50)
        waited += 50


# -- what a person does -------------------------------------------------------------------


def sign_up(page: Page, username: str, display_name: str, password: str = PASSWORD) -> None:
    """Create an account through the signup form and wait for the welcome."""
    page.goto("/auth/signup")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Display name").fill(display_name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(lambda url: "/auth/signup" not in url)
    page.get_by_role("button", name="Log out").wait_for()


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form."""
    page.goto("/auth/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Log out").wait_for()
