"""How the web process serves HTTP, in either async mode, with Nagle's algorithm off.

Kept apart from `wsgi.py`, which patches the process for its async mode on import, so the
options can be read (and tested) without patching anything.

Both servers send a response in more than one `send`: eventlet through a 16 KB buffer,
gevent its headers first and then the body. With Nagle on, the second send waits until the
client acknowledges the first, and a client on a kept-alive connection (a browser, or nginx
to its upstream) delays that acknowledgement by 40 ms. Every connection either server
accepts has TCP_NODELAY set (docs/benchmarks.md, "Fast path, eighth round" and
"thirteenth round").
"""

from __future__ import annotations

import os
import socket

from flask import Flask


def serve(app: Flask, async_mode: str, *, host: str, port: int, log_output: bool) -> None:
    """Serve `app` (with its Socket.IO endpoint) until the process stops."""
    if async_mode == "gevent":
        gevent_server(app, host, port, log_output=log_output).serve_forever()
        return
    from app.extensions import socketio

    socketio.run(app, host=host, port=port, log_output=log_output, **server_options(async_mode))


def server_options(async_mode: str) -> dict:
    """Return the keyword arguments for `socketio.run()` in `async_mode`."""
    if async_mode != "eventlet":
        # gevent is served by `gevent_server`, which spawns without a cap.
        return {}
    return {
        # eventlet serves at most 1,024 connections (sockets and keep-alive requests
        # together) unless told otherwise; at 1,000 clients it stopped answering HTTP.
        "max_size": int(os.environ.get("ENCORE_MAX_CONNECTIONS", "10000")),
        "protocol": no_delay_protocol(),
    }


def no_delay_protocol() -> type:
    """eventlet's HTTP protocol with Nagle's algorithm off on every connection.

    eventlet writes a response through a 16 KB buffer, so a bigger page (a room, the
    leaderboard) leaves in two sends. With Nagle on, the second send waits until the client
    acknowledges the first, and a client on a kept-alive connection delays that
    acknowledgement by 40 ms: every page over 16 KB took 40 ms longer than it cost
    (docs/benchmarks.md, "Fast path, eighth round").
    """
    import eventlet.wsgi

    class NoDelayProtocol(eventlet.wsgi.HttpProtocol):
        def setup(self) -> None:
            super().setup()
            _no_delay(self.connection)

    return NoDelayProtocol


def gevent_server(app: Flask, host: str, port: int, *, log_output: bool = False):
    """gevent's WSGI server as `socketio.run()` builds it, with the no-delay handler.

    `socketio.run()` names its own handler class, so the server is built here rather than
    handed an option.
    """
    from gevent import pywsgi

    return pywsgi.WSGIServer(
        (host, port),
        app,
        handler_class=no_delay_gevent_handler(),
        log="default" if log_output else None,
    )


def no_delay_gevent_handler() -> type:
    """gevent's WebSocket-aware request handler with Nagle's algorithm off.

    gevent sends a response's headers and its body in two calls; with Nagle on, a
    kept-alive client waited 40 ms for every response (docs/benchmarks.md, "thirteenth
    round").
    """
    try:
        from geventwebsocket.handler import WebSocketHandler as Handler
    except ImportError:  # as socketio.run(): WebSockets then come from simple-websocket
        from gevent.pywsgi import WSGIHandler as Handler

    class NoDelayWebSocketHandler(Handler):
        def __init__(self, sock, address, server, rfile=None) -> None:
            _no_delay(sock)
            super().__init__(sock, address, server, rfile)

    return NoDelayWebSocketHandler


def _no_delay(sock: socket.socket) -> None:
    """Turn Nagle's algorithm off on one accepted connection."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
