"""The web process's HTTP options (app/http_server.py): eventlet's connection cap raised,
and Nagle's algorithm off on every connection it accepts.

eventlet writes a response through a 16 KB buffer, so a bigger page leaves in two sends;
with Nagle on, a kept-alive client's delayed acknowledgement held the second one 40 ms.
"""

from __future__ import annotations

import socket

from app.http_server import no_delay_protocol, server_options


def test_eventlet_serves_with_the_no_delay_protocol_and_a_raised_cap(monkeypatch):
    monkeypatch.setenv("ENCORE_MAX_CONNECTIONS", "4321")
    options = server_options("eventlet")
    assert options["max_size"] == 4321
    assert options["protocol"].__name__ == "NoDelayProtocol"
    assert server_options("gevent") == {}


def test_an_accepted_connection_has_nagle_off():
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname())
    accepted, _address = listener.accept()
    try:
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        protocol = no_delay_protocol()
        handler = protocol.__new__(protocol)  # just the per-connection setup, on a real socket
        handler.request = accepted
        handler.setup()
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        for sock in (client, accepted, listener):
            sock.close()
