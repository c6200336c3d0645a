"""Decoding a huge picture happens off the event loop: the same server keeps answering.

A real `python wsgi.py` process (eventlet or gevent, per ENCORE_ASYNC_MODE) receives an
8000×8000 picture while another client polls /healthz. Timings go to bench/, not here:
this test asserts that health checks are answered *while* the upload is being processed.
"""

from __future__ import annotations

import io
import threading
import time

import requests

from tests.support.live_server import WebUser
from tests.web.posts_support import png_bomb


def test_healthz_answers_while_an_8000_square_picture_is_decoded(live_server):
    user = WebUser(live_server.url).signup("mina")
    picture = png_bomb(8000, 8000)  # 64 megapixels, exactly at the limit: decoded in full
    token = user.csrf("/posts/new")
    upload: dict = {}

    def send() -> None:
        """Upload the picture and note when the request started and finished."""
        upload["started"] = time.monotonic()
        upload["response"] = user.http.post(
            live_server.url + "/posts/",
            data={"csrf_token": token, "body": "huge"},
            files={"photos": ("big.png", io.BytesIO(picture), "image/png")},
            allow_redirects=False,
            timeout=120,
        )
        upload["finished"] = time.monotonic()

    answered: list[tuple[float, int]] = []
    thread = threading.Thread(target=send)
    thread.start()
    while thread.is_alive():
        status = requests.get(live_server.url + "/healthz", timeout=30).status_code
        answered.append((time.monotonic(), status))
        time.sleep(0.02)
    thread.join()
    response = upload["response"]
    assert response.status_code == 303, live_server.log()[-2000:]
    assert {status for _, status in answered} == {200}
    during = [t for t, _ in answered if upload["started"] < t < upload["finished"]]
    # Decoded on the event loop, the process answered 2 checks in 8 s (only while the body
    # was still arriving); decoded in a real thread, it answered dozens.
    assert len(during) >= 10, (len(during), live_server.log()[-2000:])
