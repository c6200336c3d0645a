"""A real Celery worker on a real Redis broker, running the app's tasks in threads."""

from __future__ import annotations

import pytest
from celery.contrib.testing.worker import start_worker

from tests.conftest import _wipe_redis, _wipe_tables, make_app


@pytest.fixture
def worker_app(redis_url):
    """The app a Celery worker process builds: Redis broker, write-only Socket.IO emitter."""
    application = make_app(REDIS_URL=redis_url, SOCKETIO_USE_QUEUE=True, SOCKETIO_WRITE_ONLY=True)
    yield application
    with application.app_context():
        _wipe_tables()
    _wipe_redis(application)


@pytest.fixture
def celery_worker(worker_app):
    """A real worker thread consuming this run's queue (four threads, so runs can overlap)."""
    celery = worker_app.extensions["celery"]
    with start_worker(
        celery,
        pool="threads",
        concurrency=4,
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=30,
    ) as worker:
        yield worker
