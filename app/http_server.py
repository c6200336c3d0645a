"""How the web process serves HTTP: the options `wsgi.py` hands to `socketio.run()`.

Kept apart from `wsgi.py`, which patches the process for its async mode on import, so the
options can be read (and tested) without patching anything.
"""

from __future__ import annotations

import os
import socket


def server_options(async_mode: str) -> dict:
    """Return the keyword arguments for `socketio.run()` in `async_mode`."""
    if async_mode != "eventlet":
        # gevent's server spawns without a cap and sends a response's headers and body in
        # one call, so it needs neither option.
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
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    return NoDelayProtocol
