"""A Janus a test owns: the Debian package's binary with a config folder of its own.

The config is written fresh into a temporary folder (never /etc/janus): the HTTP transport
and the admin API on free loopback ports, token auth on, the VideoRoom plugin with an
admin key so only Encore creates rooms, ICE on loopback only and no STUN/NAT, and every
plugin and transport the tests do not need switched off so it starts fast.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.support.services import free_port, missing_service, stop_process

PLUGIN_DIRS = ("/usr/lib/x86_64-linux-gnu/janus", "/usr/lib/aarch64-linux-gnu/janus")
UNUSED_PLUGINS = (
    "audiobridge duktape echotest lua nosip recordplay sip streaming textroom videocall voicemail"
)
UNUSED_TRANSPORTS = "mqtt nanomsg pfunix rabbitmq websockets"
# Janus never gathers ICE candidates on a loopback interface, so the video namespace adds
# this interface (one end of a veth pair, tests/e2e/test_video_netns.py); Janus and the
# browsers meet on its address, which the kernel delivers locally: nothing leaves the
# namespace either way.
MEDIA_INTERFACE = "encore-av"
MEDIA_ADDRESS = "10.203.0.1/24"


def _lib_dir() -> Path:
    """Return the folder holding Janus's plugins and transports."""
    for candidate in PLUGIN_DIRS:
        if Path(candidate, "plugins", "libjanus_videoroom.so").exists():
            return Path(candidate)
    missing_service("the janus package has no VideoRoom plugin here (apt-get install -y janus)")
    raise AssertionError  # unreachable: missing_service skips or fails


class JanusServer:
    """One janus process with token auth, on free loopback ports."""

    def __init__(self) -> None:
        self.binary = shutil.which("janus")
        if not self.binary:
            missing_service("janus is not installed (apt-get install -y janus)")
        self.port = free_port()
        self.admin_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/janus"
        self.admin_url = f"http://127.0.0.1:{self.admin_port}/admin"
        self.admin_secret = secrets.token_urlsafe(24)
        self.room_admin_key = secrets.token_urlsafe(24)
        self.folder = Path(tempfile.mkdtemp(prefix="encore-janus-"))
        self.process: subprocess.Popen | None = None

    def _write_config(self) -> None:
        lib = _lib_dir()
        disabled_plugins = ",".join(f"libjanus_{name}.so" for name in UNUSED_PLUGINS.split())
        disabled_transports = ",".join(f"libjanus_{name}.so" for name in UNUSED_TRANSPORTS.split())
        (self.folder / "janus.jcfg").write_text(
            f"""general: {{
  configs_folder = "{self.folder}"
  plugins_folder = "{lib / "plugins"}"
  transports_folder = "{lib / "transports"}"
  events_folder = "{lib / "events"}"
  loggers_folder = "{lib / "loggers"}"
  debug_level = 4
  admin_secret = "{self.admin_secret}"
  token_auth = true
}}
media: {{
  rtp_port_range = "20000-40000"
}}
nat: {{
  ice_enforce_list = "{MEDIA_INTERFACE}"
  ice_ignore_list = "vmnet"
  ice_tcp = false
}}
plugins: {{
  disable = "{disabled_plugins}"
}}
transports: {{
  disable = "{disabled_transports}"
}}
events: {{
  broadcast = false
}}
loggers: {{
  disable = "libjanus_jsonlog.so"
}}
"""
        )
        (self.folder / "janus.transport.http.jcfg").write_text(
            f"""general: {{
  json = "plain"
  base_path = "/janus"
  http = true
  port = {self.port}
  ip = "127.0.0.1"
  https = false
}}
admin: {{
  admin_base_path = "/admin"
  admin_http = true
  admin_port = {self.admin_port}
  admin_ip = "127.0.0.1"
  admin_https = false
}}
cors: {{
  allow_origin = "*"
}}
"""
        )
        (self.folder / "janus.plugin.videoroom.jcfg").write_text(
            f"""general: {{
  admin_key = "{self.room_admin_key}"
  lock_rtp_forward = true
}}
"""
        )

    def start(self) -> JanusServer:
        """Write the config, start janus, and wait until its info endpoint answers."""
        self._write_config()
        log = open(self.folder / "janus.log", "wb")  # noqa: SIM115  (closed with the process)
        self.process = subprocess.Popen(
            [self.binary, "-F", str(self.folder), "-C", str(self.folder / "janus.jcfg")],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("janus exited at start:\n" + self.log_tail())
            try:
                with urllib.request.urlopen(self.url + "/info", timeout=1) as response:
                    if json.load(response).get("janus") == "server_info":
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("janus did not answer:\n" + self.log_tail())

    def log_tail(self, size: int = 4000) -> str:
        """Return the end of janus's log, for failure messages."""
        path = self.folder / "janus.log"
        return path.read_text(errors="replace")[-size:] if path.exists() else ""

    def stop(self) -> None:
        """Stop janus and remove its config folder."""
        stop_process(self.process)
        self.process = None
        shutil.rmtree(self.folder, ignore_errors=True)

    def settings(self) -> dict[str, str]:
        """Return the Encore settings that point at this janus."""
        return {
            "JANUS_URL": self.url,
            "JANUS_ADMIN_URL": self.admin_url,
            "JANUS_ADMIN_SECRET": self.admin_secret,
            "JANUS_ROOM_ADMIN_KEY": self.room_admin_key,
        }
