"""Deploy files: the Procfile and docker-compose.yml agree, and their processes really run."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
import requests
import yaml

from tests.conftest import REDIS_PREFIX
from tests.support.services import free_port

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_procfile_names_release_web_worker_and_beat():
    processes = procfile()
    assert set(processes) == {"release", "web", "worker", "beat"}
    assert processes["release"].endswith("db upgrade")
    # Socket.IO keeps connection state per process: one web process per dyno.
    assert "gunicorn" not in processes["web"] or "-w 1" in processes["web"]


def test_compose_parses_and_runs_the_procfile_commands():
    services = compose()["services"]
    assert {"web1", "web2", "worker", "beat", "postgres", "redis", "nginx", "release"} <= set(
        services
    )
    processes = procfile()
    for name, service in services.items():
        if name in {"postgres", "redis", "nginx", "coturn", "janus"}:
            continue
        role = "web" if name.startswith("web") else name
        assert shlex.split(service["command"]) == shlex.split(processes[role]), name
        assert service["environment"]["REDIS_URL"].startswith("redis://")
        assert service["environment"]["DATABASE_URL"].startswith("postgresql://")


def test_compose_runs_coturn_with_the_secret_encore_mints_credentials_from():
    services = compose()["services"]
    command = services["coturn"]["command"]
    assert "--use-auth-secret" in command
    assert "--static-auth-secret=${TURN_SECRET" in command
    # The web processes sign credentials with the same secret coturn checks them with.
    assert services["web1"]["environment"]["TURN_SECRET"] == "${TURN_SECRET:-}"


def test_compose_runs_janus_with_the_secrets_encore_uses():
    services = compose()["services"]
    janus = services["janus"]
    assert janus["build"] == "./deploy/janus"
    # The container writes its config from the same secrets the web processes send.
    for key in ("JANUS_ADMIN_SECRET", "JANUS_ROOM_ADMIN_KEY"):
        assert janus["environment"][key].startswith("${" + key)
        assert services["web1"]["environment"][key] == "${" + key + ":-}"
    assert services["web1"]["environment"]["JANUS_URL"] == "${JANUS_URL:-}"
    entrypoint = (ROOT / "deploy" / "janus" / "entrypoint.sh").read_text()
    assert "token_auth = true" in entrypoint and "admin_key" in entrypoint
    assert "apt-get install" in (ROOT / "deploy" / "janus" / "Dockerfile").read_text()


def test_compose_nginx_is_sticky_across_both_web_replicas():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "ip_hash" in conf and "web1:5000" in conf and "web2:5000" in conf
    assert "Upgrade" in conf


def _env(database, tmp_path, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PYTEST"))}
    env.update(
        {
            "PATH": f"{VENV_BIN}:{env.get('PATH', '')}",
            "DATABASE_URL": database.url,
            "SECRET_KEY": "deploy-test-secret",
            "ENCORE_INSTANCE_PATH": str(tmp_path),
            "PYTHONWARNINGS": "ignore",
        }
    )
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


def _stop(process: subprocess.Popen) -> str:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        out, _ = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, _ = process.communicate(timeout=5)
    return out or ""


def test_honcho_starts_the_procfile_web_process(database, tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [str(VENV_BIN / "honcho"), "start", "web"],
        cwd=ROOT,
        env=_env(database, tmp_path, PORT=str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        body = None
        while time.monotonic() < deadline and body is None:
            try:
                body = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).json()
            except requests.RequestException:
                time.sleep(0.2)
    finally:
        output = _stop(process)
    assert body is not None, output[-2000:]
    assert body["status"] == "ok" and body["db"] == "ok"


@pytest.mark.celery
def test_procfile_worker_and_beat_processes_run(database, tmp_path, redis_url):
    prefix = f"{REDIS_PREFIX}deploy-{free_port()}:"
    env = _env(database, tmp_path, REDIS_URL=redis_url, ENCORE_REDIS_PREFIX=prefix)
    processes = procfile()
    worker_cmd = processes["worker"].replace("--concurrency=2", "--concurrency=1")
    worker = subprocess.Popen(
        [*shlex.split(worker_cmd), "--hostname", "encore-test@%h"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    beat_cmd = processes["beat"].replace("instance/celerybeat-schedule", str(tmp_path / "beat"))
    beat = subprocess.Popen(
        shlex.split(beat_cmd),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        ping = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ping = subprocess.run(
                ["celery", "-A", "worker", "inspect", "ping", "--timeout", "2"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if "pong" in ping.stdout:
                break
            time.sleep(1)
    finally:
        worker_out = _stop(worker)
        beat_out = _stop(beat)
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(match=prefix + "*"):
            client.delete(key)
    assert ping is not None and "pong" in ping.stdout, worker_out[-3000:]
    assert "refresh_leaderboards" in worker_out or "[tasks]" in worker_out
    assert "beat: Starting" in beat_out, beat_out[-3000:]
