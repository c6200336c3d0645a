"""The web process's HTTP server (app/http_server.py): eventlet's connection cap raised,
and Nagle's algorithm off on every connection either async mode accepts.

eventlet writes a response through a 16 KB buffer, and gevent sends the headers before the
body, so a response leaves in two sends; with Nagle on, a kept-alive client's delayed
acknowledgement held the second one 40 ms. (The gevent pass of .ci/run serves the
realtime tests through `serve()` in gevent mode.)
"""

from __future__ import annotations

import socket
from contextlib import contextmanager

from flask import Flask

from app.http_server import (
    gevent_server,
    no_delay_gevent_handler,
    no_delay_protocol,
    server_options,
)


@contextmanager
def _accepted_connection():
    """A real loopback connection: the server side's socket and its peer address."""
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname())
    accepted, address = listener.accept()
    try:
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        yield accepted, address
    finally:
        for sock in (client, accepted, listener):
            sock.close()


def test_eventlet_serves_with_the_no_delay_protocol_and_a_raised_cap(monkeypatch):
    monkeypatch.setenv("ENCORE_MAX_CONNECTIONS", "4321")
    options = server_options("eventlet")
    assert options["max_size"] == 4321
    assert options["protocol"].__name__ == "NoDelayProtocol"
    assert server_options("gevent") == {}


def test_an_accepted_connection_has_nagle_off():
    with _accepted_connection() as (accepted, _address):
        protocol = no_delay_protocol()
        handler = protocol.__new__(protocol)  # just the per-connection setup, on a real socket
        handler.request = accepted
        handler.setup()
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_gevent_serves_websockets_with_nagle_off_on_every_connection():
    from geventwebsocket.handler import WebSocketHandler

    server = gevent_server(Flask(__name__), "127.0.0.1", 0)
    assert issubclass(server.handler_class, WebSocketHandler)  # Socket.IO's websockets
    with _accepted_connection() as (accepted, address):
        handler = server.handler_class(accepted, address, server)
        try:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        finally:
            handler.rfile.close()
    assert no_delay_gevent_handler().__name__ == "NoDelayWebSocketHandler"
