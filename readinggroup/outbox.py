"""Enqueue Celery tasks through the database, so no request fails or waits on the broker.

``enqueue()`` writes an OutboxMessage in the caller's transaction. Once that commits,
the message is published and marked enqueued. If the broker refuses it (Redis down),
the request goes on: the row keeps the error and ``sweep()`` (the ``outbox.sweep``
task, every minute) publishes it when the broker is back. A message can be published
twice (a crash between publishing and marking it) but never lost, so tasks must be
idempotent; the domain tasks are.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import cache
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from readinggroup.celery import app
from readinggroup.models import OutboxMessage

logger = logging.getLogger(__name__)

# What a broker that is down or unreachable raises on publish: kombu's OperationalError,
# RuntimeError (result backends), socket errors and timeouts (OSError).
PUBLISH_ERRORS = (KombuError, RedisError, OSError, RuntimeError)

# The sweep leaves a fresh, never-tried message to the publish its own commit
# triggers, so the two rarely publish the same message.
SWEEP_GRACE = timedelta(seconds=60)
SWEEP_BATCH = 100


def enqueue(task_name: str, /, **kwargs: Any) -> OutboxMessage:
    """Run the task ``task_name(**kwargs)`` once the current transaction commits.

    kwargs must be JSON values (ids, not objects). Never raises for the broker.
    """
    message = OutboxMessage.objects.create(task_name=task_name, kwargs=kwargs)
    # robust: whatever goes wrong after the commit, the request has already succeeded.
    transaction.on_commit(lambda: publish(message), robust=True)
    return message


def sweep(*, batch_size: int = SWEEP_BATCH) -> int:
    """Publish unsent messages, oldest first; return how many were published.

    Rows are locked while they are published: on PostgreSQL a second sweeper skips
    them (SKIP LOCKED), on SQLite the IMMEDIATE transaction makes it wait. Stops at
    the first broker error, since the next message would fail the same way.
    """
    due = OutboxMessage.objects.filter(
        Q(attempts__gt=0) | Q(created_at__lt=timezone.now() - SWEEP_GRACE),
        enqueued_at__isnull=True,
    )
    if not due.exists():
        return 0  # the usual case: no lock taken (on SQLite, no write lock)
    published = 0
    with transaction.atomic():
        messages = list(
            due.order_by("created_at", "pk").select_for_update(skip_locked=True)[:batch_size]
        )
        for message in messages:
            if not publish(message):
                break
            published += 1
    if published:
        logger.info("Outbox sweep published %d message(s).", published)
    return published


def publish(message: OutboxMessage) -> bool:
    """Send one message to the broker and mark it enqueued; False if the broker refused."""
    try:
        _send(message.task_name, message.kwargs)
    except PUBLISH_ERRORS as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        logger.warning(
            "Could not enqueue %s (outbox message %s); the sweep will retry. %s",
            message.task_name,
            message.pk,
            error,
        )
        OutboxMessage.objects.filter(pk=message.pk, enqueued_at__isnull=True).update(
            attempts=F("attempts") + 1, last_error=error
        )
        return False
    OutboxMessage.objects.filter(pk=message.pk, enqueued_at__isnull=True).update(
        attempts=F("attempts") + 1, enqueued_at=timezone.now()
    )
    return True


def _send(task_name: str, kwargs: dict[str, Any]) -> None:
    if app.conf.task_always_eager:
        # send_task ignores task_always_eager: run the registered task inline.
        _load_task_modules()
        app.tasks[task_name].apply_async(kwargs=kwargs)
    else:
        # By name: the web process need not import the task modules.
        app.send_task(task_name, kwargs=kwargs)


@cache
def _load_task_modules() -> None:
    # A worker imports the autodiscovered task modules at start-up; other processes
    # only when they first run a task eagerly.
    app.loader.import_default_modules()
