"""Host tools in the browser: a line that arrived live gets the host's menu, deleting it takes
it off every phone at once, and a timed-out guest is told why when they try to send."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.show import LIVE_MS, connected, join, member, open_room, person
from tests.e2e.test_chat import composer, lines, send

pytestmark = pytest.mark.e2e


def test_the_host_deletes_a_live_line_and_times_its_author_out(browsers):
    host = person(browsers, "hana", "김하나")
    guest = person(browsers, "minsu", "박민수")
    room = open_room(host, "호스트 도구", capacity=3)
    connected(host)
    join(guest, room)
    expect(member(host, guest.name)).to_be_visible(timeout=LIVE_MS)
    connected(guest)

    send(guest.page, "지울 메시지")
    line = host.page.locator("li[data-seq]", has_text="지울 메시지")
    expect(line).to_have_count(1, timeout=LIVE_MS)

    # The line came over the socket; the host's menu was added to it on arrival.
    line.locator("summary").click()
    line.get_by_role("button", name="Delete").click()
    expect(lines(host.page, "지울 메시지")).to_have_count(0, timeout=LIVE_MS)
    expect(lines(guest.page, "지울 메시지")).to_have_count(0, timeout=LIVE_MS)

    send(guest.page, "또 왔어요")
    line = host.page.locator("li[data-seq]", has_text="또 왔어요")
    expect(line).to_have_count(1, timeout=LIVE_MS)
    line.locator("summary").click()
    line.get_by_role("button", name="Time out").click()
    # The "room is open" toast may still be up beside it, so pick the timeout's own toast.
    toast = host.page.locator("#toasts .toast-success", has_text="timed out")
    expect(toast).to_contain_text(guest.name, timeout=LIVE_MS)

    with browsers.expecting(403):
        composer(guest.page).fill("제 말 들려요?")
        guest.page.locator("#chat").get_by_role("button", name="Send").click()
        expect(guest.page.locator("#toasts .toast-error")).to_contain_text("timed out")
    expect(lines(host.page, "제 말 들려요?")).to_have_count(0)
