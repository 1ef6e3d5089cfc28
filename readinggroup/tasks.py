"""Celery tasks of the readinggroup app (the notification tasks live in
readinggroup/notifications/tasks.py). Each is enqueued through readinggroup.outbox."""

from celery import shared_task

from readinggroup import outbox
from readinggroup.members.emails import MAIL_ERRORS
from readinggroup.members.emails import send_password_reset as send_password_reset_email


@shared_task(name="outbox.sweep")
def sweep_outbox() -> int:
    """Publish outbox messages the broker refused earlier (beat runs this every minute)."""
    return outbox.sweep()


@shared_task(
    name="members.send_password_reset",
    autoretry_for=MAIL_ERRORS,
    retry_backoff=30,
    max_retries=4,
)
def send_password_reset(*, email: str) -> None:
    """The reset link for ``email``, asked on the "Forgot your password?" page."""
    send_password_reset_email(email=email)
