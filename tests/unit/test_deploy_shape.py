"""The rehearsal's nginx: deploy/nginx.conf spreads clients from distinct loopback networks
over the web processes and keeps each client on one, as the scale-out and soak runs assume.

Real nginx (the Debian package) in front of three small HTTP servers that answer with their
own port; clients bind the source addresses the bench gives them (`client_address`).
"""

from __future__ import annotations

import http.client
import socket
import threading
from contextlib import closing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.deploy_shape import Nginx, client_address, established_per_port, nginx_available
from tests.support.services import missing_service


class _Answer(BaseHTTPRequestHandler):
    """Answers every GET with the port it listens on."""

    def do_GET(self) -> None:
        body = str(self.server.server_address[1]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def upstreams():
    """Three HTTP servers on loopback, each in a thread of its own."""
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _Answer) for _ in range(3)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield [server.server_address[1] for server in servers]
    for server in servers:
        server.shutdown()
        server.server_close()


def _get(nginx: Nginx, address: str) -> int:
    """GET / through nginx from `address`; return the port of the upstream that answered."""
    conn = http.client.HTTPConnection(
        "127.0.0.1", nginx.port, timeout=10, source_address=(address, 0)
    )
    try:
        conn.request("GET", "/")
        response = conn.getresponse()
        assert response.status == 200
        return int(response.read())
    finally:
        conn.close()


def test_client_addresses_differ_in_the_network_part_ip_hash_reads():
    networks = {client_address(n).rsplit(".", 1)[0] for n in range(250)}
    assert len(networks) == 250
    assert client_address(0) == "127.0.1.1"
    assert client_address(250) == "127.0.1.2"


def test_nginx_spreads_distinct_networks_over_every_process_and_keeps_each_on_one(
    tmp_path, upstreams
):
    if not nginx_available():
        missing_service("nginx is not installed (apt-get install nginx)")
    nginx = Nginx(tmp_path, upstreams).start()
    try:
        landed = {}
        for n in range(12):
            ports = {_get(nginx, client_address(n)) for _ in range(3)}
            assert len(ports) == 1, (client_address(n), ports)  # sticky: ip_hash
            landed[client_address(n)] = ports.pop()
    finally:
        nginx.stop()
    assert set(landed.values()) == set(upstreams)
    # Every client's requests show in the access log with the upstream that served them.
    log = (tmp_path / "access.log").read_text().splitlines()
    assert len(log) >= 36


def test_established_connections_are_counted_per_listening_port():
    with closing(socket.socket()) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert established_per_port([port]) == {port: 0}
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
        accepted = [listener.accept()[0] for _ in clients]
        try:
            assert established_per_port([port]) == {port: 3}
        finally:
            for sock in clients + accepted:
                sock.close()
