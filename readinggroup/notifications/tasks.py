"""Celery tasks: thin wrappers that look things up and call the domain functions.

``notifications.tick`` is scheduled every few minutes and ``notifications.recover``
every 30 seconds (``CELERY_BEAT_SCHEDULE`` in readinggroup/settings.py);
``notifications.send`` is enqueued through the outbox for each claimed Notification,
and again by the recovery for a retry that is due or a send whose worker died.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from . import claiming, delivery, recovery

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


@shared_task(name="notifications.recover", ignore_result=True)
def recover() -> int:
    count = recovery.recover(now=timezone.now())
    if count:
        log.info("Notifications recovery: %s send(s) enqueued again", count)
    return count


# No Celery retries: a temporary failure sets the row's retry_at, and the recovery
# enqueues it then. The database holds every wait, so the broker may lose its messages.
@shared_task(name="notifications.send", ignore_result=True)
def send(*, notification_id: int) -> str:
    outcome = delivery.deliver(notification_id)
    if outcome.status in ("retry", "failed"):
        log.warning("Notification %s: %s (%s)", notification_id, outcome.status, outcome.detail)
    return outcome.status


@shared_task(name="notifications.send_digest_now", ignore_result=True)
def send_digest_now(*, token: str) -> int:
    """An organizer's "send the digest now"; ``token`` makes each button press count once."""
    result = claiming.claim_manual_digests(now=timezone.now(), token=token)
    return len(result.claimed)
