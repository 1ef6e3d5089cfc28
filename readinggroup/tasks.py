"""Celery tasks of the readinggroup app (the notification tasks live in
readinggroup/notifications/tasks.py)."""

from celery import shared_task

from readinggroup import outbox


@shared_task(name="outbox.sweep")
def sweep_outbox() -> int:
    """Publish outbox messages the broker refused earlier (beat runs this every minute)."""
    return outbox.sweep()
