"""Celery tasks (`@shared_task`), discovered by `celery_init_app`."""
