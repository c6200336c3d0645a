"""The stage never winds back: an answer rendered before the stage a page shows is not
swapped in (app/static/js/rooms.js).

A score's own answer can arrive after the refetch that the last score's push asked for;
swapped in, it showed the turn without its average, and no later push came to fix it.
Here the browser is handed a real stage answer whose version is older, then newer, than
the one it shows.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.show import connected, open_room, person

pytestmark = pytest.mark.e2e


def _refetch(page, room: str, shown_version: int, marker: str) -> None:
    """Show `shown_version` on the page, then have it fetch the stage, whose answer (the
    server's own stage) carries `marker`; wait until the answer has been handled."""
    page.evaluate(
        "v => document.getElementById('stage').setAttribute('data-version', String(v))",
        shown_version,
    )

    def answer(route) -> None:
        response = route.fetch()
        body = response.text().replace("Lobby", f"Lobby {marker}", 1)
        route.fulfill(response=response, body=body)

    page.route(f"**{room}/stage", answer)
    with page.expect_response(lambda r: r.url.endswith(f"{room}/stage")):
        page.evaluate("() => htmx.trigger('#stage-region', 'encore-connect')")
    page.wait_for_timeout(300)  # the swap and settle follow the response
    page.unroute(f"**{room}/stage")


def test_an_older_stage_answer_does_not_replace_a_newer_stage(browsers):
    host = person(browsers, "hana", "김하나")
    room = open_room(host, "거꾸로 가지 않는 무대", capacity=2)
    connected(host)
    page = host.page

    # The page shows a stage newer than anything the server has rendered: kept.
    _refetch(page, room, 1_000_000, "stale-answer")
    expect(host.stage).not_to_contain_text("stale-answer")
    expect(page.locator("#stage")).to_have_attribute("data-version", "1000000")

    # The page shows an older stage: the answer replaces it.
    _refetch(page, room, 0, "fresh-answer")
    expect(host.stage).to_contain_text("fresh-answer")
    expect(page.locator("#stage")).not_to_have_attribute("data-version", "0")
