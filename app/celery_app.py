"""Celery wired the way Flask's own example does it: tasks run inside an app context."""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask


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
