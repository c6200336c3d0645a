"""The Celery entry point: `celery -A worker worker` and `celery -A worker beat`.

Wired as Flask's own Celery example is: build the app, expose the Celery app it stored.
Workers only publish Socket.IO events, through a write-only Redis emitter.
"""

import os

os.environ.setdefault("ENCORE_PROCESS", "worker")

from app import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
app = celery_app  # `celery -A worker` finds `app` or `celery_app`
