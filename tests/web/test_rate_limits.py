"""Rate limits are checked where they are declared, and nowhere else (app/rate_limits.py).

Encore declares every limit on its view, so Flask-Limiter's before-request pass is left
out; these tests show that the declared limits still answer 429, and that declaring a
default limit brings the pass back (in a process of its own: Flask-Limiter keeps a
configured default on its shared limiter for the life of the process).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from app.extensions import limiter

ROOT = Path(__file__).resolve().parents[2]


def test_no_request_wide_pass_while_every_limit_is_on_its_view(app):
    assert limiter._check_request_limit not in app.before_request_funcs[None]


def test_a_limit_declared_on_a_view_still_answers_429(app):
    client = app.test_client()
    # /r/<code> allows 60 guesses a minute from one address (app/blueprints/invites).
    statuses = [client.get(f"/r/{'q' * 21}{n % 10}").status_code for n in range(61)]
    assert set(statuses[:60]) == {404}
    assert statuses[60] == 429
    # Unlimited pages are untouched by it.
    assert client.get("/auth/login").status_code == 200


_DEFAULT_LIMIT_SCRIPT = """
import json
from app import create_app
from app.config import TestConfig
from app.extensions import limiter
app = create_app(TestConfig(RATELIMIT_DEFAULT="2 per minute"))
client = app.test_client()
print(json.dumps({
    "pass": limiter._check_request_limit in app.before_request_funcs[None],
    "statuses": [client.get("/auth/login").status_code for _ in range(3)],
}))
"""


def test_a_configured_default_limit_brings_the_pass_back():
    done = subprocess.run(
        [sys.executable, "-c", _DEFAULT_LIMIT_SCRIPT],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["pass"] is True
    assert result["statuses"] == [200, 200, 429]
