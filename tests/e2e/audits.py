"""Audits the browser tests run on a key page: axe-core, a screenshot, no sideways scroll on
the narrowest phone; and what screen readers and keyboards meet (live regions, tab order)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

from tests.e2e.support import AXE_PATH, NARROWEST_PHONE, SCREENSHOTS, Browsers

# -- audits of a key page -------------------------------------------------------------------

_axe_source: str | None = None


def axe_source() -> str:
    """Return axe-core's browser build (read once)."""
    global _axe_source
    if _axe_source is None:
        _axe_source = AXE_PATH.read_text()
    return _axe_source


def axe_violations(page: Page) -> list[dict]:
    """Run axe-core in `page` and return its serious and critical violations."""
    # Evaluated through the DevTools protocol, not a <script> tag: the CSP forbids inline code.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    # A toast fading in or out is judged at its passing opacity, so axe waits for the
    # animations under way (not repeating ones, nor ones still in their delay) to end.
    violations = page.evaluate(
        """async () => {
          const moving = document.getAnimations().filter((animation) => {
            const timing = animation.effect && animation.effect.getComputedTiming();
            return timing && timing.progress !== null && Number.isFinite(timing.endTime);
          });
          await Promise.race([
            Promise.all(moving.map((animation) => animation.finished.catch(() => null))),
            new Promise((resolve) => setTimeout(resolve, 1500)),
          ]);
          const result = await window.axe.run(document, {resultTypes: ["violations"]});
          return result.violations.map((v) => ({
            id: v.id,
            impact: v.impact,
            help: v.help,
            nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " :: " + n.failureSummary),
          }));
        }"""
    )
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def assert_accessible(page: Page) -> None:
    """Fail on any serious or critical axe-core violation in `page`."""
    bad = axe_violations(page)
    assert not bad, f"axe-core found on {page.url}:\n" + "\n".join(
        f"- [{v['impact']}] {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in bad
    )


def screenshot(browsers: Browsers, page: Page, name: str) -> Path:
    """Save a full-page screenshot as tests/e2e/screenshots/<name>-<phone|desktop>.png."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}-{browsers.kind_of(page)}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path


def assert_no_sideways_scroll(page: Page) -> None:
    """Fail when `page` is wider than a 360 px phone screen; the viewport is restored after."""
    before = page.viewport_size
    page.set_viewport_size({"width": NARROWEST_PHONE, "height": 740})
    try:
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > NARROWEST_PHONE:
            culprits = page.evaluate(
                """(limit) => Array.from(document.querySelectorAll("body *"))
                  .filter((el) => el.getBoundingClientRect().right > limit + 0.5)
                  .slice(0, 8)
                  .map((el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
                       (el.className && typeof el.className === "string"
                         ? "." + el.className.trim().split(/\\s+/).join(".") : ""))""",
                NARROWEST_PHONE,
            )
            raise AssertionError(
                f"{page.url} scrolls sideways at {NARROWEST_PHONE} px: scrollWidth={width}; "
                f"too wide: {culprits}"
            )
    finally:
        if before:
            page.set_viewport_size(before)


def audit(browsers: Browsers, page: Page, name: str) -> None:
    """Check a key page: axe-core, a screenshot, and (on a phone) no sideways scroll.

    Findings are recorded rather than raised, so one page's problem does not hide the
    next page's; the test fails at its end with all of them (see conftest).
    """
    label = f"{name}-{browsers.kind_of(page)}"
    screenshot(browsers, page, name)
    if browsers.has_javascript(page):
        try:
            assert_accessible(page)
        except AssertionError as error:
            browsers.problems.append(f"{label}: {error}")
    if browsers.kind_of(page) == "phone":
        try:
            assert_no_sideways_scroll(page)
        except AssertionError as error:
            browsers.problems.append(f"{label}: {error}")


# -- screen readers and keyboards ----------------------------------------------------------

LIVE_REGIONS = '[aria-live]:not([aria-live="off"]), [role="status"], [role="log"], [role="alert"]'


def remember_live_regions(page: Page) -> None:
    """Note the live regions on the page now; a screen reader only announces changes to those."""
    page.evaluate(
        "(selector) => { window.__liveRegions = Array.from(document.querySelectorAll(selector)); }",
        LIVE_REGIONS,
    )


def announced(page: Page, text: str) -> bool:
    """Tell whether `text` appeared inside a live region that was already on the page.

    A region that is itself swapped in with the new text is not announced by screen readers,
    so the region must be the same element as before the update.
    """
    return page.evaluate(
        """(text) => (window.__liveRegions || [])
             .some((region) => region.isConnected && region.textContent.includes(text))""",
        text,
    )


def tab_to(page: Page, target, *, limit: int = 80, backwards: bool = False) -> None:
    """Press Tab until `target` (a locator) has the focus, and check the focus is visible."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        if target.evaluate("(el) => el === document.activeElement"):
            break
        page.keyboard.press(key)
    else:
        raise AssertionError(f"{key} never reached {target} within {limit} presses")
    ring = target.evaluate(
        """(el) => {
          const style = getComputedStyle(el);
          return (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
            || style.boxShadow !== "none";
        }"""
    )
    assert ring, f"{target} has the keyboard focus but no visible focus indicator"
