"""Celery tasks: thin wrappers that look things up and call the domain functions.

``notifications.tick`` is scheduled every few minutes (``CELERY_BEAT_SCHEDULE`` in
readinggroup/settings.py);
``notifications.send`` is enqueued through the outbox for each claimed Notification.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from . import claiming, delivery

log = logging.getLogger(__name__)


@shared_task(name="notifications.tick", ignore_result=True)
def tick() -> dict:
    result = claiming.tick(now=timezone.now())
    summary = {
        "claimed": len(result.claims.claimed),
        "dropped": len(result.claims.dropped),
        "already": result.claims.already,
        "requeued": result.requeued,
    }
    log.info("Notifications tick: %s", summary)
    return summary


# Retries are counted in the database (Notification.attempts): delivery gives up and
# marks the row failed after MAX_ATTEMPTS, so Celery's own limit is only a backstop.
@shared_task(
    name="notifications.send",
    bind=True,
    ignore_result=True,
    max_retries=delivery.MAX_ATTEMPTS + 2,
)
def send(self, *, notification_id: int) -> str:
    try:
        outcome = delivery.deliver(notification_id)
    except delivery.RetryLater as exc:
        log.warning("Notification %s: %s; retrying in %ss", notification_id, exc, exc.countdown)
        raise self.retry(countdown=exc.countdown, exc=exc) from exc
    return outcome.status


@shared_task(name="notifications.send_digest_now", ignore_result=True)
def send_digest_now(*, token: str) -> int:
    """An organizer's "send the digest now"; ``token`` makes each button press count once."""
    result = claiming.claim_manual_digests(now=timezone.now(), token=token)
    return len(result.claimed)
