"""Celery wired the way Flask's own example does it: tasks run inside an app context."""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask, current_app


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app for `app`, store it in app.extensions and return it."""

    class FlaskTask(Task):
        """A task that runs inside the Flask app context."""

        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    celery_app.autodiscover_tasks(["app"], related_name="tasks", force=True)
    app.extensions["celery"] = celery_app
    return celery_app


def send_task(name: str, args: list | None = None) -> None:
    """Queue the task `name` on the current app's Celery app (each app has its own, so
    tests and benchmarks can run several side by side). Services import this rather than
    reaching into `app.extensions`, so the dependency shows in their imports."""
    current_app.extensions["celery"].send_task(name, args=args or [])
