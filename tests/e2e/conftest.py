"""Fixtures for the browser tests: one real Encore server and one Chromium for the package.

The server is `python wsgi.py` on a free loopback port (tests/support/live_server.py) on this
run's database, with Redis when the run has one (CI: PostgreSQL + Redis). Every test gets a
`browsers` object that opens phone and desktop contexts; whatever goes wrong inside the
browser (console error, page error, failed request, 5xx, unannounced 4xx, CSP violation)
fails that test.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.support import AXE_PATH, CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, Browsers
from tests.support.services import missing_service


@pytest.fixture(scope="package")
def chromium_path() -> str:
    """The system Chromium, or a loud skip (a failure under ENCORE_REQUIRE_SERVICES=1)."""
    if not Path(CHROMIUM).exists():
        missing_service(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing_service("the PyPI package playwright is not installed (make install)")
    # Failure screenshots describe the last run only.
    for stale in SCREENSHOTS.glob("failed-*.png"):
        stale.unlink(missing_ok=True)
    return CHROMIUM


@pytest.fixture(scope="package")
def axe_available() -> None:
    """axe-core from npm (installed by `make test`), or a loud skip."""
    if not AXE_PATH.exists():
        missing_service(f"no {AXE_PATH.relative_to(AXE_PATH.parents[2])} (run npm install)")


@pytest.fixture(scope="package")
def server(database):
    """A real Encore server for the browser tests; its rows and Redis keys are wiped after."""
    from tests.conftest import REDIS_PREFIX, _wipe_redis, _wipe_tables, make_app
    from tests.support.live_server import LiveServer

    instance = tempfile.mkdtemp(prefix="encore-e2e-")
    live = LiveServer(
        database.url,
        redis_url=os.environ.get("TEST_REDIS_URL_RESOLVED"),
        prefix=REDIS_PREFIX,
        instance_path=instance,
    ).start()
    yield live
    live.stop()
    application = make_app()
    with application.app_context():
        _wipe_tables()
    _wipe_redis(application)
    shutil.rmtree(instance, ignore_errors=True)


@pytest.fixture(scope="module")
def chromium(chromium_path):
    """One headless system Chromium per test module.

    Per module rather than per package: Playwright's sync API allows one running instance
    per thread, so a module that drives its own Playwright can sit beside these.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def browsers(chromium, server, axe_available):
    """Phone and desktop contexts on the live server; browser errors fail the test."""
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
    watched = Browsers(chromium, server.url)
    # A server with a media server: Janus's 404s for destroyed sessions are teardown.
    janus_url = getattr(server, "env", {}).get("JANUS_URL")
    if janus_url:
        parts = urlsplit(janus_url)
        watched.media_origins.add(f"{parts.scheme}://{parts.netloc}")
    yield watched
    watched.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After the test body, fail it for anything the browser complained about."""
    watched = item.funcargs.get("browsers") if hasattr(item, "funcargs") else None
    try:
        result = yield
    except BaseException as error:
        # The test already failed; what the browser said may explain why.
        if watched is not None and watched.problems:
            error.add_note("the browser also reported:\n" + _listed(watched.problems))
        if watched is not None and watched.network:
            error.add_note("the last requests:\n" + "\n".join(watched.network[-60:]))
        raise
    if watched is not None:
        watched.collect_csp_from_pages()
        if watched.problems:
            raise AssertionError(f"the browser reported problems:\n{_listed(watched.problems)}")
    return result


def _listed(problems: list[str]) -> str:
    """One problem per line, each once."""
    return "\n".join(f"- {p}" for p in dict.fromkeys(problems))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep a screenshot of every open page when a browser test fails."""
    report = yield
    watched = item.funcargs.get("browsers") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and watched is not None:
        SCREENSHOTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name)
        for n, context in enumerate(watched.contexts, start=1):
            for m, page in enumerate(context.pages, start=1):
                with contextlib.suppress(Exception):
                    page.screenshot(path=str(SCREENSHOTS / f"failed-{name}-{n}.{m}.png"))
    return report
